import Foundation
import ReelTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// FakeChatCompletions speaks xAI's chat-completions format.
extension FakeServerTests {
    static let xaiKey = "xai-test-key"

    static func withChat(_ body: (FakeChatCompletions) async throws -> Void) async throws {
        let fake = FakeChatCompletions(apiKey: xaiKey)
        try await fake.start()
        do {
            try await body(fake)
        } catch {
            await fake.stop()
            throw error
        }
        await fake.stop()
    }

    /// A selector-like request: system prompt, campaign text, one PNG as a data URL, JSON schema.
    static func chatBody(model: String = "grok-4-1-fast-non-reasoning", image: String? = nil) -> FakeJSON {
        let png = image ?? "data:image/png;base64," + Data([0x89, 0x50, 0x4E, 0x47, 1, 2, 3]).base64EncodedString()
        return [
            "model": .string(model),
            "messages": [
                ["role": "system", "content": "You pick pairs of images."],
                [
                    "role": "user",
                    "content": [
                        ["type": "text", "text": "Campaign: spring launch. Brand: calm, blue."],
                        ["type": "image_url", "image_url": ["url": .string(png), "detail": "high"]],
                    ],
                ],
            ],
            "response_format": [
                "type": "json_schema",
                "json_schema": [
                    "name": "pairs", "strict": true,
                    "schema": ["type": "object", "properties": ["pairs": ["type": "array"]], "required": ["pairs"], "additionalProperties": false],
                ],
            ],
        ]
    }

    static func complete(
        _ fake: FakeChatCompletions, key: String? = xaiKey, body: FakeJSON = chatBody(), timeout: TimeInterval = 10
    ) async throws -> Exchange {
        var headers = ["Content-Type": "application/json"]
        if let key { headers["Authorization"] = "Bearer \(key)" }
        return try await send("POST", fake.baseURL.appendingPathComponent("chat/completions"), headers: headers, body: body.data, timeout: timeout)
    }

    @Test func chatRejectsMissingAndWrongKeys() async throws {
        try await Self.withChat { fake in
            let wrong = try await Self.complete(fake, key: "xai-wrong")
            #expect(wrong.status == 400)
            #expect(wrong.json == [
                "code": "Client specified an invalid argument",
                "error": "Incorrect API key provided: xa***. You can obtain an API key from https://console.x.ai.",
            ])
            let missing = try await Self.complete(fake, key: nil)
            #expect(missing.status == 401)
            #expect(missing.json?["error"]?.stringValue != nil && missing.json?["code"]?.stringValue != nil)
            #expect(fake.completionCount == 0)
        }
    }

    @Test func chatAnswersInXAIShapeAndRecordsTheRequest() async throws {
        try await Self.withChat { fake in
            fake.modelAliases = ["grok-4-latest": "grok-4-0709"]
            fake.enqueue(.content(#"{"pairs":[{"first":"a","last":"b"}]}"#))
            let answer = try await Self.complete(fake, body: Self.chatBody(model: "grok-4-latest"))
            #expect(answer.status == 200)
            let json = try #require(answer.json)
            #expect(json["object"] == "chat.completion")
            #expect(json["model"] == "grok-4-0709")
            #expect(json["id"]?.stringValue != nil && json["created"]?.intValue != nil && json["system_fingerprint"]?.stringValue != nil)
            let choice = try #require(json["choices"]?[0])
            #expect(choice["index"] == 0)
            #expect(choice["finish_reason"] == "stop")
            #expect(choice["message"] == ["role": "assistant", "content": #"{"pairs":[{"first":"a","last":"b"}]}"#, "refusal": nil])
            let usage = try #require(json["usage"])
            let prompt = try #require(usage["prompt_tokens"]?.intValue)
            let completion = try #require(usage["completion_tokens"]?.intValue)
            #expect(usage["total_tokens"]?.intValue == prompt + completion)
            #expect(usage["prompt_tokens_details"]?["image_tokens"]?.intValue == 256)

            let recorded = try #require(fake.chatRequests.first)
            #expect(recorded.model == "grok-4-latest")
            #expect(recorded.roles == ["system", "user"])
            #expect(recorded.imageURLs.count == 1 && recorded.imageURLs[0].hasPrefix("data:image/png;base64,"))
            #expect(recorded.responseFormat?["type"] == "json_schema")
            #expect(recorded.jsonSchema?["required"] == ["pairs"])
            #expect(recorded.allText.contains("spring launch"))
            #expect(recorded.recorded.header("authorization") == "Bearer \(Self.xaiKey)")
        }
    }

    @Test func chatRepliesComeFromTheQueueThenTheResponder() async throws {
        try await Self.withChat { fake in
            fake.enqueue(.length(#"{"pairs":[{"fir"#), .refusal())
            fake.responder = { request in .content("echo: \(request.texts.count) texts") }
            let cut = try await Self.complete(fake)
            #expect(cut.json?["choices"]?[0]?["finish_reason"] == "length")
            let refused = try await Self.complete(fake)
            #expect(refused.json?["choices"]?[0]?["message"]?["content"] == .null)
            #expect(refused.json?["choices"]?[0]?["message"]?["refusal"]?.stringValue?.isEmpty == false)
            let echoed = try await Self.complete(fake)
            #expect(echoed.json?["choices"]?[0]?["message"]?["content"] == "echo: 2 texts")
            #expect(fake.completionCount == 3)
        }
    }

    @Test func chatWithoutScriptAnswers500() async throws {
        try await Self.withChat { fake in
            let answer = try await Self.complete(fake)
            #expect(answer.status == 500)
            #expect(answer.json?["code"] == "Internal error")
        }
    }

    @Test func chatFaults() async throws {
        try await Self.withChat { fake in
            fake.inject(.rateLimited(retryAfter: 2))
            fake.inject(.rateLimited())
            fake.inject(.serverError(status: 500), times: 2)
            fake.inject(.malformedJSON)
            fake.enqueue(.content("{}"), .content("{}"))
            let limited = try await Self.complete(fake)
            #expect(limited.status == 429)
            #expect(limited.header("Retry-After") == "2")
            #expect(limited.json?["error"]?.stringValue != nil)
            let bare = try await Self.complete(fake)
            #expect(bare.status == 429 && bare.header("Retry-After") == nil)
            #expect(try await Self.complete(fake).status == 500)
            #expect(try await Self.complete(fake).status == 500)
            let garbled = try await Self.complete(fake)
            #expect(garbled.status == 200 && garbled.json == nil)
            #expect(try await Self.complete(fake).json?["choices"]?[0]?["message"]?["content"] == "{}")
            #expect(fake.requests.compactMap(\.responseStatus) == [429, 429, 500, 500, 200, 200])
        }
    }

    @Test func chatTimeoutAndTruncation() async throws {
        try await Self.withChat { fake in
            fake.inject(.slow(.seconds(3)))
            fake.inject(.truncatedBody)
            fake.enqueue(.content("{}"), .content("{}"), .content("{}"))
            await #expect(throws: (any Error).self) { _ = try await Self.complete(fake, timeout: 1) }
            await #expect(throws: (any Error).self) { _ = try await Self.complete(fake, timeout: 5) }
            #expect(fake.pendingFaults.isEmpty)
        }
    }

    @Test func chatValidatesLikeXAI() async throws {
        try await Self.withChat { fake in
            fake.enqueue(.content("{}"))
            let webp = try await Self.complete(fake, body: Self.chatBody(image: "data:image/webp;base64,AAAA"))
            #expect(webp.status == 400)
            var late = Self.chatBody()
            if case .object(var members) = late, var messages = members["messages"]?.arrayValue {
                messages.append(["role": "system", "content": "again"])
                members["messages"] = .array(messages)
                late = .object(members)
            }
            #expect(try await Self.complete(fake, body: late).status == 400)
            let url = fake.baseURL.appendingPathComponent("chat/completions")
            let text = try await Self.send(
                "POST", url, headers: ["Authorization": "Bearer \(Self.xaiKey)", "Content-Type": "text/plain"], body: Self.chatBody().data)
            #expect(text.status == 415)
            #expect(fake.pendingReplies.count == 1)
        }
    }
}

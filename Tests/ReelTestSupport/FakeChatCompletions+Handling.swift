import Foundation
import Synchronization

/// Request handling of ``FakeChatCompletions``: auth, validation, faults, replies.
extension FakeChatCompletions {
    func handle(_ request: RecordedRequest) async -> FakeReply {
        let serial = state.withLock { $0.log.append(request) }
        let reply = await respond(to: request)
        state.withLock { $0.log.setStatus(reply.status, for: serial) }
        return reply
    }

    /// xAI's flat error body: `{"code": "...", "error": "..."}`.
    func flatError(_ status: Int, code: String, error: String, headers: [String: String] = [:]) -> FakeReply {
        .json(status, ["code": .string(code), "error": .string(error)], headers: headers)
    }

    private func respond(to request: RecordedRequest) async -> FakeReply {
        guard request.path == "/v1/chat/completions" else {
            return flatError(404, code: "Some requested entity was not found", error: "No route for \(request.method) \(request.path)")
        }
        guard request.method == "POST" else {
            return flatError(405, code: "Client specified an invalid argument", error: "Method not allowed")
        }
        guard let header = request.header("authorization"), header.hasPrefix("Bearer ") else {
            return flatError(
                401, code: "The request does not have valid authentication credentials",
                error: "Missing or invalid authorization header. You can obtain an API key from https://console.x.ai.")
        }
        let key = String(header.dropFirst("Bearer ".count))
        guard key == apiKey else {
            return flatError(
                400, code: "Client specified an invalid argument",
                error: "Incorrect API key provided: \(key.prefix(2))***. You can obtain an API key from https://console.x.ai.")
        }
        let model = request.json?["model"]?.stringValue ?? "unknown"
        let fault = state.withLock { state -> FakeFault? in state.faults.isEmpty ? nil : state.faults.removeFirst() }
        switch fault {
        case nil:
            return answer(request)
        case .slow(let duration)?:
            await fakeSleep(duration)
            if Task.isCancelled { return flatError(503, code: "The service is currently unavailable", error: "The fake server is stopping.") }
            return answer(request)
        case .malformedJSON?:
            return answer(request).malformed
        case .truncatedBody?:
            var reply = answer(request)
            reply.truncated = true
            return reply
        case .rateLimited(let retryAfter)?:
            return flatError(
                429, code: "Some resource has been exhausted", error: "Too many requests: rate limit reached for model \(model).",
                headers: retryAfter.map { ["Retry-After": String($0)] } ?? [:])
        case .serverError(let status)?:
            return status == 503
                ? flatError(503, code: "The service is currently unavailable", error: "Service temporarily unavailable. Please retry.")
                : flatError(status, code: "Internal error", error: "An internal error occurred. Please retry.")
        case .insufficientCredit?:
            return flatError(
                403, code: "The caller does not have permission to execute the specified operation",
                error: "Your team has either used all available credits or reached its monthly spending limit. "
                    + "To continue making API requests, please purchase more credits or raise your spending limit.")
        case .notFound?:
            return flatError(
                404, code: "Some requested entity was not found",
                error: "The model \(model) does not exist or your team does not have access to it.")
        case .invalidInput(let field, let message, _)?:
            return flatError(422, code: "Client specified an invalid argument", error: "\(field): \(message)")
        case .response(let status, let body, let headers)?:
            var all = headers
            if !all.keys.contains(where: { $0.lowercased() == "content-type" }) { all["Content-Type"] = "application/json" }
            return FakeReply(status: status, headers: all, body: Data(body.utf8))
        }
    }

    /// Validates the request as xAI would and answers from the script.
    private func answer(_ request: RecordedRequest) -> FakeReply {
        if let problem = validate(request) { return problem }
        guard let chat = RecordedChatRequest(request) else {
            return flatError(400, code: "Client specified an invalid argument", error: "Failed to parse the request body.")
        }
        let scripted = state.withLock { state -> (Reply?, Responder?, [String: String]) in
            let reply = state.replies.isEmpty ? nil : state.replies.removeFirst()
            return (reply, state.responder, state.modelAliases)
        }
        guard let reply = scripted.0 ?? scripted.1?(chat) else {
            return flatError(500, code: "Internal error", error: "FakeChatCompletions has no scripted reply for this request.")
        }
        state.withLock { $0.completions += 1 }
        let requested = chat.model ?? "unknown"
        let model = reply.model ?? scripted.2[requested] ?? requested
        let usage = reply.usage ?? estimateUsage(chat, reply: reply)
        let imageTokens = min(usage.promptTokens, chat.imageURLs.count * 256)
        let body: FakeJSON = [
            "id": .string(UUID().uuidString.lowercased()),
            "object": "chat.completion",
            "created": .int(Int(Date().timeIntervalSince1970)),
            "model": .string(model),
            "choices": [
                [
                    "index": 0,
                    "message": ["role": "assistant", "content": .optional(reply.content), "refusal": .optional(reply.refusal)],
                    "finish_reason": .string(reply.finishReason),
                ]
            ],
            "usage": [
                "prompt_tokens": .int(usage.promptTokens),
                "completion_tokens": .int(usage.completionTokens),
                "total_tokens": .int(usage.totalTokens),
                "prompt_tokens_details": [
                    "text_tokens": .int(usage.promptTokens - imageTokens), "audio_tokens": 0, "image_tokens": .int(imageTokens),
                    "cached_tokens": 0,
                ],
                "completion_tokens_details": [
                    "reasoning_tokens": .int(usage.reasoningTokens), "audio_tokens": 0, "accepted_prediction_tokens": 0,
                    "rejected_prediction_tokens": 0,
                ],
                "num_sources_used": 0,
            ],
            "system_fingerprint": "fp_fake",
        ]
        return .json(200, body)
    }

    private func estimateUsage(_ chat: RecordedChatRequest, reply: Reply) -> Usage {
        func tokens(_ text: String) -> Int { max(1, (text.count + 3) / 4) }
        let prompt = tokens(chat.allText) + chat.imageURLs.count * 256
        return Usage(promptTokens: prompt, completionTokens: tokens(reply.content ?? reply.refusal ?? ""))
    }

    /// What xAI rejects (§3.1, §3.3, §3.6 of the reference): a missing JSON content type or
    /// body, bad JSON, missing fields, a system message that is not alone and first, images that
    /// are not jpg/png or exceed 20 MiB, and a malformed `response_format`.
    private func validate(_ request: RecordedRequest) -> FakeReply? {
        let invalid = "Client specified an invalid argument"
        guard !request.body.isEmpty, request.header("content-type")?.lowercased().contains("application/json") == true else {
            return flatError(415, code: invalid, error: "Expected a JSON body with Content-Type: application/json.")
        }
        guard let body = request.json, body.objectValue != nil else {
            return flatError(400, code: invalid, error: "Failed to deserialize the JSON body into the target type.")
        }
        guard body["model"]?.stringValue != nil else {
            return flatError(422, code: invalid, error: "Failed to deserialize the JSON body into the target type: missing field `model`.")
        }
        guard let messages = body["messages"]?.arrayValue, !messages.isEmpty else {
            return flatError(422, code: invalid, error: "Failed to deserialize the JSON body into the target type: missing field `messages`.")
        }
        let roles = messages.map { $0["role"]?.stringValue ?? "" }
        if let bad = roles.first(where: { !["system", "developer", "user", "assistant", "tool"].contains($0) }) {
            return flatError(422, code: invalid, error: "Unknown message role `\(bad)`.")
        }
        let systemIndices = roles.indices.filter { roles[$0] == "system" || roles[$0] == "developer" }
        if systemIndices.count > 1 || systemIndices.first.map({ $0 != 0 }) == true {
            return flatError(400, code: invalid, error: "Only one system message is allowed, and it must be the first message.")
        }
        for url in RecordedChatRequest(request)?.imageURLs ?? [] {
            if let problem = validateImage(url) { return problem }
        }
        if let format = body["response_format"] {
            switch format["type"]?.stringValue {
            case "text"?, "json_object"?:
                break
            case "json_schema"?:
                guard format["json_schema"]?["schema"]?.objectValue != nil else {
                    return flatError(400, code: invalid, error: "response_format.json_schema.schema must be a JSON object.")
                }
            default:
                return flatError(400, code: invalid, error: "response_format.type must be one of text, json_object, json_schema.")
            }
        }
        return nil
    }

    private func validateImage(_ url: String) -> FakeReply? {
        let invalid = "Client specified an invalid argument"
        if url.hasPrefix("https://") || url.hasPrefix("http://") { return nil }
        guard url.hasPrefix("data:"), let comma = url.firstIndex(of: ",") else {
            return flatError(400, code: invalid, error: "Image URL must be an http(s) URL or a base64 data URL.")
        }
        let header = url[url.index(url.startIndex, offsetBy: 5)..<comma].lowercased()
        guard ["image/jpeg;base64", "image/jpg;base64", "image/png;base64"].contains(header) else {
            return flatError(400, code: invalid, error: "Unsupported image format (\(header)); only jpg/jpeg and png are supported.")
        }
        guard let data = Data(base64Encoded: String(url[url.index(after: comma)...])) else {
            return flatError(400, code: invalid, error: "Image data is not valid base64.")
        }
        guard data.count <= 20 * 1024 * 1024 else {
            return flatError(400, code: invalid, error: "Image is larger than the maximum of 20 MiB.")
        }
        return nil
    }
}

import Foundation
import ReelTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The fake provider servers speak the real wire formats: exercised with plain URLSession.
@Suite struct FakeServerTests {
    // MARK: - Helpers

    struct Exchange {
        var status: Int
        var headers: [String: String]
        var body: Data
        var json: FakeJSON? { FakeJSON.parse(body) }
        func header(_ name: String) -> String? { headers[name.lowercased()] }
    }

    static func send(
        _ method: String, _ url: URL, headers: [String: String] = [:], body: Data? = nil, timeout: TimeInterval = 30
    ) async throws -> Exchange {
        var request = URLRequest(url: url, timeoutInterval: timeout)
        request.httpMethod = method
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        request.httpBody = body
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        let session = URLSession(configuration: configuration)
        defer { session.finishTasksAndInvalidate() }
        let (data, response) = try await session.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        var lowered: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            if let name = name as? String, let value = value as? String { lowered[name.lowercased()] = value }
        }
        return Exchange(status: http.statusCode, headers: lowered, body: data)
    }

    static let token = "r8_test_token"
    static var auth: [String: String] { ["Authorization": "Bearer \(token)", "Content-Type": "application/json"] }

    /// Runs `body` with a started fake, stopping it afterwards.
    static func withReplicate(_ body: (FakeReplicate) async throws -> Void) async throws {
        let fake = FakeReplicate(token: token)
        try await fake.start()
        do {
            try await body(fake)
        } catch {
            await fake.stop()
            throw error
        }
        await fake.stop()
    }

    static func create(
        _ fake: FakeReplicate, model: String = "google/veo-3.1-fast", input: FakeJSON = ["prompt": "spin", "duration": 8],
        prefer: String? = nil, timeout: TimeInterval = 10
    ) async throws -> Exchange {
        var headers = auth
        if let prefer { headers["Prefer"] = prefer }
        let url = fake.baseURL.appendingPathComponent("models/\(model)/predictions")
        return try await send("POST", url, headers: headers, body: (["input": input] as FakeJSON).data, timeout: timeout)
    }

    static func get(_ fake: FakeReplicate, _ id: String) async throws -> Exchange {
        try await send("GET", fake.baseURL.appendingPathComponent("predictions/\(id)"), headers: auth)
    }

    static func temporaryVideo(_ bytes: Int = 50_000) throws -> URL {
        let url = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("fake-\(UUID().uuidString).mp4")
        try Data((0..<bytes).map { UInt8($0 % 251) }).write(to: url)
        return url
    }

    // MARK: - Auth

    @Test func replicateRejectsMissingAndWrongTokens() async throws {
        try await Self.withReplicate { fake in
            let url = fake.baseURL.appendingPathComponent("predictions")
            let missing = try await Self.send("GET", url)
            #expect(missing.status == 401)
            #expect(missing.json == ["title": "Unauthenticated", "detail": "You did not pass an authentication token", "status": 401])
            let wrong = try await Self.send("GET", url, headers: ["Authorization": "Bearer r8_nope"])
            #expect(wrong.status == 401)
            #expect(wrong.json?["detail"] == "Invalid or expired API token.")
            let tokenScheme = try await Self.send("GET", url, headers: ["Authorization": "Token \(Self.token)"])
            #expect(tokenScheme.status == 401)
            #expect(fake.requests.count == 3)
            #expect(fake.requests.map(\.responseStatus) == [401, 401, 401])
        }
    }

    // MARK: - Predictions

    @Test func createWithoutPreferIs201StartingThenPollsToSucceeded() async throws {
        try await Self.withReplicate { fake in
            let created = try await Self.create(fake)
            #expect(created.status == 201)
            let json = try #require(created.json)
            let id = try #require(json["id"]?.stringValue)
            #expect(id.count == 26)
            #expect(json["status"] == "starting")
            #expect(json["model"] == "google/veo-3.1-fast")
            #expect(json["version"] == "hidden")
            #expect(json["input"] == ["prompt": "spin", "duration": 8])
            #expect(json["output"] == .null)
            #expect(json["error"] == .null)
            #expect(json["data_removed"] == false)
            #expect(json["source"] == "api")
            #expect(json["logs"]?.stringValue != nil)
            #expect(json["metrics"]?.objectValue != nil)
            #expect(json["started_at"] == .null && json["completed_at"] == .null)
            #expect(json["created_at"]?.stringValue?.hasSuffix("Z") == true)
            #expect(json["urls"]?["get"]?.stringValue == fake.baseURL.absoluteString + "/predictions/\(id)")
            #expect(json["urls"]?["cancel"]?.stringValue == fake.baseURL.absoluteString + "/predictions/\(id)/cancel")
            #expect(json["urls"]?["web"]?.stringValue != nil)
            #expect(created.header("Location") == json["urls"]?["get"]?.stringValue)

            let first = try await Self.get(fake, id)
            #expect(first.status == 200)
            #expect(first.json?["status"] == "processing")
            #expect(first.json?["started_at"]?.stringValue != nil)
            let second = try await Self.get(fake, id)
            #expect(second.json?["status"] == "succeeded")
            #expect(second.json?["output"]?.stringValue == fake.rootURL.absoluteString + "/delivery/\(id)/out.mp4")
            #expect(second.json?["completed_at"]?.stringValue != nil)
            #expect(second.json?["metrics"]?["predict_time"]?.doubleValue != nil)
            #expect(fake.createCount == 1)
            #expect(fake.prediction(id: id)?.pollCount == 2)
        }
    }

    @Test func preferWaitAnswers201WhenDoneInTimeElse202() async throws {
        try await Self.withReplicate { fake in
            fake.enqueue(.succeeds(after: .milliseconds(200)), .succeeds(after: .seconds(30)), .succeeds(afterPolls: 1))
            let quick = try await Self.create(fake, prefer: "wait=5")
            #expect(quick.status == 201)
            #expect(quick.json?["status"] == "succeeded")
            #expect(quick.json?["output"]?.stringValue?.hasSuffix("/out.mp4") == true)

            let clock = ContinuousClock()
            let start = clock.now
            let slow = try await Self.create(fake, prefer: "wait=1")
            #expect(clock.now - start >= .milliseconds(900))
            #expect(slow.status == 202)
            #expect(["starting", "processing"].contains(slow.json?["status"]?.stringValue ?? ""))
            #expect(slow.json?["output"] == .null)

            // Poll-driven predictions cannot finish while waiting: 202 at once.
            let polled = try await Self.create(fake, prefer: "wait")
            #expect(polled.status == 202)
            #expect(polled.json?["status"] == "starting")
            #expect(fake.predictions.map(\.createStatus) == [201, 202, 202])
            #expect(fake.predictions.map(\.prefer) == ["wait=5", "wait=1", "wait"])
        }
    }

    @Test func preferWaitIsCappedAndValidated() async throws {
        try await Self.withReplicate { fake in
            fake.maxPreferWait = .milliseconds(100)
            fake.defaultScript = .manual
            let capped = try await Self.create(fake, prefer: "wait")
            #expect(capped.status == 202)
            let invalid = try await Self.create(fake, prefer: "wait=61")
            #expect(invalid.status == 400)
            #expect(fake.createCount == 1)
        }
    }

    @Test func bodyMustHoldOnlyInput() async throws {
        try await Self.withReplicate { fake in
            let url = fake.baseURL.appendingPathComponent("models/google/veo-3.1/predictions")
            let extra: FakeJSON = ["version": "abc", "input": ["prompt": "x"]]
            let rejected = try await Self.send("POST", url, headers: Self.auth, body: extra.data)
            #expect(rejected.status == 422)
            #expect(rejected.json?["title"] == "Input validation failed")
            #expect(rejected.json?["detail"] == "- Additional property version is not allowed\n")
            #expect(rejected.json?["invalid_fields"]?[0]?["type"] == "additional_property_not_allowed")
            let missing = try await Self.send("POST", url, headers: Self.auth, body: Data("{}".utf8))
            #expect(missing.status == 422)
            #expect(missing.json?["invalid_fields"]?[0]?["field"] == "input")
            #expect(fake.createCount == 0)
            #expect(fake.createAttempts == 2)
        }
    }

    @Test func inputValidatorAnswers422() async throws {
        try await Self.withReplicate { fake in
            fake.inputValidator = { _, input in
                input["duration"] == 8 ? [] : [.init(type: "enum", field: "input.duration", description: "duration must be one of 4, 6, 8")]
            }
            let bad = try await Self.create(fake, input: ["prompt": "x", "duration": 5])
            #expect(bad.status == 422)
            #expect(bad.json?["detail"] == "- input.duration: duration must be one of 4, 6, 8\n")
            #expect(try await Self.create(fake).status == 201)
        }
    }

    @Test func failedCanceledAndManualPredictions() async throws {
        try await Self.withReplicate { fake in
            fake.enqueue(.fails("CUDA out of memory", afterPolls: 1), .manual, .manual)
            let failing = try #require(try await Self.create(fake).json?["id"]?.stringValue)
            let failed = try await Self.get(fake, failing)
            #expect(failed.json?["status"] == "failed")
            #expect(failed.json?["error"] == "CUDA out of memory")
            #expect(failed.json?["output"] == .null)

            let manual = try #require(try await Self.create(fake).json?["id"]?.stringValue)
            #expect(try await Self.get(fake, manual).json?["status"] == "processing")
            #expect(fake.complete(id: manual))
            #expect(try await Self.get(fake, manual).json?["status"] == "succeeded")
            #expect(!fake.complete(id: manual))

            let running = try #require(try await Self.create(fake).json?["id"]?.stringValue)
            let cancelURL = fake.baseURL.appendingPathComponent("predictions/\(running)/cancel")
            let canceled = try await Self.send("POST", cancelURL, headers: Self.auth)
            #expect(canceled.status == 200)
            #expect(canceled.json?["status"] == "canceled")
            #expect(fake.prediction(id: running)?.canceledByClient == true)
            // Cancelling a finished prediction returns it unchanged.
            let again = try await Self.send("POST", fake.baseURL.appendingPathComponent("predictions/\(manual)/cancel"), headers: Self.auth)
            #expect(again.json?["status"] == "succeeded")
            let unknown = try await Self.get(fake, "doesnotexist")
            #expect(unknown.status == 404)
            #expect(unknown.json == ["detail": "The requested resource could not be found.", "status": 404])
        }
    }

    @Test func listIsPaginatedNewestFirst() async throws {
        try await Self.withReplicate { fake in
            fake.pageSize = 2
            var ids: [String] = []
            for _ in 0..<3 { ids.append(try #require(try await Self.create(fake).json?["id"]?.stringValue)) }
            let page1 = try await Self.send("GET", fake.baseURL.appendingPathComponent("predictions"), headers: Self.auth)
            #expect(page1.status == 200)
            #expect(page1.json?["previous"] == .null)
            #expect(page1.json?["results"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == [ids[2], ids[1]])
            let next = try #require(page1.json?["next"]?.stringValue.flatMap(URL.init(string:)))
            let page2 = try await Self.send("GET", next, headers: Self.auth)
            #expect(page2.json?["results"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == [ids[0]])
            #expect(page2.json?["next"] == .null)
            #expect(page2.json?["previous"]?.stringValue != nil)
        }
    }

    // MARK: - Files

    static func multipart(boundary: String, _ parts: [(name: String, filename: String?, type: String?, data: Data)]) -> Data {
        var body = Data()
        for part in parts {
            body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(part.name)\"".utf8))
            if let filename = part.filename { body.append(Data("; filename=\"\(filename)\"".utf8)) }
            body.append(Data("\r\n".utf8))
            if let type = part.type { body.append(Data("Content-Type: \(type)\r\n".utf8)) }
            body.append(Data("\r\n".utf8))
            body.append(part.data)
            body.append(Data("\r\n".utf8))
        }
        body.append(Data("--\(boundary)--\r\n".utf8))
        return body
    }

    @Test func filesUploadRoundTrip() async throws {
        try await Self.withReplicate { fake in
            let image = Data((0..<3000).map { UInt8($0 % 256) })
            let boundary = "reel-\(UUID().uuidString)"
            let body = Self.multipart(boundary: boundary, [
                ("content", "a.jpg", "image/jpeg", image),
                ("filename", nil, nil, Data("a.jpg".utf8)),
                ("type", nil, nil, Data("image/jpeg".utf8)),
                ("metadata", nil, "application/json", Data(#"{"campaign":"spring"}"#.utf8)),
            ])
            let headers = ["Authorization": "Bearer \(Self.token)", "Content-Type": "multipart/form-data; boundary=\(boundary)"]
            let created = try await Self.send("POST", fake.baseURL.appendingPathComponent("files"), headers: headers, body: body)
            #expect(created.status == 201)
            let json = try #require(created.json)
            let id = try #require(json["id"]?.stringValue)
            #expect(json["content_type"] == "image/jpeg")
            #expect(json["size"] == .int(image.count))
            #expect(json["metadata"] == ["campaign": "spring"])
            #expect(json["checksums"]?["sha256"]?.stringValue == fake.files.first?.sha256)
            #expect(json["checksums"]?["sha256"]?.stringValue?.count == 64)
            #expect(json["expires_at"]?.stringValue != nil && json["created_at"]?.stringValue != nil)
            let getURL = try #require(json["urls"]?["get"]?.stringValue.flatMap(URL.init(string:)))
            let fetched = try await Self.send("GET", getURL, headers: Self.auth)
            #expect(fetched.status == 200)
            #expect(fetched.json == json)
            #expect(fake.files.first?.content == image)
            #expect(fake.files.first?.filename == "a.jpg")

            let noContent = Self.multipart(boundary: boundary, [("filename", nil, nil, Data("x".utf8))])
            let rejected = try await Self.send("POST", fake.baseURL.appendingPathComponent("files"), headers: headers, body: noContent)
            #expect(rejected.status == 422)
            fake.expireFile(id: id)
            let expired = try await Self.send("GET", getURL, headers: Self.auth)
            #expect(expired.status == 404)
            #expect(expired.json == ["detail": "File not found"])
        }
    }

    @Test func largeUploadsAndTheSizeLimit() async throws {
        try await Self.withReplicate { fake in
            let photo = Data((0..<5_000_000).map { UInt8($0 % 253) })
            let boundary = "b\(UUID().uuidString)"
            let headers = ["Authorization": "Bearer \(Self.token)", "Content-Type": "multipart/form-data; boundary=\(boundary)"]
            let body = Self.multipart(boundary: boundary, [("content", "big.jpg", "image/jpeg", photo)])
            let created = try await Self.send("POST", fake.baseURL.appendingPathComponent("files"), headers: headers, body: body)
            #expect(created.status == 201)
            #expect(created.json?["size"] == 5_000_000)
            #expect(created.json?["content_type"] == "image/jpeg")
            #expect(fake.files.first?.content == photo)
            fake.maxFileSize = 1000
            let tooBig = try await Self.send("POST", fake.baseURL.appendingPathComponent("files"), headers: headers, body: body)
            #expect(tooBig.status == 413)
            #expect(tooBig.json == ["detail": "Files must be less than 100MB in size"])
        }
    }

    // MARK: - Downloads

    @Test func downloadRequiresAuthAndServesTheVideo() async throws {
        try await Self.withReplicate { fake in
            let video = try Self.temporaryVideo()
            defer { try? FileManager.default.removeItem(at: video) }
            fake.outputVideo = video
            fake.enqueue(.succeeds(afterPolls: 0))
            let output = try #require(try await Self.create(fake).json?["output"]?.stringValue.flatMap(URL.init(string:)))
            let anonymous = try await Self.send("GET", output)
            #expect(anonymous.status == 401)
            let downloaded = try await Self.send("GET", output, headers: ["Authorization": "Bearer \(Self.token)"])
            #expect(downloaded.status == 200)
            #expect(downloaded.header("Content-Type") == "video/mp4")
            #expect(downloaded.body == (try Data(contentsOf: video)))
            #expect(fake.predictions.first?.downloadCount == 1)
        }
    }

    @Test func truncatedDownloadFailsTheClient() async throws {
        try await Self.withReplicate { fake in
            let video = try Self.temporaryVideo(200_000)
            defer { try? FileManager.default.removeItem(at: video) }
            fake.outputVideo = video
            fake.enqueue(.succeeds(afterPolls: 0))
            let output = try #require(try await Self.create(fake).json?["output"]?.stringValue.flatMap(URL.init(string:)))
            fake.inject(.truncatedBody, on: .download)
            await #expect(throws: (any Error).self) {
                _ = try await Self.send("GET", output, headers: ["Authorization": "Bearer \(Self.token)"], timeout: 5)
            }
            let retried = try await Self.send("GET", output, headers: ["Authorization": "Bearer \(Self.token)"])
            #expect(retried.body.count == 200_000)
        }
    }

    @Test func expiredOutputs() async throws {
        try await Self.withReplicate { fake in
            fake.outputVideo = try Self.temporaryVideo(100)
            fake.enqueue(.init(.polls(1), expiry: .dataRemoved), .init(.polls(1), expiry: .downloadGone))
            let removed = try #require(try await Self.create(fake).json?["id"]?.stringValue)
            let removedJSON = try await Self.get(fake, removed).json
            #expect(removedJSON?["status"] == "succeeded")
            #expect(removedJSON?["output"] == .null)
            #expect(removedJSON?["data_removed"] == true)
            let gone = try #require(try await Self.create(fake).json?["id"]?.stringValue)
            let goneOutput = try #require(try await Self.get(fake, gone).json?["output"]?.stringValue.flatMap(URL.init(string:)))
            #expect(try await Self.send("GET", goneOutput, headers: ["Authorization": "Bearer \(Self.token)"]).status == 404)
        }
    }
}

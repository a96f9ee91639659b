import Foundation
import ReelProviders
import ReelTestSupport
import Testing

/// FakeReplicate's injected faults, billing and recordings.
extension FakeServerTests {
    // MARK: - Faults

    @Test func rateLimitsWithAndWithoutRetryAfter() async throws {
        try await Self.withReplicate { fake in
            fake.inject([.rateLimited(retryAfter: 3), .rateLimited()], on: .createPrediction)
            let first = try await Self.create(fake)
            #expect(first.status == 429)
            #expect(first.header("Retry-After") == "3")
            #expect(first.json == ["detail": "Request was throttled. Expected available in 3 seconds."])
            let second = try await Self.create(fake)
            #expect(second.status == 429)
            #expect(second.header("Retry-After") == nil)
            #expect(try await Self.create(fake).status == 201)
            #expect(fake.createCount == 1)
            #expect(fake.createAttempts == 3)
        }
    }

    @Test func serverErrorBurstThenSuccess() async throws {
        try await Self.withReplicate { fake in
            fake.inject(.serverError(status: 503), times: 3, on: .getPrediction)
            let id = try #require(try await Self.create(fake).json?["id"]?.stringValue)
            for _ in 0..<3 { #expect(try await Self.get(fake, id).status == 503) }
            #expect(try await Self.get(fake, id).status == 200)
            #expect(fake.requests(matching: .getPrediction).map(\.responseStatus) == [503, 503, 503, 200])
            #expect(fake.pendingFaults(on: .getPrediction).isEmpty)
        }
    }

    @Test func creditNotFoundAndValidationFaults() async throws {
        try await Self.withReplicate { fake in
            fake.inject([.insufficientCredit, .notFound, .invalidInput(field: "input.resolution", message: "bad")], on: .createPrediction)
            let credit = try await Self.create(fake)
            #expect(credit.status == 402)
            #expect(credit.json?["title"] == "Insufficient credit")
            #expect(try await Self.create(fake).status == 404)
            let invalid = try await Self.create(fake)
            #expect(invalid.status == 422)
            #expect(invalid.json?["invalid_fields"]?[0]?["field"] == "input.resolution")
            #expect(fake.createCount == 0)
        }
    }

    @Test func slowAndMalformedAnswersStillCreate() async throws {
        try await Self.withReplicate { fake in
            fake.inject([.slow(.seconds(3)), .malformedJSON], on: .createPrediction)
            await #expect(throws: (any Error).self) { _ = try await Self.create(fake, timeout: 1) }
            // The server goes on and creates the prediction after the client gave up.
            let deadline = ContinuousClock.now + .seconds(10)
            while fake.createCount == 0, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
            #expect(fake.createCount == 1)
            let garbled = try await Self.create(fake)
            #expect(garbled.status == 201)
            #expect(garbled.json == nil)
            #expect(fake.createCount == 2)
        }
    }

    @Test func billingFollowsThePriceTable() async throws {
        try await Self.withReplicate { fake in
            fake.prices = .init(
                perSecond: ["minimax/hailuo-02@768p": Decimal(string: "0.045") ?? 0, "google/veo-3.1-fast": Decimal(string: "0.15") ?? 0],
                defaultSeconds: ["google/veo-3.1-fast": 8])
            fake.defaultScript = .succeeds(afterPolls: 0)
            _ = try await Self.create(fake, model: "minimax/hailuo-02", input: ["prompt": "x", "duration": 6, "resolution": "768p"])
            _ = try await Self.create(fake, model: "google/veo-3.1-fast", input: ["prompt": "x"])
            fake.enqueue(.fails("boom", afterPolls: 0))
            _ = try await Self.create(fake, model: "google/veo-3.1-fast", input: ["prompt": "x", "duration": 4])
            let expected = ["0.27", "1.2", "0"].map { Decimal(string: $0) ?? -1 }
            #expect(fake.predictions.map(\.billedUSD) == expected)
            #expect(fake.totalBilled == Decimal(string: "1.47"))
            #expect(fake.billed[fake.predictions[0].id] == expected[0])
        }
    }

    @Test func recordsHeadersAndBodies() async throws {
        try await Self.withReplicate { fake in
            _ = try await Self.create(fake, prefer: "wait=1")
            let recorded = try #require(fake.requests(matching: .createPrediction).first)
            #expect(recorded.method == "POST")
            #expect(recorded.path == "/v1/models/google/veo-3.1-fast/predictions")
            #expect(recorded.header("prefer") == "wait=1")
            #expect(recorded.header("Authorization") == "Bearer \(Self.token)")
            #expect(recorded.json?["input"]?["prompt"] == "spin")
            #expect(fake.requests(matching: { $0.method == "POST" }).count == 1)
        }
    }

    @Test func dataRemovalAndAbortOnDemand() async throws {
        try await Self.withReplicate { fake in
            fake.outputVideo = try Self.temporaryVideo(100)
            fake.enqueue(.succeeds(afterPolls: 0), .init(.polls(1), outcome: .aborted))
            let id = try #require(try await Self.create(fake).json?["id"]?.stringValue)
            let output = try #require(fake.prediction(id: id).map { fake.rootURL.appendingPathComponent("delivery/\($0.id)/out.mp4") })
            #expect(try await Self.send("GET", output, headers: ["Authorization": "Bearer \(Self.token)"]).status == 200)
            fake.removeData(id: id)
            let removed = try await Self.get(fake, id)
            #expect(removed.json?["output"] == .null)
            #expect(removed.json?["data_removed"] == true)
            #expect(removed.json?["input"] == [:])
            #expect(try await Self.send("GET", output, headers: ["Authorization": "Bearer \(Self.token)"]).status == 404)

            let aborted = try #require(try await Self.create(fake).json?["id"]?.stringValue)
            let abortedJSON = try await Self.get(fake, aborted).json
            #expect(abortedJSON?["status"] == "aborted")
            #expect(abortedJSON?["started_at"] == .null)
            #expect(abortedJSON?["completed_at"]?.stringValue != nil)
            #expect(fake.totalBilled == 0)
        }
    }
}

/// Issue 9 item 4: an unknown status is reported as such, and a cancel retries briefly.
@Suite struct PredictionStatusAndCancelTests {
    @Test func anUnknownStatusDecodesAsUnknownNotProcessing() throws {
        let json = #"{"id": "p1", "status": "paused_for_review", "output": null}"#
        let prediction = try JSONDecoder().decode(Prediction.self, from: Data(json.utf8))
        #expect(prediction.status == .unknown)
        #expect(prediction.statusText == "paused_for_review")
        #expect(!prediction.status.isTerminal)
    }

    @Test func aCancelRetriesBrieflyThenGivesUp() async throws {
        let fake = FakeReplicate(token: "r8_cancel_token_0000")
        try await fake.start()
        let client = ReplicateClient(
            http: HTTPClient(transport: URLSessionTransport(), policy: RetryPolicy(maxAttempts: 6, baseDelay: .seconds(5), maxDelay: .seconds(60))),
            baseURL: fake.baseURL, token: Secret(variable: "REPLICATE_API_TOKEN", value: fake.token))
        fake.inject(.serverError(status: 503), times: 20, on: .cancelPrediction)
        await #expect(throws: (any Error).self) { _ = try await client.cancel("abc") }
        let attempts = fake.requests(matching: .cancelPrediction).count
        await fake.stop()
        #expect(attempts == ReplicateClient.cancelPolicy.maxAttempts, "bounded, not the build's six attempts")
        // Its own short policy, not the build's minutes-long backoff: the longest it can wait in
        // all is a couple of seconds (checked on the policy, not with a stopwatch).
        let policy = ReplicateClient.cancelPolicy
        let worst = (1..<policy.maxAttempts).reduce(Duration.zero) { total, attempt in
            total + min(policy.baseDelay * (1 << (attempt - 1)), policy.maxDelay)
        }
        #expect(worst <= .seconds(2), "worst-case backoff \(worst)")
    }
}

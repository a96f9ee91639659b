import Foundation
import ReelBasics
import ReelProviders
import Synchronization
import Testing

/// A transport that answers from a script and counts calls: the retry policy tested without sockets.
final class ScriptedTransport: HTTPTransport {
    enum Step: Sendable {
        case respond(Int, [String: String])
        case fail(TransportError)
    }

    private let steps: Mutex<[Step]>
    private let count = Mutex(0)

    init(_ steps: [Step]) {
        self.steps = Mutex(steps)
    }

    var calls: Int { count.withLock { $0 } }

    func next() throws -> HTTPResponse {
        count.withLock { $0 += 1 }
        let step = steps.withLock { $0.isEmpty ? Step.respond(200, [:]) : $0.removeFirst() }
        switch step {
        case .respond(let status, let headers): return HTTPResponse(status: status, headers: headers, body: Data("{}".utf8))
        case .fail(let error): throw error
        }
    }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse { try next() }

    func download(_ request: HTTPRequest, to destination: AbsolutePath) async throws -> (response: HTTPResponse, bytes: Int64) {
        (try next(), 0)
    }
}

/// A clock whose sleeps return at once but are recorded.
final class RecordingClock: Clock, Sendable {
    typealias Instant = ContinuousClock.Instant
    private let slept = Mutex<[Duration]>([])

    var now: Instant { ContinuousClock().now }
    var minimumResolution: Duration { .nanoseconds(1) }
    var sleeps: [Duration] { slept.withLock { $0 } }

    func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        slept.withLock { $0.append(deadline - ContinuousClock().now) }
    }
}

@Suite struct HTTPClientTests {
    let request = HTTPRequest(method: "GET", url: URL(string: "https://api.example.com/v1/predictions/x")!)

    func client(_ transport: ScriptedTransport, clock: RecordingClock = RecordingClock(), attempts: Int = 4) -> HTTPClient {
        HTTPClient(transport: transport, policy: RetryPolicy(maxAttempts: attempts, baseDelay: .milliseconds(100), maxDelay: .seconds(10)), clock: clock)
    }

    @Test func retriesGetOn5xxAnd429ThenSucceeds() async throws {
        let transport = ScriptedTransport([.respond(503, [:]), .respond(429, [:]), .fail(.timedOut), .respond(200, [:])])
        let response = try await client(transport).send(request, mode: .idempotent)
        #expect(response.status == 200)
        #expect(transport.calls == 4)
    }

    @Test func honoursRetryAfter() async throws {
        let clock = RecordingClock()
        let transport = ScriptedTransport([.respond(429, ["Retry-After": "3"]), .respond(200, [:])])
        _ = try await client(transport, clock: clock).send(request, mode: .idempotent)
        let slept = try #require(clock.sleeps.first)
        #expect(slept > .milliseconds(2_900) && slept <= .seconds(3))
    }

    @Test func backoffGrowsAndIsBounded() async throws {
        let clock = RecordingClock()
        let transport = ScriptedTransport(Array(repeating: .respond(500, [:]), count: 10))
        let response = try await client(transport, clock: clock, attempts: 4).send(request, mode: .idempotent)
        #expect(response.status == 500)  // gave up, returned the last answer
        #expect(transport.calls == 4)
        #expect(clock.sleeps.count == 3)
        #expect(clock.sleeps.allSatisfy { $0 <= .seconds(10) })
    }

    @Test func createIsNeverRetriedAfterAnAmbiguousFailure() async throws {
        let post = HTTPRequest(method: "POST", url: URL(string: "https://api.example.com/v1/models/a/b/predictions")!)
        let transport = ScriptedTransport([.fail(.timedOut), .respond(201, [:])])
        await #expect(throws: ProviderError.self) { try await client(transport).send(post, mode: .createOnce) }
        #expect(transport.calls == 1)
        let broken = ScriptedTransport([.fail(.connectionLost("reset")), .respond(201, [:])])
        await #expect(throws: ProviderError.self) { try await client(broken).send(post, mode: .createOnce) }
        #expect(broken.calls == 1)
    }

    @Test func createIsRetriedWhenProvablyNotSentOrThrottled() async throws {
        let post = HTTPRequest(method: "POST", url: URL(string: "https://api.example.com/v1/models/a/b/predictions")!)
        let transport = ScriptedTransport([.fail(.notConnected("refused")), .respond(429, [:]), .respond(201, [:])])
        #expect(try await client(transport).send(post, mode: .createOnce).status == 201)
        #expect(transport.calls == 3)
        let failing = ScriptedTransport([.respond(503, [:]), .respond(201, [:])])
        #expect(try await client(failing).send(post, mode: .createOnce).status == 503)  // no blind retry on 5xx
        #expect(failing.calls == 1)
    }

    @Test func parsesRetryAfterDates() {
        let now = Date(timeIntervalSince1970: 1_000_000)
        let later = DateFormatter()
        later.locale = Locale(identifier: "en_US_POSIX")
        later.timeZone = TimeZone(identifier: "GMT")
        later.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        let text = later.string(from: now.addingTimeInterval(7))
        #expect(RetryPolicy.parseRetryAfter(text, now: now) == .seconds(7))
        #expect(RetryPolicy.parseRetryAfter("1.5") == .milliseconds(1500))
        #expect(RetryPolicy.parseRetryAfter("soon") == nil)
    }

    @Test func secretsAreRedactedEverywhere() throws {
        let secret = try Secret.fromEnvironment("REPLICATE_API_TOKEN", in: ["REPLICATE_API_TOKEN": "  r8_supersecretvalue\n"], prefix: "r8_")
        #expect("\(secret)" == "<REPLICATE_API_TOKEN: redacted>")
        #expect(!String(reflecting: secret).contains("supersecret"))
        #expect(secret.scrub("echo r8_supersecretvalue back") == "echo <redacted> back")
        #expect(throws: CredentialError.missing("XAI_API_KEY")) { try Secret.fromEnvironment("XAI_API_KEY", in: ["XAI_API_KEY": "   "]) }
        #expect(throws: CredentialError.self) { try Secret.fromEnvironment("REPLICATE_API_TOKEN", in: ["REPLICATE_API_TOKEN": "abcdefghij"], prefix: "r8_") }
        #expect(throws: CredentialError.self) { try Secret.fromEnvironment("K", in: ["K": "has space inside"]) }
    }

    @Test func errorBodiesBecomeMessages() {
        let replicate = Data(#"{"detail":"- input.duration: must be one of 4, 6, 8\n","status":422,"title":"Input validation failed","invalid_fields":[{"type":"enum","field":"input.duration","description":"must be one of 4, 6, 8"}]}"#.utf8)
        #expect(ProviderError.message(from: replicate).contains("input.duration: must be one of 4, 6, 8"))
        let xai = Data(#"{"code":"Client specified an invalid argument","error":"Incorrect API key provided: xa***. You can obtain an API key from https://console.x.ai."}"#.utf8)
        #expect(ProviderError.message(from: xai).hasPrefix("Incorrect API key provided"))
    }
}

/// Issue 9 item 11: a 429 on a create proves nothing was created, so it is always safe to wait —
/// paced for the whole provider, honouring Retry-After, failing only at the user's deadline.
@Suite struct RateLimitTests {
    let create = HTTPRequest(method: "POST", url: URL(string: "https://api.example.com/v1/models/a/b/predictions")!)

    @Test func aThrottledCreateWaitsPastTheRetryPolicyUntilItGoesThrough() async throws {
        let transport = ScriptedTransport(Array(repeating: .respond(429, ["Retry-After": "2"]), count: 10) + [.respond(201, [:])])
        let clock = RecordingClock()
        let http = HTTPClient(
            transport: transport, policy: RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(100), maxDelay: .seconds(10)), clock: clock,
            throttle: Throttle(), rateLimitDeadline: .seconds(600))
        let response = try await http.send(create, mode: .createOnce)
        #expect(response.status == 201)
        #expect(transport.calls == 11, "429s do not use up the retry attempts")
        let waited = clock.sleeps.reduce(Duration.zero, +)
        #expect(waited >= .seconds(19), "Retry-After honoured: \(clock.sleeps)")
    }

    @Test func itFailsOnlyWhenTheDeadlineRunsOutSayingHowToWaitLonger() async throws {
        let transport = ScriptedTransport(Array(repeating: .respond(429, ["Retry-After": "5"]), count: 100))
        let http = HTTPClient(
            transport: transport, policy: RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(100), maxDelay: .seconds(10)), clock: RecordingClock(),
            throttle: Throttle(), rateLimitDeadline: .seconds(60))
        do {
            _ = try await http.send(create, mode: .createOnce)
            Issue.record("a create throttled for ever succeeded")
        } catch let error as ProviderError {
            #expect(error.status == 429)
            #expect(error.description.contains("REEL_RATE_LIMIT_DEADLINE_MIN"))
            #expect(error.billing.billed == .none, "a 429 created nothing")
        }
        #expect((5...13).contains(transport.calls), "waits out 429s past the 3 attempts, for at most 60 s of 5 s+ waits: \(transport.calls)")
    }

    @Test func oneThrottleSlowsTheWholeProviderDown() async throws {
        let throttle = Throttle()
        let clock = RecordingClock()
        let first = HTTPClient(
            transport: ScriptedTransport([.respond(429, ["Retry-After": "3"]), .respond(201, [:])]), clock: clock, throttle: throttle)
        let second = HTTPClient(transport: ScriptedTransport([.respond(201, [:])]), clock: clock, throttle: throttle)
        #expect(try await first.send(create, mode: .createOnce).status == 201)
        let before = clock.sleeps.count
        #expect(try await second.send(create, mode: .createOnce).status == 201)
        let secondWaits = clock.sleeps.dropFirst(before)
        #expect(secondWaits.contains { $0 > .milliseconds(100) }, "another node's create is spaced after the 429: \(clock.sleeps)")
    }
}

/// Issue 9 item 8: a call that provably never reached the provider is billed nothing.
@Suite struct NeverSentTests {
    let request = HTTPRequest(method: "POST", url: URL(string: "https://api.example.com/v1/chat/completions")!)

    @Test func aCallThatNeverConnectedIsBilledNothing() async throws {
        let transport = ScriptedTransport(Array(repeating: .fail(.notConnected("connection refused")), count: 3))
        let http = HTTPClient(transport: transport, policy: RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(1)), clock: RecordingClock())
        do {
            _ = try await http.send(request, mode: .idempotent)
            Issue.record("a refused connection succeeded")
        } catch let error as ProviderError {
            #expect(error.billing.billed == .none, "\(error)")
        }
    }

    @Test func aCallThatMayHaveBeenAnsweredCountsItsEstimate() async throws {
        let transport = ScriptedTransport([.fail(.notConnected("refused")), .fail(.timedOut), .fail(.notConnected("refused"))])
        let http = HTTPClient(transport: transport, policy: RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(1)), clock: RecordingClock())
        do {
            _ = try await http.send(request, mode: .idempotent)
            Issue.record("a failing call succeeded")
        } catch let error as ProviderError {
            #expect(error.billing.billed == .estimate, "a timed-out request may have been answered and billed")
        }
    }
}

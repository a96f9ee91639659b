import Foundation
import ReelBasics

/// Sends requests through a transport with Reel's retry policy:
/// - idempotent requests (GET, downloads) are retried on 429, 5xx, timeouts and broken connections;
/// - requests that create something billable (a prediction POST) are retried only when they
///   provably never reached the server, or were refused with 429 — never a blind retry that could
///   pay twice.
/// `Retry-After` is honoured; otherwise exponential backoff with jitter, bounded.
public struct HTTPClient: Sendable {
    /// How a request may be retried.
    public enum RetryMode: Sendable {
        /// Safe to repeat (GET, cancel of a finished prediction, downloads).
        case idempotent
        /// Creates something billable: retry only on 429 or when provably not sent.
        case createOnce
    }

    public let transport: any HTTPTransport
    public let policy: RetryPolicy
    public let clock: any Clock<Duration>
    /// The provider's shared pace for creates (one per provider), if any.
    public let throttle: Throttle?
    /// How long a create may keep waiting out 429s (which prove nothing was created) before it
    /// fails: `REEL_RATE_LIMIT_DEADLINE_MIN`. 429s on a create do not count against `policy`.
    public let rateLimitDeadline: Duration

    public init(
        transport: any HTTPTransport, policy: RetryPolicy = RetryPolicy(), clock: any Clock<Duration> = ContinuousClock(),
        throttle: Throttle? = nil, rateLimitDeadline: Duration = .seconds(30 * 60)
    ) {
        self.transport = transport
        self.policy = policy
        self.clock = clock
        self.throttle = throttle
        self.rateLimitDeadline = rateLimitDeadline
    }

    /// Sends `request`, retrying as `mode` allows. Returns the final response, whatever its
    /// status (callers turn error statuses into `ProviderError`).
    /// - Parameter onRetry: told the attempt number and why, before each retry.
    /// - Throws: `ProviderError.ambiguousCreate` when a create may have been received;
    ///   `ProviderError.exhausted` when transport errors outlast the retries; `CancellationError`.
    public func send(
        _ request: HTTPRequest, mode: RetryMode, onRetry: @Sendable (Int, String) -> Void = { _, _ in }
    ) async throws -> HTTPResponse {
        var waitedOnRateLimits: Duration = .zero
        var rateLimited = 0
        var generator = SystemRandomNumberGenerator()
        return try await retrying(request, mode: mode, onRetry: onRetry) { attempt in
            if mode == .createOnce, let throttle {
                let wait = throttle.reserveSlot()
                if wait > .zero {
                    if rateLimited > 0, waitedOnRateLimits + wait > rateLimitDeadline {
                        throw HTTPClient.rateLimitExpired(request, body: Data(), deadline: rateLimitDeadline)
                    }
                    try await clock.sleep(for: wait)
                    waitedOnRateLimits += wait
                }
            }
            let response = try await transport.send(request)
            if mode == .createOnce, response.status == 429 {
                // Nothing was created: always safe to wait, until the deadline the user can set.
                rateLimited += 1
                let retryAfter = RetryPolicy.parseRetryAfter(response.header("retry-after"))
                var wait: Duration = .zero
                if let throttle {
                    throttle.throttled(retryAfter: retryAfter)  // the next slot carries the wait, for every request
                } else {
                    wait = policy.delay(afterAttempt: min(rateLimited, 10), retryAfter: retryAfter, using: &generator)
                }
                if waitedOnRateLimits + wait > rateLimitDeadline {
                    throw HTTPClient.rateLimitExpired(request, body: response.body, deadline: rateLimitDeadline)
                }
                if wait > .zero {
                    try await clock.sleep(for: wait)
                    waitedOnRateLimits += wait
                }
                return .again(response)
            }
            if mode == .createOnce, (200..<300).contains(response.status) { throttle?.succeeded() }
            return HTTPClient.isRetryable(response.status, mode: mode) && attempt < policy.maxAttempts ? .retry(response) : .done(response)
        }
    }

    /// The create was still refused with 429 when the deadline ran out.
    static func rateLimitExpired(_ request: HTTPRequest, body: Data, deadline: Duration) -> ProviderError {
        .http(
            method: request.method, url: display(request.url), status: 429,
            message: "still rate-limited after waiting \(Int((deadline.inSeconds / 60).rounded(.up))) min (\(ProviderError.message(from: body))); "
                + "nothing was created. Wait and build again, or set REEL_RATE_LIMIT_DEADLINE_MIN to wait longer")
    }

    /// Downloads to `destination` with GET semantics (retried), checking the status.
    /// - Returns: bytes written.
    /// - Throws: `ProviderError.http` for an error status (e.g. 404 once an output expired).
    public func download(
        _ request: HTTPRequest, to destination: AbsolutePath, onRetry: @Sendable (Int, String) -> Void = { _, _ in }
    ) async throws -> Int64 {
        try await retrying(request, mode: .idempotent, onRetry: onRetry) { attempt in
            let (response, bytes) = try await transport.download(request, to: destination)
            if (200..<300).contains(response.status) { return .done(bytes) }
            if HTTPClient.isRetryable(response.status, mode: .idempotent) && attempt < policy.maxAttempts { return .retry(response) }
            let body = (try? Data(contentsOf: URL(fileURLWithPath: destination.pathString)).prefix(2000)) ?? Data()
            throw ProviderError.http(
                method: "GET", url: HTTPClient.display(request.url), status: response.status, message: ProviderError.message(from: Data(body)))
        }
    }

    /// What one attempt decided.
    enum Attempt<Value> {
        case done(Value)
        /// Try again after this (retryable) response.
        case retry(HTTPResponse)
        /// Try again at once (the throttle already paces it), not counted as an attempt.
        case again(HTTPResponse)
    }

    /// The retry loop shared by `send` and `download`: transport errors and retryable answers
    /// wait (Retry-After, else backoff with jitter) and go again, up to the policy's attempts.
    func retrying<Value>(
        _ request: HTTPRequest, mode: RetryMode, onRetry: @Sendable (Int, String) -> Void,
        _ attemptOnce: (Int) async throws -> Attempt<Value>
    ) async throws -> Value {
        var generator = SystemRandomNumberGenerator()
        var attempt = 1
        var neverSent = true
        while true {
            try Task.checkCancellation()
            let reason: String
            var retryAfter: Duration?
            do {
                switch try await attemptOnce(attempt) {
                case .done(let value):
                    return value
                case .retry(let response):
                    neverSent = false
                    reason = "HTTP \(response.status)"
                    retryAfter = RetryPolicy.parseRetryAfter(response.header("retry-after"))
                case .again(let response):
                    neverSent = false
                    onRetry(attempt + 1, "HTTP \(response.status): waiting for the provider's rate limit")
                    continue
                }
            } catch let error as TransportError {
                if mode == .createOnce && !error.provablyNotSent {
                    throw ProviderError.ambiguousCreate(url: HTTPClient.display(request.url), detail: error.description)
                }
                if !error.provablyNotSent { neverSent = false }
                guard attempt < policy.maxAttempts else {
                    throw ProviderError.exhausted(
                        method: request.method, url: HTTPClient.display(request.url), attempts: attempt, last: error.description, neverSent: neverSent)
                }
                reason = error.description
            }
            onRetry(attempt + 1, reason)
            try await clock.sleep(for: policy.delay(afterAttempt: attempt, retryAfter: retryAfter, using: &generator))
            attempt += 1
        }
    }

    static func isRetryable(_ status: Int, mode: RetryMode) -> Bool {
        switch mode {
        case .idempotent: return status == 429 || (500...599).contains(status)
        case .createOnce: return status == 429
        }
    }

    /// A URL for messages: no query string, no user info.
    public static func display(_ url: URL) -> String {
        guard var components = URLComponents(url: url, resolvingAgainstBaseURL: false) else { return url.absoluteString }
        components.query = nil
        components.user = nil
        components.password = nil
        return components.string ?? url.absoluteString
    }
}

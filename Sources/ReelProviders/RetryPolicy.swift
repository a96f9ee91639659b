import Foundation
import ReelBasics

/// When and how long to wait before trying a request again: exponential backoff with full
/// jitter, bounded, and `Retry-After` honoured when the server sends it.
public struct RetryPolicy: Sendable, Equatable {
    /// Attempts in all, including the first.
    public var maxAttempts: Int
    public var baseDelay: Duration
    public var maxDelay: Duration

    public init(maxAttempts: Int = 6, baseDelay: Duration = .milliseconds(500), maxDelay: Duration = .seconds(60)) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    /// The wait before attempt `attempt + 1` (attempt counts from 1), honouring `retryAfter`.
    public func delay<G: RandomNumberGenerator>(afterAttempt attempt: Int, retryAfter: Duration?, using generator: inout G) -> Duration {
        if let retryAfter { return min(retryAfter, maxDelay) }
        let exponent = min(attempt - 1, 20)
        let ceiling = min(baseDelay * (1 << exponent), maxDelay)
        let ceilingMillis = max(1, Int(ceiling.inSeconds * 1000))
        // Full jitter between half and all of the ceiling keeps retries from synchronising.
        return .milliseconds(Int.random(in: (ceilingMillis / 2)...ceilingMillis, using: &generator))
    }

    /// Parses `Retry-After`: delta seconds or an HTTP date.
    public static func parseRetryAfter(_ value: String?, now: Date = Date()) -> Duration? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if let seconds = Double(value), seconds.isFinite, seconds >= 0 { return .milliseconds(Int(min(seconds, 3600) * 1000)) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: value) else { return nil }
        return .milliseconds(max(0, Int(date.timeIntervalSince(now) * 1000)))
    }
}

import Foundation
import ReelBasics
import Synchronization

/// One provider's adaptive pace for billable creates, shared by every request to it: a 429 (which
/// proves nothing was created, so waiting is always safe) pushes everyone's next attempt back by
/// `Retry-After` (or a growing interval), and spaces later creates; successes shrink the spacing
/// again. The whole provider slows down, not each node on its own.
public final class Throttle: Sendable {
    struct State {
        /// No request starts before this.
        var notBefore = Date.distantPast
        /// The spacing between request starts.
        var interval: TimeInterval = 0
        var throttled = 0
    }

    private let state = Mutex(State())
    /// Largest spacing the throttle grows to.
    public let maxInterval: TimeInterval

    public init(maxInterval: TimeInterval = 60) {
        self.maxInterval = maxInterval
    }

    /// How long to wait before sending now (and takes the slot).
    public func reserveSlot(now: Date = Date()) -> Duration {
        state.withLock { state in
            let start = max(now, state.notBefore)
            state.notBefore = start.addingTimeInterval(state.interval)
            return .milliseconds(Int(max(0, start.timeIntervalSince(now)) * 1000))
        }
    }

    /// A 429: everyone waits `retryAfter` (or the grown interval) before the next attempt.
    public func throttled(retryAfter: Duration?, now: Date = Date()) {
        state.withLock { state in
            state.throttled += 1
            state.interval = min(maxInterval, max(state.interval * 2, 0.5))
            let wait = retryAfter.map { $0.inSeconds } ?? state.interval
            state.notBefore = max(state.notBefore, now.addingTimeInterval(wait))
        }
    }

    /// A request got through: ease the spacing off.
    public func succeeded() {
        state.withLock { state in
            state.interval = state.interval * 0.75 < 0.05 ? 0 : state.interval * 0.75
        }
    }

    /// 429s seen so far.
    public var throttledCount: Int { state.withLock { $0.throttled } }
}

/// The throttles of one process, by provider and host: every campaign of a batch that calls the
/// same provider at the same host shares one, so one campaign's 429s slow the provider down for all.
public final class Throttles: Sendable {
    private let byName = Mutex<[String: Throttle]>([:])

    public init() {}

    /// The throttle for `provider` at `host` (made on first use).
    public func throttle(provider: String, host: String) -> Throttle {
        byName.withLock { table in
            let name = "\(provider)@\(host)"
            if let known = table[name] { return known }
            let made = Throttle()
            table[name] = made
            return made
        }
    }
}

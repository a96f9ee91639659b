import Synchronization

/// A counting semaphore for tasks: `acquire` waits (without blocking a thread) until one of
/// `limit` slots is free; waiters are served first come, first served.
public final class AsyncSemaphore: Sendable {
    private struct State {
        var available: Int
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state: Mutex<State>
    public let limit: Int

    public init(limit: Int) {
        self.limit = max(1, limit)
        state = Mutex(State(available: max(1, limit)))
    }

    public func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let granted = state.withLock { state -> Bool in
                if state.available > 0 {
                    state.available -= 1
                    return true
                }
                state.waiters.append(continuation)
                return false
            }
            if granted { continuation.resume() }
        }
    }

    public func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.waiters.isEmpty {
                state.available = min(limit, state.available + 1)
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.resume()
    }

    /// Runs `work` holding a slot.
    public func withSlot<T: Sendable>(_ work: () async throws -> T) async rethrows -> T {
        await acquire()
        defer { release() }
        return try await work()
    }
}

/// What the campaigns of one build share: local ffmpeg work bounded by the cores (or `--jobs`),
/// each paid provider bounded by its concurrency across every campaign, and the stop that one
/// campaign's failure gives the others (unless `--keep-going`).
public final class SharedRun: Sendable {
    public let local: AsyncSemaphore
    private let providers: [String: AsyncSemaphore]
    private let stopped = Mutex(false)

    /// - Parameter providers: the concurrency of each paid provider (`replicate` → 8).
    public init(localSlots: Int, providers: [String: Int]) {
        local = AsyncSemaphore(limit: localSlots)
        self.providers = providers.mapValues { AsyncSemaphore(limit: $0) }
    }

    /// The slots a node of `provider` runs under; `nil` when it is not limited here.
    public func slots(provider: String, paid: Bool) -> AsyncSemaphore? {
        paid ? providers[provider] : local
    }

    /// A campaign failed: the others stop launching new work (without `--keep-going`).
    public func stop() {
        stopped.withLock { $0 = true }
    }

    public var isStopped: Bool { stopped.withLock { $0 } }
}

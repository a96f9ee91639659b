import Foundation
import Synchronization

/// Turns Ctrl-C into task cancellation: the first SIGINT cancels the work (the engine stops
/// launching nodes and keeps what finished); a second one exits at once with 130.
enum InterruptHandler {
    static func run<T: Sendable>(_ work: @escaping @Sendable () async -> T) async -> T {
        let task = Task { await work() }
        let interrupts = Mutex(0)
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler {
            let count = interrupts.withLock { value -> Int in
                value += 1
                return value
            }
            if count > 1 { exit(130) }
            Console.err("interrupted: stopping; finished work is kept (Ctrl-C again to quit now)")
            task.cancel()
        }
        source.resume()
        let value = await task.value
        source.cancel()
        signal(SIGINT, SIG_DFL)
        return value
    }
}

import Foundation
import Synchronization

/// Turns Ctrl-C — and SIGTERM and SIGHUP, what CI runners and closing terminals send — into task
/// cancellation: the first signal cancels the work (the engine stops launching nodes, keeps what
/// finished, journals paid work and ends ffmpeg children); a second one exits at once with 130.
enum InterruptHandler {
    /// The signals handled like Ctrl-C.
    static let signals: [Int32] = [SIGINT, SIGTERM, SIGHUP]

    static func run<T: Sendable>(_ work: @escaping @Sendable () async -> T) async -> T {
        let task = Task { await work() }
        let interrupts = Mutex(0)
        var sources: [any DispatchSourceSignal] = []
        for number in signals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                let count = interrupts.withLock { value -> Int in
                    value += 1
                    return value
                }
                if count > 1 { exit(130) }
                let name = number == SIGINT ? "interrupted" : number == SIGTERM ? "terminated (SIGTERM)" : "hung up (SIGHUP)"
                Console.err("\(name): stopping; finished work is kept and running predictions stay journaled (send it again to quit now)")
                task.cancel()
            }
            source.resume()
            sources.append(source)
        }
        let value = await task.value
        for source in sources { source.cancel() }
        for number in signals { signal(number, SIG_DFL) }
        return value
    }
}

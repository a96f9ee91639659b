import Foundation
import ReelBasics
import Synchronization

/// A process runner that records every call and answers from a script: tests of command
/// construction and error handling that need no real ffmpeg.
public final class FakeProcessRunner: ProcessRunner {
    public typealias Responder = @Sendable (ProcessSpec) -> ProcessResult

    private let calls = Mutex<[ProcessSpec]>([])
    private let responder: Responder

    public init(_ responder: @escaping Responder = { _ in ProcessResult(exitCode: 0) }) {
        self.responder = responder
    }

    public func run(_ spec: ProcessSpec) async throws -> ProcessResult {
        calls.withLock { $0.append(spec) }
        return responder(spec)
    }

    /// Every call so far.
    public var recorded: [ProcessSpec] { calls.withLock { $0 } }
}

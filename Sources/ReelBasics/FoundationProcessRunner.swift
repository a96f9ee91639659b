import Foundation
import Synchronization

/// Runs processes with `Foundation.Process`.
///
/// Output goes to unlinked temporary files rather than pipes, so a chatty child can never block on
/// a full pipe and no reader thread is needed (tuist's note: on Linux `readabilityHandler` can miss
/// EOF). Cancelling the calling task sends SIGTERM, then SIGKILL after two seconds.
public final class FoundationProcessRunner: ProcessRunner {
    private let resolved = Mutex<[String: String]>([:])

    public init() {}

    public func run(_ spec: ProcessSpec) async throws -> ProcessResult {
        try Task.checkCancellation()
        let executable = try resolve(spec.executable)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = spec.arguments
        if !spec.environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(spec.environment) { _, new in new }
        }
        if let directory = spec.workingDirectory {
            process.currentDirectoryURL = URL(fileURLWithPath: directory.pathString)
        }
        let stdout = try CaptureFile()
        let stderr = try CaptureFile()
        process.standardOutput = stdout.handle
        process.standardError = stderr.handle
        process.standardInput = FileHandle.nullDevice

        let exitCode: Int32 = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Int32, any Error>) in
                process.terminationHandler = { finished in
                    continuation.resume(returning: finished.terminationStatus)
                }
                do {
                    try process.run()
                } catch {
                    process.terminationHandler = nil
                    continuation.resume(throwing: ProcessError.executableNotFound(spec.executable))
                }
            }
        } onCancel: {
            FoundationProcessRunner.terminate(process)
        }
        let result = ProcessResult(exitCode: exitCode, standardOutput: stdout.contents(), standardError: stderr.contents())
        if Task.isCancelled { throw CancellationError() }
        return result
    }

    private static func terminate(_ process: Process) {
        guard process.isRunning else { return }
        process.terminate()
        let pid = process.processIdentifier
        DispatchQueue.global().asyncAfter(deadline: .now() + 2) {
            if process.isRunning { kill(pid, SIGKILL) }
        }
    }

    /// Finds `name` on `PATH` (or accepts a path), remembering the answer.
    public func resolve(_ name: String) throws -> String {
        if name.contains("/") { return name }
        if let known = resolved.withLock({ $0[name] }) { return known }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if access(candidate, X_OK) == 0 {
                resolved.withLock { $0[name] = candidate }
                return candidate
            }
        }
        throw ProcessError.executableNotFound(name)
    }
}

/// An unlinked temporary file that captures a child's output.
private final class CaptureFile {
    let handle: FileHandle

    init() throws {
        var template = Array((NSTemporaryDirectory() + "/reel-capture-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress.map { mkstemp($0) } ?? -1
        }
        guard fd >= 0 else { throw FileSystemError.posix(op: "create", path: "temporary capture file", errno: errno) }
        template.withUnsafeBufferPointer { buffer in
            if let base = buffer.baseAddress { unlink(base) }
        }
        handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
    }

    func contents() -> Data {
        (try? handle.seek(toOffset: 0)).flatMap { _ in try? handle.readToEnd() } ?? Data()
    }
}

import Foundation

/// A process to run: an executable (a name looked up on `PATH`, or a path) and its arguments.
public struct ProcessSpec: Sendable, Equatable, CustomStringConvertible {
    public var executable: String
    public var arguments: [String]
    /// Extra environment variables; the rest is inherited.
    public var environment: [String: String]
    public var workingDirectory: AbsolutePath?

    public init(_ executable: String, _ arguments: [String], environment: [String: String] = [:], workingDirectory: AbsolutePath? = nil) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
    }

    /// The command line, shell-quoted where needed, for messages.
    public var description: String {
        ([executable] + arguments).map(ProcessSpec.quote).joined(separator: " ")
    }

    static func quote(_ word: String) -> String {
        let safe = word.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || "-_./=:,+@%".unicodeScalars.contains($0) }
        return safe && !word.isEmpty ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

/// What a finished process left behind.
public struct ProcessResult: Sendable, Equatable {
    public var exitCode: Int32
    public var standardOutput: Data
    public var standardError: Data

    public init(exitCode: Int32, standardOutput: Data = Data(), standardError: Data = Data()) {
        self.exitCode = exitCode
        self.standardOutput = standardOutput
        self.standardError = standardError
    }

    /// Standard output as UTF-8 text (lossy).
    public var outputText: String { String(decoding: standardOutput, as: UTF8.self) }
    /// Standard error as UTF-8 text (lossy).
    public var errorText: String { String(decoding: standardError, as: UTF8.self) }
}

/// The process seam. The real implementation is `SpawnProcessRunner`; tests use
/// `FakeProcessRunner` from ReelTestSupport, which scripts results and records calls.
public protocol ProcessRunner: Sendable {
    /// Runs the process to completion. Cancelling the task terminates the process.
    /// - Returns: its exit code and captured output, whatever the exit code.
    /// - Throws: `ProcessError.executableNotFound` or `CancellationError`.
    func run(_ spec: ProcessSpec) async throws -> ProcessResult
}

extension ProcessRunner {
    /// Runs the process and requires exit code 0.
    /// - Throws: `ProcessError.terminated` with the command, status and the tail of stderr.
    public func checkedRun(_ spec: ProcessSpec) async throws -> ProcessResult {
        let result = try await run(spec)
        guard result.exitCode == 0 else {
            throw ProcessError.terminated(command: spec.description, status: result.exitCode, stderrTail: ProcessError.tail(of: result.errorText))
        }
        return result
    }
}

/// Failures to run external programs.
public enum ProcessError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The executable is not on `PATH`.
    case executableNotFound(String)
    /// The process exited with a non-zero status.
    case terminated(command: String, status: Int32, stderrTail: String)

    public var description: String {
        switch self {
        case .executableNotFound(let name):
            let hint = name == "ffmpeg" || name == "ffprobe" ? " (install it: sudo apt-get install -y ffmpeg)" : ""
            return "'\(name)' was not found on PATH\(hint)"
        case .terminated(let command, let status, let tail):
            // One line naming the cause; the command and the whole error output are in `detail`.
            let program = command.split(separator: " ").first.map { String($0.split(separator: "/").last ?? $0) } ?? "a command"
            let cause = tail.split(separator: "\n").last.map { ": " + $0.trimmingCharacters(in: .whitespaces) } ?? ""
            return "\(program) failed with exit status \(status)\(cause)"
        }
    }

    /// The command line and its error output, for `--verbose`; `nil` when there is nothing more.
    public var detail: String? {
        guard case .terminated(let command, _, let tail) = self else { return nil }
        return "command: \(command)" + (tail.isEmpty ? "" : "\n" + tail)
    }

    /// The last `lines` lines of `text`.
    public static func tail(of text: String, lines: Int = 20) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: true).suffix(lines).joined(separator: "\n")
    }
}

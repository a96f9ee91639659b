import Foundation
import ReelBasics

/// Runs the built `reel` executable, as a user would (argument-parser's `AssertExecuteCommand`).
public enum ReelBinary {
    /// The `reel` binary next to the test bundle, or `$REEL_BINARY`.
    public static var path: String {
        if let explicit = ProcessInfo.processInfo.environment["REEL_BINARY"], !explicit.isEmpty { return explicit }
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var directory = URL(fileURLWithPath: executable).deletingLastPathComponent()
        // On Linux the test runner is <build>/debug/<Package>PackageTests.xctest.
        for _ in 0..<3 {
            let candidate = directory.appendingPathComponent("reel").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return Fixtures.packageRoot.appending(".build/debug/reel").pathString
    }

    /// What a run left behind.
    public struct Result: Sendable {
        public var exitCode: Int32
        public var stdout: String
        public var stderr: String

        /// The last non-empty line of standard output, parsed as a JSON object.
        public var lastJSON: [String: Any]? {
            guard let line = stdout.split(separator: "\n").last,
                let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            else { return nil }
            return object
        }
    }

    /// Runs `reel` with `arguments` in `directory`, with extra environment variables. Waits
    /// without blocking a thread, so in-process fake servers keep serving meanwhile.
    public static func run(
        _ arguments: [String], in directory: AbsolutePath, environment: [String: String] = [:], timeout: TimeInterval = 600
    ) async throws -> Result {
        var variables = environment
        variables["NO_COLOR"] = "1"
        let outcome = try await runProcess(path, arguments, in: directory, environment: variables, timeout: timeout)
        return Result(exitCode: outcome.exitCode, stdout: outcome.stdout, stderr: outcome.stderr)
    }

    /// Starts `reel` without waiting (for interrupt and crash tests).
    public static func start(_ arguments: [String], in directory: AbsolutePath, environment: [String: String] = [:]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory.pathString)
        var variables = ProcessInfo.processInfo.environment
        variables["NO_COLOR"] = "1"
        for (key, value) in environment { variables[key] = value }
        process.environment = variables
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return process
    }
}

/// What a finished child process left behind.
public struct ProcessOutcome: Sendable {
    public var exitCode: Int32
    public var stdoutData: Data
    public var stderr: String

    public var stdout: String { String(decoding: stdoutData, as: UTF8.self) }
}

/// Runs a program to completion without blocking a cooperative thread (the termination handler
/// resumes the task), terminating it after `timeout` seconds.
public func runProcess(
    _ executable: String, _ arguments: [String], in directory: AbsolutePath? = nil, environment: [String: String] = [:],
    timeout: TimeInterval = 600
) async throws -> ProcessOutcome {
    let process = Process()
    if executable.contains("/") {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
    } else {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [executable] + arguments
    }
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory.pathString) }
    var variables = ProcessInfo.processInfo.environment
    for (key, value) in environment { variables[key] = value }
    process.environment = variables
    let out = try TemporaryCapture()
    let err = try TemporaryCapture()
    process.standardOutput = out.handle
    process.standardError = err.handle
    process.standardInput = FileHandle.nullDevice
    let status: Int32 = try await withCheckedThrowingContinuation { continuation in
        process.terminationHandler = { finished in continuation.resume(returning: finished.terminationStatus) }
        do {
            try process.run()
        } catch {
            process.terminationHandler = nil
            continuation.resume(throwing: error)
            return
        }
        let pid = process.processIdentifier
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout) {
            if process.isRunning { kill(pid, SIGKILL) }
        }
    }
    return ProcessOutcome(exitCode: status, stdoutData: out.data(), stderr: err.text())
}

/// Waits for a started process to exit, without blocking a cooperative thread.
public func waitForExit(_ process: Process, timeout: TimeInterval = 600) async -> Int32 {
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning {
        if Date() > deadline { kill(process.processIdentifier, SIGKILL) }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return process.terminationStatus
}

/// Captures a child's output in an unlinked temporary file.
final class TemporaryCapture {
    let handle: FileHandle

    init() throws {
        let path = NSTemporaryDirectory() + "/reel-test-capture-" + UUID().uuidString
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        guard let handle = FileHandle(forUpdatingAtPath: path) else { throw InternalError("cannot create \(path)") }
        unlink(path)
        self.handle = handle
    }

    func data() -> Data {
        try? handle.seek(toOffset: 0)
        return (try? handle.readToEnd()) ?? Data()
    }

    func text() -> String {
        String(decoding: data(), as: UTF8.self)
    }
}

/// Runs ffprobe on a file and returns (duration, width, height, fps, has audio).
public func probeVideo(_ path: AbsolutePath) async throws -> (duration: Double, width: Int, height: Int, fps: Double, hasAudio: Bool) {
    let outcome = try await runProcess("ffprobe", ["-v", "error", "-print_format", "json", "-show_streams", "-show_format", path.pathString])
    guard let object = try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any],
        let streams = object["streams"] as? [[String: Any]],
        let video = streams.first(where: { $0["codec_type"] as? String == "video" })
    else { throw InternalError("ffprobe could not read \(path)") }
    let duration = Double(video["duration"] as? String ?? "") ?? Double((object["format"] as? [String: Any])?["duration"] as? String ?? "") ?? 0
    let rate = (video["avg_frame_rate"] as? String ?? "0/1").split(separator: "/").compactMap { Double($0) }
    let fps = rate.count == 2 && rate[1] > 0 ? rate[0] / rate[1] : 0
    let hasAudio = streams.contains { $0["codec_type"] as? String == "audio" }
    return (duration, video["width"] as? Int ?? 0, video["height"] as? Int ?? 0, fps, hasAudio)
}

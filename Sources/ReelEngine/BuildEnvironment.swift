import Foundation
import ReelBasics

/// The seams a build runs on: file system, processes, clock and environment. Commands build the
/// live one; tests substitute fakes. No singletons, no task-local service locators.
public struct BuildEnvironment: Sendable {
    public var fileSystem: any FileSystem
    public var runner: any ProcessRunner
    public var clock: any Clock<Duration>
    /// Wall-clock time, for records (never for keys).
    public var now: @Sendable () -> Date
    /// The process environment (credentials are read from here and nowhere else).
    public var variables: [String: String]

    public init(
        fileSystem: any FileSystem, runner: any ProcessRunner, clock: any Clock<Duration> = ContinuousClock(),
        now: @escaping @Sendable () -> Date = { Date() }, variables: [String: String] = [:]
    ) {
        self.fileSystem = fileSystem
        self.runner = runner
        self.clock = clock
        self.now = now
        self.variables = variables
    }

    /// The real machine.
    public static func live() -> BuildEnvironment {
        BuildEnvironment(
            fileSystem: LocalFileSystem(), runner: SpawnProcessRunner(), variables: ProcessInfo.processInfo.environment)
    }
}

/// ISO 8601 in UTC, for records.
func iso8601(_ date: Date) -> String {
    Timestamp.iso8601(date)
}

/// A position in a source file (1-based line and column).
public struct SourceLocation: Sendable, Equatable, Hashable, Comparable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// `file:line:col`.
    public var description: String { "\(file):\(line):\(column)" }

    public static func < (lhs: SourceLocation, rhs: SourceLocation) -> Bool {
        (lhs.file, lhs.line, lhs.column) < (rhs.file, rhs.line, rhs.column)
    }
}

/// A message for the user about a file or a build, compiler style.
public struct Diagnostic: Error, Sendable, Equatable, Hashable, CustomStringConvertible {
    /// How bad it is.
    public enum Severity: String, Sendable, Equatable, Hashable { case error, warning, note }

    public var severity: Severity
    public var message: String
    public var location: SourceLocation?

    public init(_ severity: Severity, _ message: String, at location: SourceLocation? = nil) {
        self.severity = severity
        self.message = message
        self.location = location
    }

    /// An error diagnostic.
    public static func error(_ message: String, at location: SourceLocation? = nil) -> Diagnostic {
        Diagnostic(.error, message, at: location)
    }

    /// A warning diagnostic.
    public static func warning(_ message: String, at location: SourceLocation? = nil) -> Diagnostic {
        Diagnostic(.warning, message, at: location)
    }

    /// `path:line:col: error: message`, or `error: message` without a location.
    public var description: String {
        if let location { return "\(location): \(severity.rawValue): \(message)" }
        return "\(severity.rawValue): \(message)"
    }
}

/// A broken invariant inside Reel: never the user's fault.
public struct InternalError: Error, Sendable, CustomStringConvertible {
    public let message: String

    public init(_ message: String, file: StaticString = #fileID, line: UInt = #line) {
        self.message = "\(message) (\(file):\(line))"
    }

    public var description: String {
        "internal error: \(message); please report this at https://github.com/reel-build/reel/issues"
    }
}

import Foundation
import ReelBasics

/// Writes to standard output and standard error. Only ReelCommands prints.
enum Console {
    private static let lock = NSLock()

    /// A line on standard output.
    static func out(_ line: String) {
        write(line + "\n", to: FileHandle.standardOutput)
    }

    /// A line on standard error.
    static func err(_ line: String) {
        write(line + "\n", to: FileHandle.standardError)
    }

    static func write(_ text: String, to handle: FileHandle) {
        lock.lock()
        defer { lock.unlock() }
        handle.write(Data(text.utf8))
    }

    /// Prints diagnostics to standard error, compiler style.
    static func print(_ diagnostics: [Diagnostic]) {
        for diagnostic in diagnostics { err(diagnostic.description) }
    }

    /// Whether standard error is a terminal that wants colour.
    static var useColor: Bool {
        isatty(2) != 0 && ProcessInfo.processInfo.environment["NO_COLOR"].map(\.isEmpty) ?? true
            && ProcessInfo.processInfo.environment["TERM"] != "dumb"
    }

    /// One JSON object on one line.
    static func json(_ value: Any) {
        guard let text = OutputJSON.text(value) else { return }
        out(text)
    }
}


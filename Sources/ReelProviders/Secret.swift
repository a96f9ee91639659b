import Foundation

/// A credential. Its description is redacted, so interpolating it into a message, a log line or
/// an error can never leak it; only `HTTPClient` reads `value` to build the header.
public struct Secret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The environment variable it came from (safe to show).
    public let variable: String
    /// The credential itself: readable inside the package only (HTTP clients building headers).
    package let value: String

    public init(variable: String, value: String) {
        self.variable = variable
        self.value = value
    }

    public var description: String { "<\(variable): redacted>" }
    public var debugDescription: String { description }
    /// `dump()` and reflection show the variable, never the value.
    public var customMirror: Mirror { Mirror(self, children: ["variable": variable, "value": "<redacted>"]) }

    /// `Bearer <token>`.
    var bearer: String { "Bearer " + value }

    /// Removes every occurrence of the secret from `text` (for echoed error bodies).
    public func scrub(_ text: String) -> String {
        guard value.count >= 4 else { return text }
        return text.replacingOccurrences(of: value, with: "<redacted>")
    }

    /// Reads a credential from the environment: trimmed, and checked for shape.
    /// - Parameters:
    ///   - variable: the variable's name (`REPLICATE_API_TOKEN`).
    ///   - prefix: a prefix real tokens have (`r8_`), if known.
    /// - Throws: `CredentialError` naming the variable, never showing the value.
    public static func fromEnvironment(_ variable: String, in environment: [String: String], prefix: String? = nil) throws -> Secret {
        guard let raw = environment[variable] else { throw CredentialError.missing(variable) }
        let value = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !value.isEmpty else { throw CredentialError.missing(variable) }
        guard value.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7f }) else {
            throw CredentialError.malformed(variable, "it contains spaces or characters that cannot go in an HTTP header")
        }
        guard value.count >= 8 else { throw CredentialError.malformed(variable, "it is too short to be a key") }
        if let prefix, !value.hasPrefix(prefix) {
            throw CredentialError.malformed(variable, "tokens start with '\(prefix)'")
        }
        return Secret(variable: variable, value: value)
    }
}

/// A credential problem, found before anything is spent.
public enum CredentialError: Error, Sendable, Equatable, CustomStringConvertible {
    case missing(String)
    case malformed(String, String)

    public var description: String {
        switch self {
        case .missing(let variable):
            return "\(variable) is not set; export it (e.g. `export \(variable)=...`) or use quality: draft, which needs no key"
        case .malformed(let variable, let why):
            return "\(variable) does not look like a valid key: \(why); check the value you exported"
        }
    }
}

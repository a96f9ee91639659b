import Foundation
import ReelBasics
import Yams

/// Parses manifest text into a `Manifest`, reporting every problem it finds as
/// `file:line:col: error: message`.
public enum ManifestParser {
    /// The outcome of parsing: a manifest when there were no errors, and all diagnostics.
    public struct Outcome: Sendable {
        public var manifest: Manifest?
        public var diagnostics: [Diagnostic]
    }

    /// Identifiers: campaign ids and asset ids.
    static let idPattern = "^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"
    static let campaignIDPattern = "^[a-z0-9][a-z0-9_-]{0,63}$"

    /// Parses raw bytes (any input: this never crashes or hangs).
    /// - Parameters:
    ///   - bytes: the file's contents.
    ///   - file: the path shown in diagnostics.
    public static func parse(bytes: [UInt8], file: String) -> Outcome {
        switch ManifestPrescan.check(bytes, file: file) {
        case .failure(let diagnostic): return Outcome(manifest: nil, diagnostics: [diagnostic])
        case .success(let text): return compose(text: text, file: file)
        }
    }

    /// Parses manifest text.
    public static func parse(text: String, file: String) -> Outcome {
        parse(bytes: Array(text.utf8), file: file)
    }

    private static func compose(text: String, file: String) -> Outcome {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            return Outcome(manifest: nil, diagnostics: [yamlDiagnostic(error, file: file)])
        }
        guard let root, root.tagName != .null else {
            let message = "manifest is empty; it needs at least 'version: 1', 'campaign' and 'assets'"
            return Outcome(manifest: nil, diagnostics: [.error(message, at: SourceLocation(file: file, line: 1, column: 1))])
        }
        let reader = YAMLNodeReader(file: file)
        let manifest = ManifestDecoder(reader: reader).decode(root)
        let all = QuoteCheck.runaways(in: root, text: text, file: file) + reader.diagnostics
        let errors = all.filter { $0.severity == .error }
        let sorted = all.sorted { ($0.location ?? SourceLocation(file: "", line: 0, column: 0)) < ($1.location ?? SourceLocation(file: "", line: 0, column: 0)) }
        return Outcome(manifest: errors.isEmpty ? manifest : nil, diagnostics: sorted)
    }

    /// The position itself, or the end of the text when it lies past it: at the end of a file that
    /// lacks a final line break, libyaml reports the line after the last.
    static func withinText(line: Int, column: Int, _ text: String) -> (line: Int, column: Int) {
        var lines = 1
        var lastLineLength = 0
        var previous: Unicode.Scalar = " "
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n" where previous == "\r":
                break
            case "\n", "\r", "\u{85}", "\u{2028}", "\u{2029}":
                lines += 1
                lastLineLength = 0
            default:
                lastLineLength += 1
            }
            previous = scalar
        }
        return line > lines ? (lines, lastLineLength + 1) : (line, column)
    }

    static func yamlDiagnostic(_ error: any Error, file: String) -> Diagnostic {
        guard let yamlError = error as? YamlError else {
            return .error("cannot read YAML: \(error)", at: SourceLocation(file: file, line: 1, column: 1))
        }
        switch yamlError {
        case .scanner(let context, let problem, let mark, let yaml), .parser(let context, let problem, let mark, let yaml),
            .composer(let context, let problem, let mark, let yaml):
            let prefix = context.map { "\($0.text) " } ?? ""
            // A quote never closed: point at where it opens, not at the end of the file.
            if let context, context.text.contains("quoted scalar") {
                return .error(
                    "invalid YAML: this quote is never closed (\(problem) at line \(withinText(line: mark.line, column: mark.column, yaml).line)); add the closing quote",
                    at: SourceLocation(file: file, line: context.mark.line, column: context.mark.column))
            }
            let (line, column) = withinText(line: mark.line, column: mark.column, yaml)
            return .error("invalid YAML: \(prefix)\(problem)", at: SourceLocation(file: file, line: line, column: column))
        case .reader(let problem, let offset, let value, let yaml):
            // The offset counts characters; libyaml's lines and columns count Unicode scalars.
            var line = 1
            var column = 1
            for scalar in yaml.prefix(offset ?? 0).unicodeScalars {
                if scalar == "\n" {
                    line += 1
                    column = 1
                } else if scalar != "\r" {
                    column += 1
                }
            }
            let character = value >= 0 ? " (U+\(String(UInt32(value), radix: 16, uppercase: true).leftPadded(to: 4)))" : ""
            return .error("invalid YAML: \(problem)\(character)", at: SourceLocation(file: file, line: line, column: column))
        case .duplicatedKeysInMapping(let duplicates, let context):
            let names = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            return .error("duplicate key \(names)", at: SourceLocation(file: file, line: context.mark.line, column: context.mark.column))
        default:
            return .error("invalid YAML: \(yamlError)", at: SourceLocation(file: file, line: 1, column: 1))
        }
    }
}

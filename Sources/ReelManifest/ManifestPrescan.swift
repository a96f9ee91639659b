import ReelBasics

/// Cheap checks on the raw text before YAML parsing, so that no input can crash or hang the
/// parser: size, encoding, NUL bytes, and nesting depth (the composer recurses per level).
enum ManifestPrescan {
    /// The largest manifest Reel reads.
    static let maximumBytes = 4 << 20
    /// Deepest `[`/`{` nesting accepted.
    static let maximumFlowDepth = 64
    /// Widest indentation accepted (bounds block nesting).
    static let maximumIndentation = 256
    /// Most `- ` or `? ` indicators at the start of one line (compact nesting).
    static let maximumCompactIndicators = 32

    /// Returns the text when it is safe to parse, or one diagnostic that says why not.
    static func check(_ bytes: [UInt8], file: String) -> Result<String, Diagnostic> {
        func fail(_ message: String, line: Int = 1, column: Int = 1) -> Result<String, Diagnostic> {
            .failure(.error(message, at: SourceLocation(file: file, line: line, column: column)))
        }
        guard bytes.count <= maximumBytes else {
            return fail("manifest is \(bytes.count) bytes; the limit is \(maximumBytes) bytes")
        }
        var line = 1
        var column = 1
        for byte in bytes {
            if byte == 0 { return fail("manifest contains a NUL byte; is it a binary file?", line: line, column: column) }
            if byte == 10 {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            return fail("manifest is not valid UTF-8 text")
        }
        if let problem = nestingProblem(bytes) { return fail(problem.message, line: problem.line, column: problem.column) }
        return .success(text)
    }

    private static func nestingProblem(_ bytes: [UInt8]) -> (message: String, line: Int, column: Int)? {
        var depth = 0
        var line = 1
        var column = 0
        var atLineStart = true
        var indentation = 0
        var compact = 0
        var quote: UInt8?
        var inComment = false
        var previous: UInt8 = 10
        for byte in bytes {
            column += 1
            if byte == 10 {
                line += 1
                column = 0
                atLineStart = true
                indentation = 0
                compact = 0
                inComment = false
                if quote == UInt8(ascii: "'") { quote = nil }
                previous = byte
                continue
            }
            if inComment { continue }
            if let open = quote {
                if byte == open { quote = nil }
                previous = byte
                continue
            }
            if atLineStart {
                if byte == 32 {
                    indentation += 1
                    if indentation > maximumIndentation {
                        return ("line is indented more than \(maximumIndentation) columns", line, column)
                    }
                    previous = byte
                    continue
                }
                if byte == UInt8(ascii: "-") || byte == UInt8(ascii: "?") {
                    compact += 1
                    if compact > maximumCompactIndicators {
                        return ("more than \(maximumCompactIndicators) nested collections start on one line", line, column)
                    }
                    previous = byte
                    continue
                }
                atLineStart = false
            }
            switch byte {
            case UInt8(ascii: "#") where previous == 32 || previous == 9 || column == 1:
                inComment = true
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                if previous == 32 || previous == 9 || previous == UInt8(ascii: "[") || previous == UInt8(ascii: "{")
                    || previous == UInt8(ascii: ",") || previous == UInt8(ascii: ":") || previous == UInt8(ascii: "-") {
                    quote = byte
                }
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth > maximumFlowDepth {
                    return ("collections are nested more than \(maximumFlowDepth) levels deep", line, column)
                }
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                depth = max(0, depth - 1)
            default:
                break
            }
            previous = byte
        }
        return nil
    }
}

import CYaml
import ReelBasics

/// Cheap checks before the YAML tree is composed, so that no input can crash or hang the parser:
/// size, NUL bytes and encoding on the raw bytes, then nesting depth and alias expansion on
/// libyaml's event stream. Yams composes the tree recursively (one call per level) and hashes
/// every mapping key in full, so a deep document, or an alias bomb used as a key, would crash or
/// hang it; libyaml's event parser is iterative and never expands aliases.
enum ManifestPrescan {
    /// The largest manifest Reel reads.
    static let maximumBytes = 4 << 20
    /// Deepest nesting of collections (flow or block) accepted.
    static let maximumDepth = 64
    /// Most values that aliases may add to the document when expanded.
    static let maximumAliasValues = YAMLNodeReader.maximumNodes

    /// A problem and where it starts (1-based, columns in characters as libyaml counts them).
    struct Problem {
        var message: String
        var line: Int
        var column: Int
    }

    /// Returns the text when it is safe to parse (without a UTF-8 byte order mark, which Yams
    /// would read as text), or one diagnostic that says why not.
    static func check(_ input: [UInt8], file: String) -> Result<String, Diagnostic> {
        func fail(_ problem: Problem) -> Result<String, Diagnostic> {
            .failure(.error(problem.message, at: SourceLocation(file: file, line: problem.line, column: problem.column)))
        }
        guard input.count <= maximumBytes else {
            return fail(Problem(message: "manifest is \(input.count) bytes; the limit is \(maximumBytes) bytes", line: 1, column: 1))
        }
        let bytes = input.starts(with: [0xEF, 0xBB, 0xBF]) ? Array(input.dropFirst(3)) : input
        if let problem = encodingProblem(bytes) { return fail(problem) }
        if let problem = structureProblem(bytes) { return fail(problem) }
        return .success(String(decoding: bytes, as: UTF8.self))
    }

    /// The first NUL character or invalid UTF-8 sequence.
    private static func encodingProblem(_ bytes: [UInt8]) -> Problem? {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var line = 1
        var column = 1
        while true {
            switch decoder.decode(&iterator) {
            case .emptyInput:
                return nil
            case .error:
                return Problem(message: "manifest is not valid UTF-8 text", line: line, column: column)
            case .scalarValue(let scalar):
                if scalar == "\u{0}" {
                    return Problem(message: "manifest contains a NUL byte; is it a binary file?", line: line, column: column)
                }
                if scalar == "\n" {
                    line += 1
                    column = 1
                } else {
                    column += 1
                }
            }
        }
    }

    /// Walks libyaml's events: too deep a nesting, or aliases that expand to too many values.
    /// Syntax errors are left to the composer, which reports them with their location.
    private static func structureProblem(_ bytes: [UInt8]) -> Problem? {
        guard !bytes.isEmpty else { return nil }
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return nil }
        defer { yaml_parser_delete(&parser) }
        return bytes.withUnsafeBufferPointer { buffer -> Problem? in
            guard let base = buffer.baseAddress else { return nil }
            yaml_parser_set_input_string(&parser, base, buffer.count)
            var walk = EventWalk()
            var event = yaml_event_t()
            while yaml_parser_parse(&parser, &event) == 1 {
                let problem = walk.visit(event)
                let finished = event.type == YAML_STREAM_END_EVENT
                yaml_event_delete(&event)
                if problem != nil || finished { return problem }
            }
            // libyaml stops at 1,000 levels on its own, sometimes before the events reach 64
            // (it scans a long line of brackets ahead); that is the same problem.
            if parser.error == YAML_PARSER_ERROR, let problem = parser.problem, String(cString: problem).hasPrefix("Maximum nesting level") {
                let message = "collections are nested more than \(ManifestPrescan.maximumDepth) levels deep"
                return Problem(message: message, line: Int(parser.problem_mark.line) + 1, column: Int(parser.problem_mark.column) + 1)
            }
            return nil
        }
    }

    /// Depth and alias bookkeeping over the event stream.
    private struct EventWalk {
        /// The open collections: their anchors and expanded sizes so far.
        var open: [(anchor: String?, size: Int)] = []
        /// The expanded size of each anchored value.
        var anchored: [String: Int] = [:]
        /// Values added by expanding aliases so far.
        var aliasValues = 0
        /// Sizes are counted up to here, so that nested aliases cannot overflow them.
        let cap = ManifestPrescan.maximumAliasValues + 1

        mutating func visit(_ event: yaml_event_t) -> Problem? {
            let line = Int(event.start_mark.line) + 1
            let column = Int(event.start_mark.column) + 1
            switch event.type {
            case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                let anchor = event.type == YAML_SEQUENCE_START_EVENT
                    ? name(event.data.sequence_start.anchor) : name(event.data.mapping_start.anchor)
                open.append((anchor, 1))
                if open.count > ManifestPrescan.maximumDepth {
                    let message = "collections are nested more than \(ManifestPrescan.maximumDepth) levels deep"
                    return Problem(message: message, line: line, column: column)
                }
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                if let closed = open.popLast() { finish(closed.anchor, size: closed.size) }
            case YAML_SCALAR_EVENT:
                finish(name(event.data.scalar.anchor), size: 1)
            case YAML_ALIAS_EVENT:
                let size = name(event.data.alias.anchor).flatMap { anchored[$0] } ?? 1
                aliasValues += size
                if aliasValues > ManifestPrescan.maximumAliasValues {
                    let message = "aliases expand the manifest to more than \(ManifestPrescan.maximumAliasValues) values; write the values out instead"
                    return Problem(message: message, line: line, column: column)
                }
                finish(nil, size: size)
            default:
                break
            }
            return nil
        }

        private mutating func finish(_ anchor: String?, size: Int) {
            if let anchor { anchored[anchor] = size }
            if let last = open.indices.last { open[last].size = min(open[last].size + size, cap) }
        }

        private func name(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
            pointer.map { String(cString: $0) }
        }
    }
}

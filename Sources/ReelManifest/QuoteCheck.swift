import ReelBasics
import Yams

/// Finds a quote left open by mistake. YAML lets a quoted string run over several lines, so a
/// missing closing quote is not a syntax error when a later line has a quote: the string silently
/// swallows the keys in between (`voice: "warm` takes in `colors: [` up to its first `"`), and
/// whatever breaks is reported far away. A quoted string that is not closed on its own line and
/// takes in a line that looks like `key:` or `- key:` is reported where it opens.
enum QuoteCheck {
    static func runaways(in root: Node, text: String, file: String) -> [Diagnostic] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0.unicodeScalars) }
        var seen = Set<Int>()
        var found: [Diagnostic] = []
        var stack = [root]
        var budget = YAMLNodeReader.maximumNodes
        while let node = stack.popLast(), budget > 0 {
            budget -= 1
            switch node {
            case .scalar(let scalar):
                guard scalar.style == .doubleQuoted || scalar.style == .singleQuoted, let mark = node.mark,
                    seen.insert(mark.line * 100_000 + mark.column).inserted,
                    let problem = runaway(lines: lines, line: mark.line, column: mark.column, double: scalar.style == .doubleQuoted)
                else { continue }
                found.append(.error(problem, at: SourceLocation(file: file, line: mark.line, column: mark.column)))
            case .mapping(let mapping):
                for (key, value) in mapping { stack += [value, key] }
            case .sequence(let sequence):
                stack += sequence.reversed()
            case .alias:
                continue
            }
        }
        return found
    }

    /// A message when the quote at `line`:`column` (1-based) runs past its line over a `key:` line.
    static func runaway(lines: [[Unicode.Scalar]], line: Int, column: Int, double: Bool) -> String? {
        guard line >= 1, line <= lines.count else { return nil }
        let quote: Unicode.Scalar = double ? "\"" : "'"
        var row = line - 1
        var index = column - 1
        guard index >= 0, index < lines[row].count, lines[row][index] == quote else { return nil }
        index += 1
        var swallowed: (line: Int, text: String)?
        while row < lines.count {
            let current = lines[row]
            while index < current.count {
                let scalar = current[index]
                if double, scalar == "\\" {
                    index += 2
                    continue
                }
                if scalar == quote {
                    if !double, index + 1 < current.count, current[index + 1] == "'" {
                        index += 2
                        continue
                    }
                    guard row > line - 1, let swallowed else { return nil }
                    return "this quoted string is not closed on its line: it runs on to line \(row + 1) and takes in '\(swallowed.text)' "
                        + "(line \(swallowed.line)) as text; add the closing \(double ? "\"" : "'") (for text over several lines, use a block scalar such as '>')"
                }
                index += 1
            }
            row += 1
            index = 0
            if swallowed == nil, row < lines.count, let key = keyLike(lines[row]) { swallowed = (row + 1, key) }
        }
        return nil
    }

    /// `name:` when the line starts (after indentation and an optional `- `) with a plain key.
    static func keyLike(_ line: [Unicode.Scalar]) -> String? {
        var text = Substring(String(String.UnicodeScalarView(line)))
        text = text.drop { $0 == " " || $0 == "\t" }
        if text.hasPrefix("- ") { text = text.dropFirst(2).drop { $0 == " " } }
        let name = text.prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }
        guard let first = name.first, first.isLetter || first == "_" else { return nil }
        let rest = text.dropFirst(name.count)
        guard rest.hasPrefix(":"), rest.count == 1 || rest.dropFirst().first == " " || rest.dropFirst().first == "\t" || rest.dropFirst().first == "\r" else { return nil }
        return name + ":"
    }
}

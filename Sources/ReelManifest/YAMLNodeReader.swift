import Foundation
import ReelBasics
import Yams

/// Reads a composed YAML tree into typed values, collecting every problem as a located diagnostic
/// instead of stopping at the first one.
final class YAMLNodeReader {
    let file: String
    private(set) var diagnostics: [Diagnostic] = []
    private(set) var locations: [String: SourceLocation] = [:]
    /// Nodes visited so far; aliases can make a small file describe a huge tree.
    private var visited = 0
    private var exhausted = false
    static let maximumNodes = 100_000
    /// Unknown keys reported one by one in one mapping; the rest are counted in one line.
    static let unknownKeysShown = 20

    init(file: String) {
        self.file = file
    }

    func location(_ node: Node?) -> SourceLocation {
        let mark = node?.mark
        return SourceLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    func error(_ message: String, at node: Node?) {
        diagnostics.append(.error(message, at: location(node)))
    }

    func error(_ message: String, at location: SourceLocation) {
        diagnostics.append(.error(message, at: location))
    }

    /// Counts a visit; false once the tree is too large (reported once).
    func visit(_ node: Node) -> Bool {
        visited += 1
        if visited > YAMLNodeReader.maximumNodes {
            if !exhausted {
                exhausted = true
                error("manifest has more than \(YAMLNodeReader.maximumNodes) values, more than Reel reads; split it into smaller manifests", at: node)
            }
            return false
        }
        return true
    }

    // MARK: Mappings

    /// Reads a mapping with string keys, reporting non-mappings, unknown keys (with a suggestion),
    /// duplicate keys and missing required keys. Records each key's location under `path.key`.
    func mapping(_ node: Node, path: String, known: [String], required: [String] = []) -> [String: Node]? {
        guard visit(node) else { return nil }
        guard case .mapping(let mapping) = node else {
            let subject = path.isEmpty ? "the manifest" : "'\(path)'"
            error("\(subject) must be a mapping of keys to values, not \(describe(node))", at: node)
            return nil
        }
        var result: [String: Node] = [:]
        var unknown: [Node] = []
        let place = path == "" ? "at the top level" : "in '\(path)'"
        // YAML merge keys (`<<: *defaults`, or a list of them): the merged mappings' keys count as
        // written here unless written here explicitly (the first merged mapping wins among them).
        var merged: [(key: Node, value: Node)] = []
        for (keyNode, value) in mapping {
            guard case .scalar(let scalar) = keyNode, scalar.string == "<<", scalar.style == .plain else { continue }
            let sources: [Node]
            if case .sequence(let list) = value { sources = Array(list) } else { sources = [value] }
            for source in sources {
                guard case .mapping(let inner) = source else {
                    error("a merge key ('<<') \(place) takes a mapping or a list of mappings (e.g. '<<: *defaults'), not \(describe(source))", at: source)
                    continue
                }
                for pair in inner { merged.append((pair.key, pair.value)) }
            }
        }
        var explicit = Set<String>()
        for (keyNode, _) in mapping {
            if case .scalar(let scalar) = keyNode, scalar.string != "<<" || scalar.style != .plain { explicit.insert(scalar.string) }
        }
        let entries: [(key: Node, value: Node, merged: Bool)] = mapping.map { ($0.key, $0.value, false) }
            + merged.map { ($0.key, $0.value, true) }
        var mergedSeen = Set<String>()
        for (keyNode, value, isMerged) in entries {
            guard case .scalar(let scalar) = keyNode else {
                error("keys \(place) must be plain names, not \(describe(keyNode))", at: keyNode)
                continue
            }
            let key = scalar.string
            if !isMerged, key == "<<", scalar.style == .plain { continue }
            if isMerged {
                // Written here explicitly, or by an earlier merged mapping: that one wins.
                if explicit.contains(key) || !mergedSeen.insert(key).inserted { continue }
            }
            // `x-…` at the top level: the user's own fields, e.g. to hold anchors (`x-defaults: &defaults`).
            if path.isEmpty, key.hasPrefix("x-") { continue }
            guard known.contains(key) else {
                unknown.append(keyNode)
                if unknown.count <= YAMLNodeReader.unknownKeysShown {
                    error("unknown key '\(key)' \(place)\(DidYouMean.hint(for: key, among: known))", at: keyNode)
                }
                continue
            }
            if result[key] != nil {
                error("duplicate key '\(key)' \(place)", at: keyNode)
                continue
            }
            result[key] = value
            locations[join(path, key)] = location(keyNode)
        }
        if unknown.count > YAMLNodeReader.unknownKeysShown {
            let more = unknown.count - YAMLNodeReader.unknownKeysShown
            error("… and \(more) more unknown key\(more == 1 ? "" : "s") \(place)", at: unknown[YAMLNodeReader.unknownKeysShown])
        }
        for key in required where result[key] == nil {
            let place = path == "" ? "the manifest" : "'\(path)'"
            error("\(place) is missing the required key '\(key)'", at: node)
        }
        return result
    }

    func join(_ path: String, _ key: String) -> String {
        path.isEmpty ? key : "\(path).\(key)"
    }

    // MARK: Scalars

    /// A string scalar. Plain scalars that YAML reads as numbers, booleans, dates or null are
    /// rejected with a hint to quote them (PyYAML and editors read them the same way).
    func string(_ node: Node?, path: String, allowEmpty: Bool = false) -> String? {
        guard let node, visit(node) else { return nil }
        guard case .scalar(let scalar) = node else {
            error("'\(path)' must be a string, not \(describe(node))", at: node)
            return nil
        }
        let tag = node.tagName
        if scalar.style == .plain && tag == .null && scalar.string.isEmpty {
            error("'\(path)' must be a string, not an empty value; write one or remove the key", at: node)
            return nil
        }
        if scalar.style == .plain && YAMLNodeReader.nonStringTags.contains(tag) {
            error("'\(path)' must be a string, not \(describe(node)); put it in quotes: \"\(scalar.string)\"", at: node)
            return nil
        }
        if !allowEmpty && scalar.string.trimmingCharacters(in: .whitespaces).isEmpty {
            error("'\(path)' must not be empty", at: node)
            return nil
        }
        return scalar.string
    }

    /// Tags of plain scalars that YAML reads as something other than a string.
    static let nonStringTags: Set<Tag.Name> = [.int, .float, .bool, .null, .timestamp]

    /// An integer within `range`.
    func int(_ node: Node?, path: String, range: ClosedRange<Int>) -> Int? {
        guard let node, visit(node) else { return nil }
        guard case .scalar(let scalar) = node, scalar.style == .plain, node.tagName == .int else {
            error("'\(path)' must be a whole number, not \(describe(node))", at: node)
            return nil
        }
        guard let value = Int(scalar.string) else {
            // YAML also reads 0x1F, 0o17, 1_000 and 1:30 as integers; Reel takes decimal digits only.
            if scalar.string.range(of: "^[-+]?[0-9]+$", options: .regularExpression) != nil {
                error("'\(path)' must be between \(range.lowerBound) and \(range.upperBound), not \(scalar.string)", at: node)
            } else {
                error("'\(path)' must be a whole number written in decimal digits, not \(scalar.string)", at: node)
            }
            return nil
        }
        guard range.contains(value) else {
            error("'\(path)' must be between \(range.lowerBound) and \(range.upperBound), not \(value)", at: node)
            return nil
        }
        return value
    }

    /// A number (integer or decimal) that satisfies `minimum < value <= maximum` (or `>=` when inclusive).
    func number(_ node: Node?, path: String, above minimum: Double, inclusive: Bool = false, upTo maximum: Double) -> Double? {
        guard let node, visit(node) else { return nil }
        guard case .scalar(let scalar) = node, scalar.style == .plain, node.tagName == .int || node.tagName == .float else {
            error("'\(path)' must be a number, not \(describe(node))", at: node)
            return nil
        }
        guard let value = Double(scalar.string), value.isFinite else {
            // YAML also reads .inf, .nan, 1_000 and 1:30 as numbers; Reel takes plain decimals only.
            error("'\(path)' must be a plain decimal number such as 4 or 2.5, not \(scalar.string)", at: node)
            return nil
        }
        let lowOK = inclusive ? value >= minimum : value > minimum
        guard lowOK, value <= maximum else {
            let low = inclusive ? "at least \(format(minimum))" : "more than \(format(minimum))"
            error("'\(path)' must be \(low) and at most \(format(maximum)), not \(scalar.string)", at: node)
            return nil
        }
        return value
    }

    /// A boolean (`true`/`false`; YAML 1.1 also reads `yes`/`no`/`on`/`off`).
    func bool(_ node: Node?, path: String) -> Bool? {
        guard let node, visit(node) else { return nil }
        guard case .scalar(let scalar) = node, scalar.style == .plain, node.tagName == .bool, let value = node.bool else {
            error("'\(path)' must be true or false, not \(describe(node))", at: node)
            return nil
        }
        _ = scalar
        return value
    }

    /// One of `allowed`, with a suggestion when it is close to one.
    func choice(_ node: Node?, path: String, allowed: [String]) -> String? {
        guard let node, let text = string(node, path: path) else { return nil }
        guard allowed.contains(text) else {
            let list = " (one of: \(allowed.joined(separator: ", ")))"
            let hint = DidYouMean.suggestion(for: text, among: allowed).map { "; did you mean '\($0)'?" } ?? list
            error("'\(path)' cannot be '\(text)'\(hint)", at: node)
            return nil
        }
        return text
    }

    /// A sequence; each element is handed to `element` with its index.
    func sequence<T>(_ node: Node?, path: String, element: (Node, Int) -> T?) -> [T]? {
        guard let node, visit(node) else { return nil }
        guard case .sequence(let sequence) = node else {
            error("'\(path)' must be a list, not \(describe(node))", at: node)
            return nil
        }
        var values: [T] = []
        var failed = false
        for (index, item) in sequence.enumerated() {
            if exhausted { return nil }
            if let value = element(item, index) { values.append(value) } else { failed = true }
        }
        return failed ? nil : values
    }

    /// A list of non-empty strings.
    func strings(_ node: Node?, path: String) -> [String]? {
        sequence(node, path: path) { item, index in string(item, path: "\(path)[\(index)]") }
    }

    /// Any YAML value as a canonical value (for pass-through model options).
    func canonical(_ node: Node, path: String) -> CanonicalValue? {
        guard visit(node) else { return nil }
        switch node {
        case .scalar(let scalar):
            if scalar.style != .plain { return .string(scalar.string) }
            switch node.tagName {
            case .int: return Int(scalar.string).map(CanonicalValue.int) ?? .string(scalar.string)
            case .float: return node.float.map(CanonicalValue.decimal) ?? .string(scalar.string)
            case .bool: return node.bool.map(CanonicalValue.bool) ?? .string(scalar.string)
            case .null: return .null
            default: return .string(scalar.string)
            }
        case .sequence(let sequence):
            var values: [CanonicalValue] = []
            for (index, item) in sequence.enumerated() {
                guard let value = canonical(item, path: "\(path)[\(index)]") else { return nil }
                values.append(value)
            }
            return .array(values)
        case .mapping(let mapping):
            var members: [String: CanonicalValue] = [:]
            for (key, value) in mapping {
                guard case .scalar(let keyScalar) = key else {
                    error("keys in '\(path)' must be plain names", at: key)
                    return nil
                }
                guard let member = canonical(value, path: "\(path).\(keyScalar.string)") else { return nil }
                members[keyScalar.string] = member
            }
            return .object(members)
        case .alias(let alias):
            error("'\(path)' uses an unresolved alias '\(alias)'", at: node)
            return nil
        }
    }

    /// Words for the kind of value a node holds, for messages.
    func describe(_ node: Node) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar(let scalar):
            if scalar.style != .plain { return "the string \"\(scalar.string)\"" }
            switch node.tagName {
            case .int: return "the number \(scalar.string)"
            case .float: return "the number \(scalar.string)"
            case .bool: return "the boolean \(scalar.string)"
            case .null: return scalar.string.isEmpty ? "an empty value" : "null"
            case .timestamp: return "the date \(scalar.string)"
            default: return "the string \"\(scalar.string)\""
            }
        }
    }
}

extension Node {
    /// The resolved tag's name (`tag:yaml.org,2002:int`, …).
    ///
    /// A plain scalar that no rule of Yams' default resolver can match is a string, known from
    /// its first byte: every rule is anchored at the start and begins with a digit, a sign, `.`,
    /// `~`, `<`, `=` or one of the letters of yes/no/true/false/on/off/null. Such scalars (asset
    /// ids, paths, prompts) skip the resolver's seven regular expressions: at 10,000 pairs those
    /// were 4% of a no-op build. `ManifestParserTests` checks this against Yams for every byte.
    var tagName: Tag.Name {
        if case .scalar(let scalar) = self, scalar.tag.description == Tag.Name.implicit.rawValue,
            let first = scalar.string.utf8.first, !Node.mayResolveToNonString(first)
        {
            return .str
        }
        return Tag.Name(rawValue: tag.description)
    }

    /// Whether a plain scalar starting with `byte` may match a rule of `Resolver.default`.
    static func mayResolveToNonString(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "~"),
            UInt8(ascii: "<"), UInt8(ascii: "="), UInt8(ascii: "y"), UInt8(ascii: "Y"), UInt8(ascii: "n"), UInt8(ascii: "N"),
            UInt8(ascii: "t"), UInt8(ascii: "T"), UInt8(ascii: "f"), UInt8(ascii: "F"), UInt8(ascii: "o"), UInt8(ascii: "O"):
            return true
        default:
            return false
        }
    }
}

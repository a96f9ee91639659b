import Foundation
import ReelBasics

/// Writes a lockfile as YAML by hand. Yams still reads lockfiles; writing them this way is about
/// 20× faster for a 100-clip campaign (a no-op build renders the lockfile to see whether it
/// changed; with Yams' emitter that alone took 29 ms, measured in docs/benchmarks.md). The output
/// is plain block YAML: strings are bare only when YAML 1.1 reads them back as the same string,
/// otherwise double-quoted with JSON escapes.
struct LockfileEmitter {
    private var out = Lockfile.header
    /// When comparing: the text on disk, how many of its bytes the output so far matched (those
    /// bytes are dropped from `out`), and whether it has stopped matching.
    private var existing: String?
    private var matched = 0
    private var diverged = false
    /// The settings of the node last written, and their text.
    private var lastSettings: (value: CanonicalValue, text: String)?
    private static let page = 64 * 1024

    /// - Parameter sizeHint: the expected length in bytes (the lockfile on disk), reserved up front
    ///   so that a 2 MB lockfile is written into one buffer instead of a doubling series of copies.
    static func render(_ lockfile: Lockfile, sizeHint: Int = 0) -> String {
        var emitter = LockfileEmitter()
        emitter.out.reserveCapacity(max(sizeHint, 512 + 600 * lockfile.nodes.count + 120 * lockfile.pairs.count))
        emitter.emit(lockfile)
        return emitter.out
    }

    /// The text of `lockfile`, or `nil` when it is exactly `existing`. Compared a page at a time as
    /// it is rendered, so an unchanged lockfile (every no-op build) never exists twice in memory:
    /// at 10,000 pairs that second copy was 8 MB of the peak heap.
    static func render(_ lockfile: Lockfile, unlessItIs existing: String) -> String? {
        var emitter = LockfileEmitter()
        emitter.existing = existing
        emitter.out.reserveCapacity(page + 4096)
        emitter.emit(lockfile)
        emitter.checkpoint(final: true)
        return emitter.diverged ? emitter.out : nil
    }

    /// While comparing: checks the output so far against the text on disk (once it is a page long,
    /// or at the end) and drops it when it matches. After a difference, keeps everything: the
    /// matched prefix is put back and the rest accumulates as in `render`.
    private mutating func checkpoint(final: Bool = false) {
        guard let existing, !diverged, final || out.utf8.count >= Self.page else { return }
        let matches = out.withUTF8 { piece in
            existing.utf8.withContiguousStorageIfAvailable { whole -> Bool in
                let end = matched + piece.count
                guard end <= whole.count, !final || end == whole.count else { return false }
                return piece.isEmpty || memcmp(whole.baseAddress! + matched, piece.baseAddress!, piece.count) == 0
            } ?? false
        }
        if matches {
            matched += out.utf8.count
            out.removeAll(keepingCapacity: true)
        } else {
            diverged = true
            // The matched prefix ends after a newline: a whole number of characters.
            out = String(existing.utf8.prefix(matched))! + out
        }
    }

    private mutating func emit(_ lockfile: Lockfile) {
        line(0, "version", String(lockfile.version))
        line(0, "campaign", scalar(lockfile.campaign))
        line(0, "quality", scalar(lockfile.quality))
        if let output = lockfile.output {
            out += "output:\n"
            line(1, "path", scalar(output.path))
            line(1, "digest", output.digest.description)
        }
        if lockfile.pairs.isEmpty { out += "pairs: []\n" } else { out += "pairs:\n" }
        for pair in lockfile.pairs {
            item("first", scalar(pair.first))
            line(1, "last", scalar(pair.last))
            line(1, "score", decimal(pair.score.value))
            line(1, "reasoning", scalar(pair.reasoning))
            if let prompt = pair.prompt { line(1, "prompt", scalar(prompt)) }
            checkpoint()
        }
        if let takes = lockfile.takes, !takes.isEmpty {
            out += "takes:\n"
            for take in takes {
                item("first", scalar(take.first))
                line(1, "last", scalar(take.last))
                if let variant = take.variant { line(1, "variant", scalar(variant)) }
                line(1, "take", String(take.take))
            }
        }
        if let variants = lockfile.variants, !variants.isEmpty {
            out += "variants:\n"
            for variant in variants {
                item("name", scalar(variant.name))
                line(1, "path", scalar(variant.path))
                if let digest = variant.digest { line(1, "digest", digest.description) }
                line(1, "clips", "[" + variant.clips.map(scalar).joined(separator: ", ") + "]")
                line(1, "combine", scalar(variant.combine))
            }
        }
        if lockfile.nodes.isEmpty { out += "nodes: []\n" } else { out += "nodes:\n" }
        for node in lockfile.nodes {
            item("id", scalar(node.id))
            line(1, "kind", scalar(node.kind))
            line(1, "key", node.key.description)
            if let output = node.output { line(1, "output", output.description) }
            line(1, "engine", scalar(node.engine))
            line(1, "provider", scalar(node.provider))
            line(1, "model", scalar(node.model))
            settings(node.settings)
            if node.inputs.isEmpty {
                line(1, "inputs", "{}")
            } else {
                out += "  inputs:\n"
                for name in node.inputs.keys.sorted() { line(2, name, node.inputs[name]?.description ?? "null") }
            }
            if let cost = node.costUSD { line(1, "cost_usd", decimal(cost.value)) }
            if let id = node.predictionID { line(1, "prediction_id", scalar(id)) }
            checkpoint()
        }
    }

    /// `key: text` at an indentation level.
    private mutating func line(_ level: Int, _ key: String, _ text: String) {
        out += String(repeating: "  ", count: level) + LockfileEmitter.key(key) + ": " + text + "\n"
    }

    /// The first line of a list item.
    private mutating func item(_ key: String, _ text: String) {
        out += "- " + LockfileEmitter.key(key) + ": " + text + "\n"
    }

    /// A node's `settings:` block. Consecutive nodes usually have the same settings (every clip of a
    /// campaign's model): the last one's text is reused after an equality check, instead of
    /// sorting and quoting the same keys again (a tenth of writing a 10,000-node lockfile).
    private mutating func settings(_ settings: CanonicalValue) {
        if let last = lastSettings, last.value == settings {
            out += last.text
            return
        }
        var block = LockfileEmitter()
        block.out = ""
        block.value(1, "settings", settings)
        out += block.out
        lastSettings = (settings, block.out)
    }

    /// A canonical value, in block style.
    private mutating func value(_ level: Int, _ key: String, _ value: CanonicalValue) {
        let indent = String(repeating: "  ", count: level)
        switch value {
        case .object(let members) where !members.isEmpty:
            out += indent + LockfileEmitter.key(key) + ":\n"
            for name in members.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
                if let member = members[name] { self.value(level + 1, name, member) }
            }
        default:
            line(level, key, LockfileEmitter.flow(value))
        }
    }

    /// A value on one line (flow style for collections).
    static func flow(_ value: CanonicalValue) -> String {
        switch value {
        case .string(let text): return scalar(text)
        case .int(let number): return String(number)
        case .number(let text): return text
        case .bool(let flag): return flag ? "true" : "false"
        case .null: return "null"
        case .array(let items): return "[" + items.map(flow).joined(separator: ", ") + "]"
        case .object(let members):
            let names = members.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            return "{" + names.map { key($0) + ": " + flow(members[$0] ?? .null) }.joined(separator: ", ") + "}"
        }
    }

    private func scalar(_ text: String) -> String { LockfileEmitter.scalar(text) }

    /// `FixedDecimal` already rounded the value (and turned -0 into 0).
    private func decimal(_ value: Double) -> String {
        String(format: "%.\(FixedDecimal.places)f", value)
    }

    static func key(_ text: String) -> String { scalar(text) }

    /// Words YAML 1.1 reads as booleans or null.
    static let reserved: Set<String> = ["y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"]
    static let reservedMaxLength = reserved.map(\.utf8.count).max() ?? 0

    /// `text` bare when that is unambiguous, else double-quoted with JSON escapes.
    static func scalar(_ text: String) -> String {
        let safe = !text.isEmpty && text.unicodeScalars.allSatisfy { scalar in
            (scalar >= "a" && scalar <= "z") || (scalar >= "A" && scalar <= "Z") || (scalar >= "0" && scalar <= "9")
                || "_-./:+@".unicodeScalars.contains(scalar)
        }
        let first = text.unicodeScalars.first
        let startsWell = first.map { ($0 >= "a" && $0 <= "z") || ($0 >= "A" && $0 <= "Z") || $0 == "_" } ?? false
        // Byte checks, not `contains("::")` (Foundation's search: 6% of a 10,000-pair no-op), and
        // the reserved words only for text as short as they are.
        var doubleColon = false
        var previous: UInt8 = 0
        for byte in text.utf8 {
            if byte == UInt8(ascii: ":"), previous == UInt8(ascii: ":") { doubleColon = true; break }
            previous = byte
        }
        if safe, startsWell, !text.hasSuffix(":"), !doubleColon,
            text.utf8.count > reservedMaxLength || !reserved.contains(text.lowercased())
        {
            return text
        }
        var quoted = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": quoted += "\\\""
            case "\\": quoted += "\\\\"
            case "\n": quoted += "\\n"
            case "\r": quoted += "\\r"
            case "\t": quoted += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F || (0x80...0x9F).contains(scalar.value)
                    || scalar.value == 0x2028 || scalar.value == 0x2029 || scalar.value == 0xFEFF
                {
                    quoted += String(format: "\\u%04X", scalar.value)
                } else {
                    quoted.unicodeScalars.append(scalar)
                }
            }
        }
        return quoted + "\""
    }
}

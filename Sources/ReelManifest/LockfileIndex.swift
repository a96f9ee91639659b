import Foundation
import ReelBasics
import Yams

/// A lockfile's text indexed in one pass over its bytes, without parsing it: where each node's
/// entry is, how many pairs there are, and whether its top level is laid out the way
/// `LockfileEmitter` writes it. A build that rebuilds two nodes of 10,000 then decodes two entries
/// (with Yams, a few hundred bytes each) instead of the whole file (2 MB took Yams about a second).
///
/// A lockfile whose top level is not the emitter's layout (a merge-conflict marker, a key this
/// version does not write, a quoted campaign or node id) is not `plain`: callers then parse it
/// whole with `Lockfile(yaml:)`, which says what is wrong.
public struct LockfileIndex: Sendable {
    /// The top-level `campaign:` value (`nil` when absent).
    public let campaign: String?
    /// The number of entries under `pairs:`.
    public let pairCount: Int
    /// Whether the top level is as `LockfileEmitter` writes it, so that the entries can be read
    /// one at a time.
    public let plain: Bool
    /// The text indexed (the workspace's own string, shared: not a second copy of its bytes).
    private let text: String
    /// Byte range of each node's entry (`- id: …` up to the next entry or top-level key), by id.
    private let entries: [String: Range<Int>]

    /// The node ids in the file, in file order.
    public let nodeIDs: [String]

    private static let topLevelKeys: Set<String> = ["version", "campaign", "quality", "output", "variants", "pairs", "takes", "nodes"]

    public init(text: String) {
        var text = text
        text.makeContiguousUTF8()
        var campaign: String?
        var pairCount = 0
        var plain = true
        var entries: [String: Range<Int>] = [:]
        var ids: [String] = []
        var section = ""
        var open: (id: String, start: Int)?
        var lineStart = 0
        func close(at end: Int) {
            if let entry = open {
                if entries[entry.id] != nil { plain = false }
                entries[entry.id] = entry.start..<end
                ids.append(entry.id)
            }
            open = nil
        }
        text.withUTF8 { bytes in
            while lineStart < bytes.count {
                var lineEnd = lineStart
                while lineEnd < bytes.count, bytes[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
                let first = bytes[lineStart]
                if lineEnd > lineStart, first != UInt8(ascii: " "), first != UInt8(ascii: "#"), first != UInt8(ascii: "\r") {
                    let line = String(decoding: bytes[lineStart..<lineEnd], as: UTF8.self)
                    if line.hasPrefix("- ") {
                        if section == "pairs" {
                            pairCount += 1
                        } else if section == "nodes", line.hasPrefix("- id: ") {
                            close(at: lineStart)
                            let id = String(line.dropFirst(6))
                            if LockfileIndex.isBare(id) { open = (id, lineStart) } else { plain = false }
                        } else if section != "variants" && section != "takes" {
                            plain = false
                        }
                    } else if let colon = line.firstIndex(of: ":"), LockfileIndex.topLevelKeys.contains(String(line[..<colon])) {
                        close(at: lineStart)
                        section = String(line[..<colon])
                        let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                        if section == "campaign" {
                            if LockfileIndex.isBare(value) { campaign = value } else { plain = false }
                        }
                    } else {
                        plain = false  // a conflict marker (<<<<<<<, =======, >>>>>>>) or a key this version does not write
                    }
                }
                lineStart = lineEnd + 1
            }
            close(at: bytes.count)
        }
        self.campaign = campaign
        self.pairCount = pairCount
        self.plain = plain
        self.text = text
        self.entries = entries
        self.nodeIDs = ids
    }

    /// The entry of the node `id`, decoded; `nil` when the file has none.
    /// - Throws: when the entry is there but does not decode.
    public func node(_ id: String) throws -> LockedNode? {
        guard let range = entries[id] else { return nil }
        var whole = self.text
        let text = whole.withUTF8 { String(decoding: UnsafeBufferPointer(rebasing: $0[range]), as: UTF8.self) }
        // A combine node lists every clip under `inputs:`; Yams looks each mapping key up by a
        // linear scan, so 10,000 inputs took seconds. Plain `key: sha256:…` lines are read here and
        // the rest of the entry by Yams; anything else goes to Yams whole.
        if let (rest, inputs) = LockfileIndex.splitInputs(text), var node = try YAMLDecoder().decode([LockedNode].self, from: rest).first {
            node.inputs = inputs
            return node
        }
        return try YAMLDecoder().decode([LockedNode].self, from: text).first
    }

    /// The entry with its `inputs:` block replaced by `inputs: {}`, and the inputs read from it;
    /// `nil` unless every line of the block is `    <bare key>: sha256:<64 hex>`.
    static func splitInputs(_ entry: String) -> (rest: String, inputs: [String: Digest])? {
        let lines = entry.split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(where: { $0 == "  inputs:" }) else { return nil }
        var inputs: [String: Digest] = [:]
        var end = start + 1
        while end < lines.count, lines[end].hasPrefix("    ") {
            let line = lines[end].dropFirst(4)
            guard let colon = line.firstIndex(of: ":") else { return nil }
            let key = String(line[..<colon])
            let value = line[line.index(after: colon)...]
            guard isBare(key), value.hasPrefix(" sha256:"), inputs[key] == nil, let digest = Digest(String(value.dropFirst()))
            else { return nil }
            inputs[key] = digest
            end += 1
        }
        guard !inputs.isEmpty else { return nil }
        let rest = (lines[..<start] + ["  inputs: {}"] + lines[end...]).joined(separator: "\n")
        return (rest, inputs)
    }

    /// A value the emitter writes without quotes: letters, digits and `-_./@+` only.
    private static func isBare(_ value: String) -> Bool {
        !value.isEmpty && value.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "/")
                || byte == UInt8(ascii: "@") || byte == UInt8(ascii: "+")
        }
    }
}

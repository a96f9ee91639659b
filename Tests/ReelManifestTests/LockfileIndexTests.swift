import Foundation
import ReelBasics
import ReelManifest
import Testing

/// `LockfileIndex` reads single entries of a lockfile Reel wrote; anything else is left to the full parse.
@Suite struct LockfileIndexTests {
    /// The sample lockfile with node ids as Reel writes them, plus `count` more generate nodes.
    static func lockfile(extra count: Int = 0) -> Lockfile {
        var lockfile = LockfileTests.sample()
        lockfile.nodes[1].id = "generate/0"
        for index in 1...max(1, count) where count > 0 {
            var node = lockfile.nodes[1]
            node.id = "generate/\(index)"
            node.key = Digest.of(string: "key \(index)")
            node.settings = .object(["duration": .int(index), "prompt": .string("line one\nline two: \"quoted\"")])
            lockfile.nodes.append(node)
        }
        return lockfile
    }

    @Test func everyEntryDecodesAsTheWholeParseDoes() throws {
        let lockfile = Self.lockfile(extra: 50)
        let text = try lockfile.yamlText()
        let index = LockfileIndex(text: text)
        #expect(index.plain)
        #expect(index.campaign == "demo")
        #expect(index.pairCount == 2)
        #expect(index.nodeIDs == lockfile.nodes.map(\.id))
        let parsed = try Lockfile(yaml: text)
        for node in parsed.nodes {
            #expect(try index.node(node.id) == node)
        }
        #expect(try index.node("generate/999") == nil)
    }

    @Test func emptyListsAreIndexed() throws {
        let text = try Lockfile(campaign: "c", quality: "draft", output: nil, pairs: [], nodes: []).yamlText()
        let index = LockfileIndex(text: text)
        #expect(index.plain)
        #expect(index.pairCount == 0)
        #expect(index.nodeIDs.isEmpty)
    }

    @Test func aMergeConflictIsNotPlain() throws {
        let text = try Self.lockfile(extra: 2).yamlText()
        let conflicted = text.replacingOccurrences(
            of: "- id: generate/1\n", with: "<<<<<<< HEAD\n- id: generate/1\n=======\n- id: generate/1\n>>>>>>> theirs\n")
        #expect(!LockfileIndex(text: conflicted).plain)
        #expect(throws: (any Error).self) { try Lockfile(yaml: conflicted) }
    }

    @Test func layoutsReelDoesNotWriteAreNotPlain() throws {
        let text = try Self.lockfile().yamlText()
        #expect(!LockfileIndex(text: text.replacingOccurrences(of: "campaign: demo", with: "campaign: \"demo\"")).plain)
        #expect(!LockfileIndex(text: text + "extra: 1\n").plain)
        #expect(!LockfileIndex(text: text.replacingOccurrences(of: "- id: generate/0", with: "- id: \"generate/0\"")).plain)
        // The same node twice.
        let twice = text + text[text.range(of: "- id: generate/0")!.lowerBound...]
        #expect(!LockfileIndex(text: String(twice)).plain)
    }

    @Test func aDamagedEntryThrowsWhenRead() throws {
        let text = try Self.lockfile(extra: 1).yamlText()
        let damaged = text.replacingOccurrences(of: "- id: generate/1\n  kind: generate\n", with: "- id: generate/1\n  kind: [generate\n")
        let index = LockfileIndex(text: damaged)
        #expect(index.plain)
        #expect(throws: (any Error).self) { try index.node("generate/1") }
        #expect(try index.node("generate/0") != nil)
    }

    /// Scalars that YAML would read as something else stay quoted (the emitter's checks are byte scans now).
    @Test func ambiguousScalarsStayQuotedAndRoundTrip() throws {
        var lockfile = Self.lockfile()
        let texts = ["a::b", "yes", "No", "TRUE", "null", "~", "y", "off", "ends:", "plain", "yesterday", "nullable", "a:b"]
        lockfile.pairs = texts.map { LockedPair(first: $0, last: "b", score: 0.5, reasoning: $0, prompt: nil) }
        let text = try lockfile.yamlText()
        for quoted in ["a::b", "yes", "No", "TRUE", "null", "~", "y", "off", "ends:"] {
            #expect(text.contains("- first: \"\(quoted)\"\n"), "\(quoted) must be quoted")
        }
        for bare in ["plain", "yesterday", "nullable", "a:b"] {
            #expect(text.contains("- first: \(bare)\n"), "\(bare) can stay bare")
        }
        #expect(try Lockfile(yaml: text) == lockfile)
    }

    /// A combine node's many inputs are read without Yams' per-key scan, and decode as the whole parse does.
    @Test func manyInputsDecodeAsTheWholeParseDoes() throws {
        var lockfile = Self.lockfile()
        var combine = lockfile.nodes[1]
        combine.id = "combine"
        combine.kind = "combine"
        combine.inputs = Dictionary(uniqueKeysWithValues: (0..<300).map { (String(format: "clip/%04d", $0), Digest.of(string: "clip \($0)")) })
        lockfile.nodes.append(combine)
        let text = try lockfile.yamlText()
        let index = LockfileIndex(text: text)
        #expect(index.plain)
        #expect(try index.node("combine") == (try Lockfile(yaml: text)).nodes.last)
        #expect(try index.node("combine")?.inputs.count == 300)
        // A block Reel would not write (a quoted key) goes to Yams whole, with the same result.
        let quoted = text.replacingOccurrences(of: "    clip/0007: ", with: "    \"clip/0007\": ")
        #expect(quoted != text)
        #expect(try LockfileIndex(text: quoted).node("combine") == (try Lockfile(yaml: quoted)).nodes.last)
    }
}

import Foundation
import ReelBasics
import ReelManifest
import Testing

@Suite struct LockfileTests {
    static let header = """
        # reel lockfile: written by `reel build`; do not edit. Commit it with the manifest:
        # with it and a shared cache, a rerun reproduces this video without spending.

        """

    static func digest(_ name: String) -> Digest { Digest.of(string: name) }

    /// A lockfile with every kind of field, built from dictionaries filled in the given key order.
    static func sample(reversed: Bool = false) -> Lockfile {
        func object(_ pairs: [(String, CanonicalValue)]) -> CanonicalValue {
            .object(Dictionary(uniqueKeysWithValues: reversed ? pairs.reversed() : pairs))
        }
        func inputs(_ pairs: [(String, Digest)]) -> [String: Digest] {
            Dictionary(uniqueKeysWithValues: reversed ? pairs.reversed() : pairs)
        }
        let select = LockedNode(
            id: "select", kind: "select", key: digest("select key"), output: digest("pairs.json"), engine: "1", provider: "local",
            model: "local-features",
            settings: object([("count", 2), ("detail", "high"), ("candidates", .array(["a", "b", "c"])), ("brand", .null)]),
            inputs: inputs([("c", digest("c")), ("a", digest("a")), ("b", digest("b"))]))
        let generate = LockedNode(
            id: "generate[0]", kind: "generate", key: digest("generate key"), output: nil, engine: "1", provider: "replicate",
            model: "google/veo-3.1-fast",
            settings: object([
                ("duration", 4), ("audio", false), ("resolution", "720p"),
                ("options", object([("zeta", "last"), ("alpha", .array([1, true, .null])), ("nested", object([("b", 2), ("a", 1)]))])),
            ]),
            inputs: inputs([("last", digest("b")), ("first", digest("a"))]), costUSD: 0.4, predictionID: "q1w2e3")
        return Lockfile(
            campaign: "demo", quality: "balanced", output: LockedOutput(path: "out/demo.mp4", digest: digest("final")),
            pairs: [
                LockedPair(first: "a", last: "b", score: 0.91234, reasoning: "Warm light in both; the horizon lines up.", prompt: "slow dolly in"),
                LockedPair(first: "b", last: "c", score: 0.5, reasoning: "Reasoning: with a colon, \"quotes\",\nand a second line # not a comment", prompt: nil),
            ],
            nodes: [select, generate])
    }

    @Test func roundTrips() throws {
        let lockfile = Self.sample()
        let text = try lockfile.yamlText()
        #expect(try Lockfile(yaml: text) == lockfile)
        // And the text of what was read back is the same text.
        #expect(try Lockfile(yaml: text).yamlText() == text)
    }

    /// A lockfile of `count` generate nodes (large enough to be compared in several pages).
    static func large(_ count: Int) -> Lockfile {
        let nodes = (0..<count).map { index in
            LockedNode(
                id: "generate/\(index)", kind: "generate", key: digest("key \(index)"), output: digest("clip \(index)"), engine: "animatic/2",
                provider: "local", model: "animatic", settings: .object(["duration": 1, "fps": 2]),
                inputs: ["first": digest("a\(index)"), "last": digest("b\(index)")])
        }
        return Lockfile(
            campaign: "scale", quality: "draft", output: LockedOutput(path: "out/scale.mp4", digest: digest("video")), pairs: [], nodes: nodes)
    }

    /// Comparing while rendering gives exactly what rendering and comparing gives: `nil` for the
    /// same text, else the whole new text, wherever the difference is (first page, a later page,
    /// the very end) and whatever the lengths.
    @Test func comparingWhileRenderingAgreesWithRenderingThenComparing() throws {
        let lockfile = Self.large(2_000)
        let text = try lockfile.yamlText()
        #expect(text.utf8.count > 4 * 64 * 1024, "several pages")
        #expect(lockfile.yamlText(unlessItIs: text) == nil)

        var early = lockfile
        early.nodes[3].model = "other"
        var late = lockfile
        late.nodes[1_900].model = "other"
        var last = lockfile
        last.nodes[1_999].predictionID = "p"
        for changed in [early, late, last] {
            let expected = try changed.yamlText()
            #expect(expected != text)
            #expect(changed.yamlText(unlessItIs: text) == expected)
        }
        // The text on disk longer or shorter than the new one (a truncated file, one more node).
        #expect(lockfile.yamlText(unlessItIs: text + "extra: 1\n") == text)
        #expect(lockfile.yamlText(unlessItIs: String(text.dropLast(10))) == text)
        #expect(lockfile.yamlText(unlessItIs: "") == text)
        var fewer = lockfile
        fewer.nodes.removeLast()
        #expect(fewer.yamlText(unlessItIs: text) == (try fewer.yamlText()))
    }

    @Test func sameLockfileSameBytes() throws {
        let text = try Self.sample().yamlText()
        for _ in 0..<20 {
            #expect(try Self.sample().yamlText() == text)
            #expect(try Self.sample(reversed: true).yamlText() == text)
        }
    }

    @Test func writesTheExpectedText() throws {
        let digest = Self.digest
        let lockfile = Lockfile(
            campaign: "demo", quality: "draft", output: LockedOutput(path: "out/demo.mp4", digest: digest("final")),
            pairs: [LockedPair(first: "a", last: "b", score: 0.51174, reasoning: "warm to warm", prompt: "dolly in")],
            nodes: [
                LockedNode(
                    id: "generate[0]", kind: "generate", key: digest("key"), output: digest("clip"), engine: "1", provider: "local",
                    model: "animatic", settings: .object(["fps": 24, "motion": "zoom-in", "extra": .object(["b": true, "a": .null])]),
                    inputs: ["last": digest("b"), "first": digest("a")], costUSD: 0, predictionID: nil),
            ])
        let expected = Self.header + """
            version: 1
            campaign: demo
            quality: draft
            output:
              path: out/demo.mp4
              digest: \(digest("final"))
            pairs:
            - first: a
              last: b
              score: 0.5117
              reasoning: "warm to warm"
              prompt: "dolly in"
            nodes:
            - id: "generate[0]"
              kind: generate
              key: \(digest("key"))
              output: \(digest("clip"))
              engine: "1"
              provider: local
              model: animatic
              settings:
                extra:
                  a: null
                  b: true
                fps: 24
                motion: zoom-in
              inputs:
                first: \(digest("a"))
                last: \(digest("b"))
              cost_usd: 0.0000

            """
        #expect(try lockfile.yamlText() == expected)
    }

    @Test func leavesOutWhatIsAbsent() throws {
        let lockfile = Lockfile(
            campaign: "demo", quality: "draft", output: nil,
            pairs: [LockedPair(first: "a", last: "b", score: 1, reasoning: "", prompt: nil)],
            nodes: [LockedNode(
                id: "select", kind: "select", key: Self.digest("k"), output: nil, engine: "1", provider: "local", model: "m",
                settings: .object([:]), inputs: [:])])
        let text = try lockfile.yamlText()
        for key in ["output:", "prompt:", "cost_usd:", "prediction_id:"] {
            #expect(!text.contains(key), "\(key) should be left out")
        }
        #expect(text.contains("  score: 1.0000\n"))
        #expect(try Lockfile(yaml: text) == lockfile)
        let empty = Lockfile(campaign: "demo", quality: "draft", output: nil, pairs: [], nodes: [])
        #expect(try empty.yamlText() == Self.header + "version: 1\ncampaign: demo\nquality: draft\npairs: []\nnodes: []\n")
        #expect(try Lockfile(yaml: empty.yamlText()) == empty)
    }

    @Test(arguments: [
        (0.51174, "0.5117"), (0.51176, "0.5118"), (1.25, "1.2500"), (1, "1.0000"), (0, "0.0000"), (0.00004, "0.0000"),
        (-0.00004, "0.0000"), (-0.0, "0.0000"), (0.99996, "1.0000"), (12345.678912, "12345.6789"), (-0.5, "-0.5000"), (1e-12, "0.0000"),
        (0.1 + 0.2, "0.3000"),
    ])
    func scoresAndCostsHaveFourDecimals(_ value: Double, _ text: String) throws {
        let lockfile = Lockfile(
            campaign: "demo", quality: "draft", output: nil,
            pairs: [LockedPair(first: "a", last: "b", score: value, reasoning: "r", prompt: nil)],
            nodes: [LockedNode(
                id: "g", kind: "generate", key: Self.digest("k"), output: nil, engine: "1", provider: "p", model: "m",
                settings: .object([:]), inputs: [:], costUSD: value)])
        let yaml = try lockfile.yamlText()
        #expect(yaml.contains("\n  score: \(text)\n"))
        #expect(yaml.contains("\n  cost_usd: \(text)\n"))
        let back = try Lockfile(yaml: yaml)
        #expect(back == lockfile)
        #expect(try back.yamlText() == yaml)
    }

    @Test func equalScoresWriteEqualText() throws {
        // Values that round to the same four decimals are the same lockfile, and must be the same bytes.
        func text(_ score: Double) throws -> String {
            try Lockfile(
                campaign: "demo", quality: "draft", output: nil,
                pairs: [LockedPair(first: "a", last: "b", score: score, reasoning: "r", prompt: nil)], nodes: []
            ).yamlText()
        }
        for (lhs, rhs) in [(0.51171, 0.51174), (0, -0.00001), (0.3, 0.1 + 0.2), (1, 0.999999)] {
            #expect(FixedDecimal(lhs) == FixedDecimal(rhs))
            #expect(try text(lhs) == text(rhs), "\(lhs) and \(rhs)")
        }
    }

    @Test func stringsThatLookLikeOtherValuesStayStrings() throws {
        let tricky: [String] = [
            "123", "-1", "1.5", "1e3", "0x10", "0o17", "1_000", "true", "no", "on", "null", "~", "", " ", "2024-01-01", "12:30",
            "a: b", "- x", "#hash", "[1]", "{a: 1}", "*alias", "&anchor", "!tag", "|", ">", "'", "\"", "line\nbreak", "tab\there",
            "  leading", "trailing  ", "日本語 😀", "\u{7F}", "=", "<<",
        ]
        let settings = CanonicalValue.object(Dictionary(uniqueKeysWithValues: tricky.enumerated().map { ("k\($0.offset)", CanonicalValue.string($0.element)) }))
        let lockfile = Lockfile(
            campaign: "demo", quality: "draft", output: nil,
            pairs: tricky.map { LockedPair(first: $0, last: $0, score: 0.5, reasoning: $0, prompt: $0) },
            nodes: [LockedNode(
                id: "n", kind: "generate", key: Self.digest("k"), output: nil, engine: "1", provider: "p", model: "m",
                settings: settings, inputs: [:], predictionID: "0123")])
        let text = try lockfile.yamlText()
        let back = try Lockfile(yaml: text)
        #expect(back == lockfile)
        #expect(back.nodes.first?.keyMaterial == lockfile.nodes.first?.keyMaterial)
    }

    @Test func keyMaterialIsIndependentOfTheText() throws {
        let lockfile = Self.sample()
        let back = try Lockfile(yaml: lockfile.yamlText())
        #expect(back.nodes.map(\.keyMaterial.canonicalText) == lockfile.nodes.map(\.keyMaterial.canonicalText))
    }

    @Test func headerComesFirstAndKeysKeepTheirOrder() throws {
        let text = try Self.sample().yamlText()
        #expect(text.hasPrefix(Self.header + "version: 1\ncampaign: demo\nquality: balanced\noutput:\n"))
        let topLevel = text.split(separator: "\n").filter { !$0.hasPrefix(" ") && !$0.hasPrefix("-") && !$0.hasPrefix("#") }
        #expect(topLevel.map { String($0.prefix { $0 != ":" }) } == ["version", "campaign", "quality", "output", "pairs", "nodes"])
        let nodeKeys = text.split(separator: "\n").filter { $0.hasPrefix("- id:") || ($0.hasPrefix("  ") && !$0.hasPrefix("   ") && $0.contains(":")) }
        let firstNode = nodeKeys.drop { !$0.hasPrefix("- id: select") }.prefix(8).map { String($0.dropFirst(2).prefix { $0 != ":" }) }
        #expect(firstNode == ["id", "kind", "key", "output", "engine", "provider", "model", "settings"])
        // Inputs and settings are written in sorted key order, whatever order the dictionaries hold them in.
        let inputs = try #require(text.range(of: "  inputs:\n    a: \(Self.digest("a"))\n    b: \(Self.digest("b"))\n    c: \(Self.digest("c"))\n"))
        #expect(!inputs.isEmpty)
        #expect(text.contains("    options:\n      alpha: [1, true, null]\n      nested:\n        a: 1\n        b: 2\n      zeta: last\n"))
    }

    @Test(arguments: [
        "not a lockfile",
        "version: 1\ncampaign: demo\n",
        "version: 1\ncampaign: demo\nquality: draft\npairs: []\nnodes:\n- id: n\n  kind: k\n  key: sha256:nothex\n  engine: '1'\n  provider: p\n  model: m\n  settings: {}\n  inputs: {}\n",
        "version: 1\ncampaign: demo\nquality: draft\npairs:\n- first: a\n  last: b\n  score: high\n  reasoning: r\nnodes: []\n",
        "[1, 2",
    ])
    func rejectsWhatIsNotALockfile(_ text: String) {
        #expect(throws: (any Error).self) { try Lockfile(yaml: text) }
    }

    @Test func readsScoresAsWritten() throws {
        let text = Self.header + "version: 1\ncampaign: demo\nquality: draft\npairs:\n- first: a\n  last: b\n  score: 0.51236\n  reasoning: r\nnodes: []\n"
        let lockfile = try Lockfile(yaml: text)
        #expect(lockfile.pairs.first?.score == FixedDecimal(0.5124))
        #expect(lockfile.pairs.first?.score.value == 0.5124)
    }
}

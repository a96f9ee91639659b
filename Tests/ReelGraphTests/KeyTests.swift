import ReelBasics
import ReelEngine
import ReelGraph
import ReelManifest
import ReelTestSupport
import Testing

@Suite struct KeyTests {
    func builder(_ yaml: String = CampaignFixtures.explicitPairs, digests: [String: String] = [:], tool: String = "ffmpeg 5.1") throws -> GraphBuilder {
        let campaign = try CampaignFixtures.resolve(yaml)
        return GraphBuilder(campaign: campaign, assetDigests: CampaignFixtures.digests(campaign, overriding: digests), toolVersion: tool, selectorRequest: LLMSelectExecutor.requestShape)
    }

    func generateKeys(_ builder: GraphBuilder) throws -> [Digest] {
        let selection = try #require(builder.explicitSelection())
        return builder.generateNodes(for: selection).map(\.key)
    }

    /// The key is written straight from the fields; it must hash exactly the canonical text of
    /// the key material object (what `reel explain` shows and records keep), whatever the names.
    @Test func theKeyHashesTheCanonicalTextOfTheKeyMaterial() {
        let materials = [
            KeyMaterial(kind: .generate, engineVersion: "animatic/2", provider: "local", model: "animatic",
                        params: ["duration": 1, "fps": 2, "fit": "cover", "crf": 23, "seed": .null, "options": .object(["b": .array([1, true]), "a": "x"])],
                        inputs: ["first": Digest.of(string: "a"), "last": Digest.of(string: "b")]),
            KeyMaterial(kind: .combine, engineVersion: "combine/1", provider: "local", model: "ffmpeg", params: [:], inputs: [:]),
            KeyMaterial(kind: .select, engineVersion: "select \"llm\"\n/2", provider: "xai\\", model: "grök ☕", params: ["prompt": "line\tone\u{1}"],
                        inputs: ["Zeta": Digest.of(string: "z"), "alpha": Digest.of(string: "a"), "é": Digest.of(string: "e"), "clip/0010": Digest.of(string: "c")]),
        ]
        for material in materials {
            #expect(material.key == Digest.of(string: material.canonical.canonicalText))
        }
    }

    @Test func keysAreStable() throws {
        // The same inputs give the same keys in every process (no hashValue, no dictionary order).
        let keys = try generateKeys(try builder())
        #expect(keys == (try generateKeys(try builder())))
        let base = try builder()
        let selection = try #require(base.explicitSelection())
        let material = try #require(base.generateNodes(for: selection).first?.keyMaterial)
        #expect(material.canonical.canonicalText.contains("\"engine\":\"animatic/2\""))
        #expect(!material.canonical.canonicalText.contains("/project"), "keys never contain paths")
    }

    @Test func changingOneImageChangesOnlyTheClipsThatUseIt() throws {
        let before = try generateKeys(try builder())
        let after = try generateKeys(try builder(digests: ["a": "a, edited"]))
        #expect(before[0] != after[0])  // a -> b
        #expect(before[1] == after[1])  // b -> c
    }

    @Test(arguments: [
        "generate: {duration: 3}", "generate: {seed: 9}", "output: {fps: 30}", "output: {resolution: 1920x1080}",
        "output: {fit: contain}", "output: {crf: 30}",
    ])
    func everyClipSettingIsInTheKey(_ extra: String) throws {
        let before = try generateKeys(try builder())
        let after = try generateKeys(try builder(CampaignFixtures.explicitPairs + "\n" + extra))
        #expect(before[0] != after[0])
    }

    @Test func transitionChangesOnlyCombine() throws {
        let plain = try builder()
        let faded = try builder(CampaignFixtures.explicitPairs + "\noutput: {transition: {type: wipeleft, duration: 0.5}}")
        #expect(try generateKeys(plain) == (try generateKeys(faded)))
        let clips = [Digest.of(string: "c0"), Digest.of(string: "c1")]
        #expect(plain.combineNode(clips: clips, generateIDs: []).key != faded.combineNode(clips: clips, generateIDs: []).key)
    }

    @Test func ffmpegVersionIsPartOfLocalKeys() throws {
        #expect(try generateKeys(try builder(tool: "ffmpeg 5.1")) != (try generateKeys(try builder(tool: "ffmpeg 6.0"))))
    }

    @Test func combineDependsOnClipContentNotOnHowItWasMade() throws {
        let builder = try builder()
        let clips = [Digest.of(string: "c0"), Digest.of(string: "c1")]
        #expect(builder.combineNode(clips: clips, generateIDs: []).key == builder.combineNode(clips: clips, generateIDs: [.generate(0)]).key)
        #expect(builder.combineNode(clips: clips, generateIDs: []).key != builder.combineNode(clips: clips.reversed(), generateIDs: []).key)
    }

    @Test func differencesNameWhatChanged() throws {
        let original = try builder()
        let originalSelection = try #require(original.explicitSelection())
        let before = try #require(original.generateNodes(for: originalSelection).first)
        let changed = try builder(CampaignFixtures.explicitPairs + "\ngenerate: {duration: 3}")
        let changedSelection = try #require(changed.explicitSelection())
        let after = try #require(changed.generateNodes(for: changedSelection).first)
        #expect(after.keyMaterial.differences(from: before.keyMaterial.canonical) == ["params.duration: 4 -> 3"])
    }
}

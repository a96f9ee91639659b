import ReelBasics
import ReelEngine
import ReelGraph
import ReelManifest
import ReelTestSupport
import Testing

/// The key layout is pinned: an accidental change to how any node kind's key is computed would
/// invalidate every cache — and re-pay every clip — so it must fail here first. A deliberate
/// change updates these values and says so in the README's changelog.
@Suite struct GoldenKeyTests {
    static let tool = "ffmpeg version 5.1.9-0+deb12u1"

    func builder(_ yaml: String) throws -> GraphBuilder {
        let campaign = try CampaignFixtures.resolve(yaml)
        return GraphBuilder(
            campaign: campaign, assetDigests: CampaignFixtures.digests(campaign), toolVersion: GoldenKeyTests.tool,
            selectorRequest: LLMSelectExecutor.requestShape)
    }

    static let paid = """
        version: 1
        campaign: {id: fixture, goal: Launch, audience: Night owls}
        brand: {name: Orbit, voice: warm, colors: ["#0B1D3A"]}
        quality: premium
        assets:
          - glob: assets/*.jpg
        select: {selector: openai-compatible, model: grok-4.20-non-reasoning, count: 2}
        generate: {model: google/veo-3.1-fast, duration: 4, seed: 7}
        """

    @Test func localNodeKeys() throws {
        let builder = try builder(CampaignFixtures.selected)
        let features = builder.featureNodes()
        #expect(features.map(\.key.hex) == [
            Golden.featuresA, Golden.featuresB, Golden.featuresC,
        ])
        let outputs = Dictionary(uniqueKeysWithValues: features.map { ($0.id.suffix ?? "", Digest.of(string: "features of \($0.id)")) })
        let select = try #require(builder.selectNode(features: outputs))
        #expect(select.key.hex == Golden.selectLocal)
        let selection = Selection(pairs: [SelectedPair(first: "a", last: "b", score: 0.9, reasoning: "r", prompt: nil)])
        let generate = try #require(builder.generateNodes(for: selection).first)
        #expect(generate.key.hex == Golden.generateLocal)
        let combine = builder.combineNode(clips: [Digest.of(string: "clip 0"), Digest.of(string: "clip 1")], generateIDs: [])
        #expect(combine.key.hex == Golden.combine)
    }

    @Test func paidNodeKeys() throws {
        let builder = try builder(GoldenKeyTests.paid)
        let select = try #require(builder.selectNode(features: [:]))
        #expect(select.key.hex == Golden.selectLLM)
        let selection = Selection(pairs: [SelectedPair(first: "a", last: "b", score: 0.9, reasoning: "r", prompt: "slow push in")])
        let generate = try #require(builder.generateNodes(for: selection).first)
        #expect(generate.key.hex == Golden.generateReplicate)
    }

    @Test func theSelectKeyFollowsThePromptText() throws {
        let builder = try builder(GoldenKeyTests.paid)
        let select = try #require(builder.selectNode(features: [:]))
        // A different prompt text (or schema, temperature, image size) is a different request shape.
        var edited = LLMSelectExecutor.requestShape.parameters
        edited["prompt"] = .string(Digest.of(string: "a reworded system prompt").description)
        let other = GraphBuilder(
            campaign: builder.campaign, assetDigests: builder.assetDigests, toolVersion: builder.toolVersion,
            selectorRequest: SelectorRequestShape(parameters: edited))
        #expect(try #require(other.selectNode(features: [:])).key != select.key)
        // The shape is rendered from the real request types: every part the issue names is in it.
        #expect(Set(LLMSelectExecutor.requestShape.parameters.keys).isSuperset(of: ["prompt", "schema", "temperature", "image_max_edge"]))
    }
}

/// Pinned keys. Changed on purpose only, with a changelog entry.
enum Golden {
    static let featuresA = "ca2337de199bfbac0176e5e6032f41a4853c66a8733153a7300ee561616725b2"
    static let featuresB = "b2877a5d95cf99df5731d657d58d7b5a77f92fb51add09e3b554040645f8235b"
    static let featuresC = "3b6d7d7cf2532764aedbf5a8413375ea86b69acaf978b6a2568b860dad0e3194"
    static let selectLocal = "166b08354d29f9f14538a5d780f96174913160326e46e49d02e7fe1dc360eefd"
    static let generateLocal = "33a886c326b2177a5d53681cfb485dcaaa5e7ea9a0558adbe49cf8152fb70bda"  // animatic/2
    static let combine = "e3bb62a18bdeea8374c3b5442e4aa12e3e804a5677bbfbb0d6f1da5f1539d7a0"
    static let selectLLM = "01c6268c350a1ebe4f051ee0d33409138a6c27026669e58acfa836356e0e97c5"
    static let generateReplicate = "dc34bfe8c777fa44979f5850bad46b9b302167ee0a662e026903768470edbf0f"
}

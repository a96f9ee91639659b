import ReelBasics
import ReelEngine
import ReelGraph
import ReelManifest
import ReelTestSupport
import Testing

/// Issue 14, variants in the graph: a lane per variant over one selection, a clip two variants
/// share is one node, and a campaign without variants keeps its ids and keys.
@Suite struct VariantGraphTests {
    static let selection = Selection(pairs: [
        SelectedPair(first: "a", last: "b", score: 0.9, reasoning: "r", prompt: "slow push in"),
        SelectedPair(first: "b", last: "c", score: 0.8, reasoning: "r", prompt: "slow push in"),
    ])

    static let variants = GoldenKeyTests.paid + """

        output: {path: out/spring.mp4}
        variants:
          fade:
            output: {transition: fade}
          cut:
            output: {transition: none}
          seedance:
            generate: {model: bytedance/seedance-1-lite, resolution: 720p}
        """

    func builder(_ yaml: String) throws -> GraphBuilder {
        let campaign = try CampaignFixtures.resolve(yaml)
        return GraphBuilder(
            campaign: campaign, assetDigests: CampaignFixtures.digests(campaign), toolVersion: GoldenKeyTests.tool,
            selectorRequest: LLMSelectExecutor.requestShape)
    }

    @Test func withoutVariantsOneUnnamedLaneWithTodaysIdsAndKeys() throws {
        let builder = try builder(GoldenKeyTests.paid)
        #expect(builder.lanes.map(\.name) == [""])
        let clips = builder.clipNodes(for: Self.selection)
        #expect(clips.distinct.map(\.id.rawValue) == ["generate/0", "generate/1"])
        #expect(clips.distinct[0].key.hex == Golden.generateReplicate)
        #expect(builder.combineNode(clips: [], generateIDs: [], lane: builder.lanes[0]).id.rawValue == "combine")
    }

    @Test func sharedClipsAreOneNodeAndEachVariantHasItsVideo() throws {
        let builder = try builder(Self.variants)
        #expect(builder.lanes.map(\.name) == ["fade", "cut", "seedance"])
        #expect(builder.lanes.map { $0.output.path.basename } == ["spring.fade.mp4", "spring.cut.mp4", "spring.seedance.mp4"])
        let clips = builder.clipNodes(for: Self.selection)
        #expect(clips.distinct.map(\.id.rawValue) == ["generate/0@fade", "generate/1@fade", "generate/0@seedance", "generate/1@seedance"])
        #expect(clips.lanes[1].map(\.id.rawValue) == ["generate/0@fade", "generate/1@fade"], "cut's clips are fade's")
        // Only the combine differs between fade and cut; the clips' keys are the campaign's own.
        #expect(clips.distinct[0].key.hex == Golden.generateReplicate)
        #expect(clips.distinct[2].keyMaterial.model == "bytedance/seedance-1-lite")
        let fade = builder.combineNode(clips: [], generateIDs: [], lane: builder.lanes[0])
        let cut = builder.combineNode(clips: [], generateIDs: [], lane: builder.lanes[1])
        #expect(fade.id.rawValue == "combine@fade" && cut.id.rawValue == "combine@cut")
        #expect(fade.key != cut.key)
    }

    @Test func onlyVariantsNarrowsTheLanes() throws {
        var builder = try builder(Self.variants)
        builder.onlyVariants = ["cut"]
        let clips = builder.clipNodes(for: Self.selection)
        #expect(clips.distinct.map(\.id.rawValue) == ["generate/0@fade", "generate/1@fade"], "a shared clip keeps its id under --variant")
        #expect(clips.distinct[0].key.hex == Golden.generateReplicate, "the same clip, whichever variant builds it")
        #expect(clips.lanes.count == 1)
    }

    @Test func variantNodeIdsParse() {
        let id = NodeID(parsing: "spring:generate/3@fast")
        #expect(id.campaign == "spring" && id.rawValue == "generate/3@fast")
        #expect(id.kind == .generate && id.suffix == "3" && id.variant == "fast" && id.baseName == "generate/3")
        #expect(NodeID("combine@fast").kind == .combine)
        #expect(NodeID("generate/3").variant == "" && NodeID("generate/3").inVariant("x").rawValue == "generate/3@x")
        #expect(NodeID("generate/10@a").sortKey > NodeID("generate/9@a").sortKey)
    }
}

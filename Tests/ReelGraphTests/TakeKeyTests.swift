import ReelBasics
import ReelEngine
import ReelGraph
import ReelManifest
import ReelTestSupport
import Testing

/// Issue 14: the take is part of a generate key only above 1, so take 1 is the pinned golden key.
@Suite struct TakeKeyTests {
    func builder(_ yaml: String, takes: [TakeSlot: Int]) throws -> GraphBuilder {
        let campaign = try CampaignFixtures.resolve(yaml)
        var builder = GraphBuilder(
            campaign: campaign, assetDigests: CampaignFixtures.digests(campaign), toolVersion: GoldenKeyTests.tool,
            selectorRequest: LLMSelectExecutor.requestShape)
        builder.takes = takes
        return builder
    }

    static let ab = TakeSlot(first: "a", last: "b")

    static let selection = Selection(pairs: [
        SelectedPair(first: "a", last: "b", score: 0.9, reasoning: "r", prompt: "slow push in"),
        SelectedPair(first: "b", last: "c", score: 0.8, reasoning: "r", prompt: "slow push in"),
    ])

    @Test func takeOneIsTodaysKeyAndLaterTakesAreNewKeys() throws {
        let one = try builder(GoldenKeyTests.paid, takes: [Self.ab: 1]).generateNodes(for: Self.selection)
        #expect(one[0].key.hex == Golden.generateReplicate)
        #expect(one[0].keyMaterial.params["take"] == nil)

        let two = try builder(GoldenKeyTests.paid, takes: [Self.ab: 2]).generateNodes(for: Self.selection)
        let three = try builder(GoldenKeyTests.paid, takes: [Self.ab: 3]).generateNodes(for: Self.selection)
        #expect(two[0].key != one[0].key)
        #expect(three[0].key != two[0].key)
        #expect(two[0].keyMaterial.params["take"] == .int(2))
        #expect(two[1].key == one[1].key, "another clip's take leaves this one alone")
        // The provider is asked for exactly the same thing: a take is another roll of the same request.
        guard case .generate(let first) = one[0].action, case .generate(let second) = two[0].action else {
            Issue.record("not generate actions")
            return
        }
        #expect(first.modelInput == second.modelInput)
    }

    @Test func takesApplyToTheLocalAnimaticToo() throws {
        let selection = Selection(pairs: [SelectedPair(first: "a", last: "b", score: 0.9, reasoning: "r", prompt: nil)])
        let one = try builder(CampaignFixtures.selected, takes: [:]).generateNodes(for: selection)
        #expect(one[0].key.hex == Golden.generateLocal)
        let two = try builder(CampaignFixtures.selected, takes: [Self.ab: 2]).generateNodes(for: selection)
        #expect(two[0].key != one[0].key)
    }

    /// Issue 14: a take belongs to its pair, not to a position: when the selection changes (here
    /// the same pairs in the other order), the take moves with `a -> b`, and the clip now at index
    /// 0 stays take 1.
    @Test func aTakeFollowsItsPairWhenTheSelectionChanges() throws {
        let reordered = Selection(pairs: Array(Self.selection.pairs.reversed()))
        let before = try builder(GoldenKeyTests.paid, takes: [Self.ab: 2]).generateNodes(for: Self.selection)
        let after = try builder(GoldenKeyTests.paid, takes: [Self.ab: 2]).generateNodes(for: reordered)
        #expect(after[1].keyMaterial.params["take"] == .int(2), "a -> b is now generate/1 and keeps its take")
        #expect(after[0].keyMaterial.params["take"] == nil, "b -> c, now generate/0, does not inherit it")
        #expect(after[1].key == before[0].key, "the same clip: a -> b at take 2")
        #expect(after[0].key == before[1].key)
    }

    /// A take of one variant's clip leaves the other variants' clips of that pair alone.
    @Test func aTakeBelongsToOneVariant() throws {
        let yaml = GoldenKeyTests.paid + "\nvariants:\n  fast:\n    generate:\n      seed: 7\n  slow:\n    generate:\n      seed: 8\n"
        let builder = try builder(yaml, takes: [TakeSlot(variant: "slow", first: "a", last: "b"): 2])
        let clips = builder.clipNodes(for: Self.selection)
        #expect(clips.lanes.map { $0.map(\.id.rawValue) } == [["generate/0@fast", "generate/1@fast"], ["generate/0@slow", "generate/1@slow"]])
        #expect(clips.lanes[0][0].keyMaterial.params["take"] == nil)
        #expect(clips.lanes[1][0].keyMaterial.params["take"] == .int(2))
        #expect(clips.lanes[1][1].keyMaterial.params["take"] == nil)
    }
}

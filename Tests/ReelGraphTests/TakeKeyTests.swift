import ReelBasics
import ReelEngine
import ReelGraph
import ReelManifest
import ReelTestSupport
import Testing

/// Issue 14: the take is part of a generate key only above 1, so take 1 is the pinned golden key.
@Suite struct TakeKeyTests {
    func builder(_ yaml: String, takes: [Int: Int]) throws -> GraphBuilder {
        let campaign = try CampaignFixtures.resolve(yaml)
        var builder = GraphBuilder(
            campaign: campaign, assetDigests: CampaignFixtures.digests(campaign), toolVersion: GoldenKeyTests.tool,
            selectorRequest: LLMSelectExecutor.requestShape)
        builder.takes = takes
        return builder
    }

    static let selection = Selection(pairs: [
        SelectedPair(first: "a", last: "b", score: 0.9, reasoning: "r", prompt: "slow push in"),
        SelectedPair(first: "b", last: "c", score: 0.8, reasoning: "r", prompt: "slow push in"),
    ])

    @Test func takeOneIsTodaysKeyAndLaterTakesAreNewKeys() throws {
        let one = try builder(GoldenKeyTests.paid, takes: [0: 1]).generateNodes(for: Self.selection)
        #expect(one[0].key.hex == Golden.generateReplicate)
        #expect(one[0].keyMaterial.params["take"] == nil)

        let two = try builder(GoldenKeyTests.paid, takes: [0: 2]).generateNodes(for: Self.selection)
        let three = try builder(GoldenKeyTests.paid, takes: [0: 3]).generateNodes(for: Self.selection)
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
        let two = try builder(CampaignFixtures.selected, takes: [0: 2]).generateNodes(for: selection)
        #expect(two[0].key != one[0].key)
    }
}

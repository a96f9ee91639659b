import Foundation
import ReelBasics
import ReelEngine
import ReelGraph
import ReelLedger
import ReelTestSupport
import Testing

/// Issue 9 item 12 (engine side): a failed poll says the prediction is journaled and resumed, and
/// --keep-going under a run cap reuses the headroom a failed prediction frees.
@Suite(.enabled(if: Fixtures.hasFFmpeg, "needs ffmpeg"))
struct PlanFlagTests {
    @Test func aFailedPollSaysThePredictionIsJournaledAndWillBeResumed() async throws {
        try await withTemporaryDirectory { directory in
            let setup = try await FakeProviderProject(directory)
            setup.fake.statusErrors = 1
            let result = await setup.engine("run-1").run()
            let node = try #require(result.nodes.first { $0.id.local == .generate(0) })
            #expect(node.state == .failed)
            let message = node.message ?? ""
            #expect(message.contains("HTTP 500"))
            #expect(message.contains("journaled in"), "\(message)")
            #expect(message.contains("resumes it without paying again"))
            #expect(await setup.engine("run-2").run().succeeded)
            #expect(setup.fake.createCount == 1)
        }
    }

    @Test func keepGoingReusesHeadroomAFailedPredictionFrees() async throws {
        try await withTemporaryDirectory { directory in
            var setup = try await FakeProviderProject(directory, pairs: "[[rocket, coffee], [coffee, astronaut]]")
            setup.caps = BudgetCaps(run: 0.40)  // room for one 4 s clip at $0.10/s
            setup.fake.failing = [1]  // the first generation fails (and costs nothing)
            let result = await setup.engine("run-1", keepGoing: true).run()
            let states = Dictionary(uniqueKeysWithValues: result.nodes.map { ($0.id.local, $0.state) })
            #expect(states[.generate(0)] == .failed || states[.generate(1)] == .failed)
            #expect(states[.generate(0)] == .built || states[.generate(1)] == .built, "\(result.nodes.map { "\($0.id): \($0.message ?? "")" })")
            #expect(setup.fake.createCount == 2)
            let rows = try setup.ledger.rows()
            #expect(rows.map(\.status).sorted() == ["failed", "settled"])
            #expect(try setup.ledger.committed(run: "run-1") <= 0.40 + 1e-9)
        }
    }
}

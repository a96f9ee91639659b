import Foundation
import ReelBasics
import ReelCache
import ReelEngine
import ReelGraph
import ReelLedger
import ReelTestSupport
import Testing

/// Issue 9 items 6 and 7: a ledger write that fails is never silent, and a reservation left open
/// after the clip was recorded is settled from the action record on the next run.
@Suite(.enabled(if: Fixtures.hasFFmpeg, "needs ffmpeg"))
struct LedgerFailureTests {
    @Test func aFailedSettleIsReportedAndTheNextRunSettlesFromTheRecord() async throws {
        try await withTemporaryDirectory { directory in
            let setup = try await FakeProviderProject(directory)
            let failing = FailingLedger(setup.ledger)
            failing.failing = true
            let first = await setup.engine("run-1", ledger: failing).run()
            let node = try #require(first.nodes.first { $0.id.local == .generate(0) })
            #expect(node.state == .failed)
            #expect(node.message?.contains("could not be written to the ledger (database is locked)") == true, "\(node.message ?? "")")
            #expect(try setup.ledger.rows().map(\.status) == ["reserved"], "the reservation is kept, not lost")
            let spec = try #require(setup.generateSpecs.first)
            #expect(try setup.store.actions.lookup(spec.key) != nil, "the clip is recorded")

            // The next run (ledger healthy) settles it from the action record before anything else,
            // even with --force on the node: never abandoned at $0, never paid twice.
            let second = await setup.engine("run-2").run()
            #expect(second.succeeded, "\(second.nodes.map { "\($0.id): \($0.message ?? "")" })")
            let rows = try setup.ledger.rows()
            #expect(rows.count == 1)
            #expect(rows.first?.status == "settled")
            #expect(rows.first?.predictionID == "fg-1")
            #expect(abs((rows.first?.actualUSD ?? 0) - 0.40) < 1e-9)
            #expect(setup.fake.createCount == 1)
        }
    }

    @Test func theLedgerIsSettledFromTheRecordBeforeAForcedRebuildCouldAbandonIt() async throws {
        try await withTemporaryDirectory { directory in
            let setup = try await FakeProviderProject(directory)
            let failing = FailingLedger(setup.ledger)
            failing.failing = true
            _ = await setup.engine("run-1", ledger: failing).run()
            #expect(try setup.ledger.openReservations().count == 1)
            // A later build that forces the clip again: the open reservation is settled at its cost
            // first (previously it was marked abandoned at $0 while the provider billed it).
            let spec = try #require(setup.generateSpecs.first)
            let gate = SpendGate(ledger: setup.ledger, campaign: "neutral", runID: "run-2", caps: setup.caps)
            let forced = BuildEngine(
                workspace: setup.workspace,
                executors: ExecutorSet(
                    generators: ["fakegen": RemoteGenerationExecutor(provider: setup.fake, pollInterval: .milliseconds(5))],
                    combine: RecordingExecutor.contentAddressed()),
                options: BuildOptions(jobs: 1, forced: [spec.id]), spend: gate, events: { _ in })
            let result = await forced.run()
            #expect(result.succeeded)
            let rows = try setup.ledger.rows()
            #expect(rows.map(\.status) == ["settled", "settled"])
            #expect(abs(rows.reduce(0) { $0 + ($1.actualUSD ?? 0) } - 0.80) < 1e-9, "two clips created, two billed: \(rows)")
            #expect(setup.fake.createCount == 2)
        }
    }

    @Test func aFailedReleaseIsReportedNotSwallowed() async throws {
        try await withTemporaryDirectory { directory in
            let setup = try await FakeProviderProject(directory)
            setup.fake.refuseCreates = true
            let failing = FailingLedger(setup.ledger)
            failing.failing = true
            let result = await setup.engine("run-1", ledger: failing).run()
            let node = try #require(result.nodes.first { $0.id.local == .generate(0) })
            #expect(node.state == .failed)
            #expect(node.message?.contains("the fake provider refuses") == true)
            #expect(node.message?.contains("could not be written to the ledger (database is locked)") == true, "\(node.message ?? "")")
            #expect(try setup.ledger.rows().map(\.status) == ["reserved"])
        }
    }
}

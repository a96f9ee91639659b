import Foundation
import ReelBasics
import ReelLedger
import ReelTestSupport
import Synchronization
import Testing

@Suite struct LedgerTests {
    func ledger(_ directory: AbsolutePath) throws -> Ledger {
        try Ledger(path: directory.appending("ledger.sqlite"))
    }

    func reserve(
        _ ledger: Ledger, key: String, estimate: Double, caps: BudgetCaps, run: String = "run", campaign: String = "c", takeOver: Bool = false
    ) throws -> Reservation {
        try ledger.reserve(
            runID: run, campaign: campaign, nodeID: "generate/0", nodeKey: key, provider: "replicate", model: "m", estimate: estimate,
            caps: caps, takeOver: takeOver, now: "2026-11-25T10:00:00Z")
    }

    @Test func reservesSettlesAndReleases() async throws {
        try await withTemporaryDirectory { directory in
            let ledger = try ledger(directory)
            let first = try reserve(ledger, key: "a", estimate: 0.6, caps: BudgetCaps(campaign: 2))
            #expect(try ledger.committed(campaign: "c") == 0.6)
            try ledger.settle(first, actualUSD: 0.5, predictionID: "p1", now: "2026-11-25T10:01:00Z")
            #expect(try ledger.committed(campaign: "c") == 0.5)
            let second = try reserve(ledger, key: "b", estimate: 1.0, caps: BudgetCaps(campaign: 2))
            try ledger.release(second, now: "2026-11-25T10:02:00Z")
            #expect(try ledger.committed(campaign: "c") == 0.5)
            let rows = try ledger.rows()
            #expect(rows.map(\.status) == ["settled", "released"])
            #expect(rows.first?.predictionID == "p1")
        }
    }

    @Test func refusesWhatWouldBreakACap() async throws {
        try await withTemporaryDirectory { directory in
            let ledger = try ledger(directory)
            _ = try reserve(ledger, key: "a", estimate: 1.5, caps: BudgetCaps(campaign: 2))
            #expect(throws: BudgetExceeded.self) { try reserve(ledger, key: "b", estimate: 0.6, caps: BudgetCaps(campaign: 2)) }
            #expect(throws: BudgetExceeded.self) { try reserve(ledger, key: "c", estimate: 0.6, caps: BudgetCaps(node: 0.5)) }
            #expect(throws: BudgetExceeded.self) { try reserve(ledger, key: "d", estimate: 0.6, caps: BudgetCaps(run: 2)) }
            // Another run is not limited by this run's spending.
            _ = try reserve(ledger, key: "e", estimate: 0.6, caps: BudgetCaps(run: 2), run: "other")
        }
    }

    @Test func anOpenReservationIsTakenOverNotDoubled() async throws {
        try await withTemporaryDirectory { directory in
            let ledger = try ledger(directory)
            let crashed = try reserve(ledger, key: "same-node", estimate: 1.0, caps: BudgetCaps(campaign: 1.5), run: "crashed")
            let resumed = try reserve(ledger, key: "same-node", estimate: 1.0, caps: BudgetCaps(campaign: 1.5), run: "resumed", takeOver: true)
            #expect(resumed.id == crashed.id)
            #expect(try ledger.committed(campaign: "c") == 1.0)
            #expect(try ledger.committed(run: "resumed") == 1.0)
            #expect(try ledger.reserved(campaign: "c", nodeKeys: ["same-node"]) == 1.0)
        }
    }

    @Test func concurrentReservationsNeverOvershoot() async throws {
        try await withTemporaryDirectory { directory throws in
            let path = directory.appending("ledger.sqlite")
            let granted = Mutex(0)
            // Separate connections, as separate processes would have.
            DispatchQueue.concurrentPerform(iterations: 40) { index in
                guard let ledger = try? Ledger(path: path) else { return }
                if (try? reserve(ledger, key: "k\(index)", estimate: 0.25, caps: BudgetCaps(campaign: 2.0))) != nil {
                    granted.withLock { $0 += 1 }
                }
            }
            #expect(granted.withLock { $0 } == 8)
            #expect(try Ledger(path: path).committed(campaign: "c") == 2.0)
        }
    }

    @Test func aStaleReservationIsReleasedAndTheNewOneChecked() async throws {
        try await withTemporaryDirectory { directory in
            let ledger = try ledger(directory)
            _ = try reserve(ledger, key: "node", estimate: 1.0, caps: BudgetCaps(campaign: 1.5), run: "crashed-before-create")
            // Nothing is in flight for the node (no journal): the old row is abandoned, not taken over.
            let fresh = try reserve(ledger, key: "node", estimate: 1.0, caps: BudgetCaps(campaign: 1.5), run: "next")
            #expect(try ledger.rows().map(\.status) == ["abandoned", "reserved"])
            #expect(fresh.id == 2)
            #expect(try ledger.committed(campaign: "c") == 1.0)
            // And a takeover never crosses campaigns.
            let other = try reserve(ledger, key: "node", estimate: 1.0, caps: BudgetCaps(), run: "x", campaign: "other", takeOver: true)
            #expect(other.id == 3)
        }
    }
}

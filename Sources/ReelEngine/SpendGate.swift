import Foundation
import ReelBasics
import ReelCache
import ReelGraph
import ReelLedger
import ReelProviders

/// Puts the ledger between the engine and every paid call: a node's estimate is reserved before
/// its call starts (refused if any cap would break, with any concurrency) and settled to the
/// actual cost when it ends. It reads what a failure billed from the error's `BillingReport`,
/// never from provider names or provider error types.
public struct SpendGate: Sendable {
    public let ledger: any SpendLedger
    public let campaign: String
    public let runID: String
    public let caps: BudgetCaps

    public init(ledger: any SpendLedger, campaign: String, runID: String = UUID().uuidString.lowercased(), caps: BudgetCaps) {
        self.ledger = ledger
        self.campaign = campaign
        self.runID = runID
        self.caps = caps
    }

    /// Reserves the node's estimate. An open reservation for the same node is taken over only when
    /// the journal says its prediction is still in flight (a resumed run); otherwise it is stale
    /// and released first, and the new reservation passes every cap check.
    /// - Throws: `BudgetExceeded` when a cap would break.
    func reserve(_ spec: NodeSpec, estimate: Double, resuming: Bool, now: Date) async throws -> Reservation {
        try await ledger.reserve(
            runID: runID, campaign: campaign, nodeID: spec.id.rawValue, nodeKey: spec.key.hex, provider: spec.keyMaterial.provider,
            model: spec.keyMaterial.model, estimate: estimate, caps: caps, takeOver: resuming, now: iso8601(now))
    }

    /// Settles after success: the cost the executor reported, else the estimate.
    /// - Throws: when the ledger cannot be written (the reservation then stays open, and the next
    ///   build settles it from the action record: `settleRecorded`).
    func settle(_ reservation: Reservation, outcome: ActionOutcome, now: Date) async throws -> Double {
        let actual = outcome.metadata["cost_usd"]?.doubleValue ?? reservation.estimatedUSD
        try await ledger.settle(
            reservation, actualUSD: actual, predictionID: outcome.metadata["prediction_id"]?.stringValue, status: "settled", now: iso8601(now))
        return actual
    }

    /// After a failure: keep the reservation while remote work may still run or be billed (the
    /// journal holds it); otherwise settle what the error says was billed. An error that reports
    /// no billing (interrupted, or failed before any paid call was sent) spent nothing.
    /// - Throws: when the ledger cannot be written (the reservation stays open).
    func failed(_ reservation: Reservation, error: any Error, inFlight: Bool, now: Date) async throws {
        if inFlight { return }
        let stamp = iso8601(now)
        let report = (error as? any ReportsBilling)?.billing ?? BillingReport(billed: .none, status: "released")
        switch report.billed {
        case .none:
            try await ledger.release(reservation, now: stamp)
        case .estimate:
            try await ledger.settle(reservation, actualUSD: reservation.estimatedUSD, predictionID: report.predictionID, status: report.status, now: stamp)
        case .actual(let usd):
            try await ledger.settle(reservation, actualUSD: usd, predictionID: report.predictionID, status: report.status, now: stamp)
        }
    }

    /// Spent or reserved by the campaign so far, and the remaining headroom under each cap.
    public func headroom() async throws -> (committed: Double, campaign: Double?, run: Double?) {
        let committed = try await ledger.committed(campaign: campaign)
        return (committed, caps.campaign.map { $0 - committed }, caps.run)
    }
}

/// Settles what a crash (or a failed ledger write) left open: a reservation whose node's result
/// is already recorded in the action cache was paid for, and the record knows the prediction and
/// its cost. Run before each build, so such a reservation is never left open for ever, nor
/// closed at $0 by a later `--force`.
public enum SpendRecovery {
    /// Settles the campaign's open reservations whose node keys have action records.
    /// - Returns: the rows settled (as they were before settling).
    /// - Throws: when the ledger cannot be read or written.
    @discardableResult
    public static func settleRecorded(ledger: any SpendLedger, campaign: String, actions: any ActionCache, now: Date) async throws -> [SpendRow] {
        var settled: [SpendRow] = []
        for row in try await ledger.openReservations(campaign: campaign) {
            guard let id = row.id, let key = Digest(row.nodeKey), let record = try await actions.lookup(key) else { continue }
            let actual = record.metadata["cost_usd"]?.doubleValue ?? row.estimatedUSD
            let reservation = Reservation(id: id, nodeKey: row.nodeKey, estimatedUSD: row.estimatedUSD, provider: row.provider)
            try await ledger.settle(
                reservation, actualUSD: actual, predictionID: record.metadata["prediction_id"]?.stringValue, status: "settled", now: iso8601(now))
            settled.append(row)
        }
        return settled
    }
}

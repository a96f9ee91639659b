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
    func settle(_ reservation: Reservation, outcome: ActionOutcome, now: Date) async -> Double {
        let actual = outcome.metadata["cost_usd"]?.doubleValue ?? reservation.estimatedUSD
        try? await ledger.settle(
            reservation, actualUSD: actual, predictionID: outcome.metadata["prediction_id"]?.stringValue, status: "settled", now: iso8601(now))
        return actual
    }

    /// After a failure: keep the reservation while remote work may still run or be billed (the
    /// journal holds it); otherwise settle what the error says was billed. An error that reports
    /// no billing (interrupted, or failed before any paid call was sent) spent nothing.
    func failed(_ reservation: Reservation, error: any Error, inFlight: Bool, now: Date) async {
        if inFlight { return }
        let stamp = iso8601(now)
        let report = (error as? any ReportsBilling)?.billing ?? BillingReport(billed: .none, status: "released")
        switch report.billed {
        case .none:
            try? await ledger.release(reservation, now: stamp)
        case .estimate:
            try? await ledger.settle(reservation, actualUSD: reservation.estimatedUSD, predictionID: report.predictionID, status: report.status, now: stamp)
        case .actual(let usd):
            try? await ledger.settle(reservation, actualUSD: usd, predictionID: report.predictionID, status: report.status, now: stamp)
        }
    }

    /// Spent or reserved by the campaign so far, and the remaining headroom under each cap.
    public func headroom() async throws -> (committed: Double, campaign: Double?, run: Double?) {
        let committed = try await ledger.committed(campaign: campaign)
        return (committed, caps.campaign.map { $0 - committed }, caps.run)
    }
}

import Foundation
import ReelBasics
import ReelCache
import ReelGraph
import ReelLedger
import ReelProviders

/// Puts the ledger between the engine and every paid call: a node's estimate is reserved before
/// its call starts (refused if any cap would break, with any concurrency) and settled to the
/// actual cost when it ends.
public struct SpendGate: Sendable {
    public let ledger: Ledger
    public let campaign: String
    public let runID: String
    public let caps: BudgetCaps

    public init(ledger: Ledger, campaign: String, runID: String = UUID().uuidString.lowercased(), caps: BudgetCaps) {
        self.ledger = ledger
        self.campaign = campaign
        self.runID = runID
        self.caps = caps
    }

    /// Reserves the node's estimate.
    /// - Throws: `BudgetExceeded` when a cap would break.
    func reserve(_ spec: NodeSpec, estimate: Double, now: Date) throws -> Reservation {
        try ledger.reserve(
            runID: runID, campaign: campaign, nodeID: spec.id.rawValue, nodeKey: spec.key.hex, provider: spec.keyMaterial.provider,
            model: spec.keyMaterial.model, estimate: estimate, caps: caps, now: iso8601(now))
    }

    /// Settles after success: the cost the executor reported, else the estimate.
    func settle(_ reservation: Reservation, outcome: ActionOutcome, now: Date) -> Double {
        let actual = outcome.metadata["cost_usd"]?.doubleValue ?? reservation.estimatedUSD
        try? ledger.settle(reservation, actualUSD: actual, predictionID: outcome.metadata["prediction_id"]?.stringValue, now: iso8601(now))
        return actual
    }

    /// After a failure: keep the reservation while remote work may still be running or billed
    /// (the journal holds it, or the create's fate is unknown); otherwise settle what was spent.
    func failed(_ reservation: Reservation, error: any Error, inFlight: Bool, now: Date) {
        let stamp = iso8601(now)
        if inFlight || error is CancellationError { return }
        switch error {
        case let error as ProviderError:
            if case .ambiguousCreate = error { return }
            try? ledger.release(reservation, now: stamp)
        case let error as GenerationError:
            switch error {
            case .predictionEnded(let id, _, _):
                try? ledger.settle(reservation, actualUSD: 0, predictionID: id, status: "failed", now: stamp)
            case .outputExpired(let id), .unreadableOutput(let id, _):
                // The prediction succeeded (and was billed) but its output is unusable.
                try? ledger.settle(reservation, actualUSD: reservation.estimatedUSD, predictionID: id, status: "lost", now: stamp)
            }
        default:
            try? ledger.release(reservation, now: stamp)
        }
    }

    /// Spent or reserved by the campaign so far, and the remaining headroom under each cap.
    public func headroom() -> (committed: Double, campaign: Double?, run: Double?) {
        let committed = (try? ledger.committed(campaign: campaign)) ?? 0
        return (committed, caps.campaign.map { $0 - committed }, caps.run)
    }
}

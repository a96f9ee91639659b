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

    /// Reserves the node's estimate. An open reservation for the same node is taken over only when
    /// the journal says its prediction is still in flight (a resumed run); otherwise it is stale
    /// and released first, and the new reservation passes every cap check.
    /// - Throws: `BudgetExceeded` when a cap would break.
    func reserve(_ spec: NodeSpec, estimate: Double, resuming: Bool, now: Date) throws -> Reservation {
        try ledger.reserve(
            runID: runID, campaign: campaign, nodeID: spec.id.rawValue, nodeKey: spec.key.hex, provider: spec.keyMaterial.provider,
            model: spec.keyMaterial.model, estimate: estimate, caps: caps, takeOver: resuming, now: iso8601(now))
    }

    /// Settles after success: the cost the executor reported, else the estimate.
    func settle(_ reservation: Reservation, outcome: ActionOutcome, now: Date) -> Double {
        let actual = outcome.metadata["cost_usd"]?.doubleValue ?? reservation.estimatedUSD
        try? ledger.settle(reservation, actualUSD: actual, predictionID: outcome.metadata["prediction_id"]?.stringValue, now: iso8601(now))
        return actual
    }

    /// After a failure: keep the reservation while remote work may still run or be billed (the
    /// journal holds it); otherwise settle what was spent, or release what was not.
    func failed(_ reservation: Reservation, error: any Error, inFlight: Bool, now: Date) {
        if inFlight { return }
        let stamp = iso8601(now)
        switch error {
        case let error as GenerationError:
            switch error {
            case .predictionEnded(let id, let status, _):
                try? ledger.settle(reservation, actualUSD: 0, predictionID: id, status: status, now: stamp)
            case .outputExpired(let id), .unreadableOutput(let id, _), .journaledPredictionMissing(let id, _, _):
                // The prediction ran (and was billed) but its output cannot be used.
                try? ledger.settle(reservation, actualUSD: reservation.estimatedUSD, predictionID: id, status: "lost", now: stamp)
            case .assetChanged:
                try? ledger.release(reservation, now: stamp)
            }
        case let error as SelectionError:
            try? ledger.settle(reservation, actualUSD: error.costUSD, predictionID: nil, status: "failed", now: stamp)
        case let error as ProviderError:
            if case .http(_, _, let status, _) = error, (400..<500).contains(status) {
                try? ledger.release(reservation, now: stamp)  // refused: nothing ran
            } else if case .exhausted = error, reservation.provider == "replicate" {
                try? ledger.release(reservation, now: stamp)  // a create that never left
            } else {
                // A call that may have been answered and billed: count the estimate.
                try? ledger.settle(reservation, actualUSD: reservation.estimatedUSD, predictionID: nil, status: "uncertain", now: stamp)
            }
        default:
            // Interrupted, or failed before any paid call was sent (cancelled predictions are
            // no longer in the journal and cost nothing).
            try? ledger.release(reservation, now: stamp)
        }
    }

    /// Spent or reserved by the campaign so far, and the remaining headroom under each cap.
    public func headroom() -> (committed: Double, campaign: Double?, run: Double?) {
        let committed = (try? ledger.committed(campaign: campaign)) ?? 0
        return (committed, caps.campaign.map { $0 - committed }, caps.run)
    }
}

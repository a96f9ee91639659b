/// A public way to make rows, so other ledger implementations (the shared PostgreSQL one) can
/// return them (the memberwise initialiser is internal to this module).
extension SpendRow {
    public static func restored(
        id: Int64?, runID: String, campaign: String, nodeID: String, nodeKey: String, provider: String, model: String, predictionID: String?,
        estimatedUSD: Double, actualUSD: Double?, status: String, startedAt: String, finishedAt: String?
    ) -> SpendRow {
        SpendRow(
            id: id, runID: runID, campaign: campaign, nodeID: nodeID, nodeKey: nodeKey, provider: provider, model: model, predictionID: predictionID,
            estimatedUSD: estimatedUSD, actualUSD: actualUSD, status: status, startedAt: startedAt, finishedAt: finishedAt)
    }
}

extension BudgetExceeded {
    /// A refusal, for other ledger implementations (the memberwise initialiser is internal).
    public static func refusal(cap: String, limit: Double, committed: Double, estimate: Double) -> BudgetExceeded {
        BudgetExceeded(cap: cap, limit: limit, committed: committed, estimate: estimate)
    }
}

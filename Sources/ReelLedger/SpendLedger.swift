/// The spend ledger as the rest of Reel sees it: atomic reservations against budget caps
/// (with takeover of a resumed node's open reservation), settlement, release, totals and
/// listings. `Ledger` (SQLite) implements it; a shared (PostgreSQL) ledger will too. Every
/// method throws: a ledger that cannot be read or written is never taken as "nothing spent".
public protocol SpendLedger: Sendable {
    /// Reserves `estimate` for a node if no cap would break; otherwise throws `BudgetExceeded`.
    /// - Parameter takeOver: the node's remote work is being resumed: an open reservation of the
    ///   same campaign and node key is taken over instead of reserving twice; without it, open
    ///   reservations for the key are stale and are closed first.
    func reserve(
        runID: String, campaign: String, nodeID: String, nodeKey: String, provider: String, model: String, estimate: Double,
        caps: BudgetCaps, takeOver: Bool, now: String
    ) async throws -> Reservation
    /// Records what a reserved call cost.
    func settle(_ reservation: Reservation, actualUSD: Double, predictionID: String?, status: String, now: String) async throws
    /// Closes a reservation that spent nothing.
    func release(_ reservation: Reservation, now: String) async throws
    /// Spent or reserved by a campaign (all runs).
    func committed(campaign: String) async throws -> Double
    /// Spent or reserved by one run.
    func committed(run: String) async throws -> Double
    /// Estimates held by open reservations for these node keys.
    func reserved(campaign: String, nodeKeys: [String]) async throws -> Double
    /// Every row, oldest first (optionally one campaign's).
    func rows(campaign: String?) async throws -> [SpendRow]
    /// Open reservations, oldest first (optionally one campaign's).
    func openReservations(campaign: String?) async throws -> [SpendRow]
}

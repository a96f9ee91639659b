import Foundation
import PostgresNIO
import ReelBasics
import ReelLedger

/// The spend ledger in a shared PostgreSQL database, for a team or CI runners on many machines.
/// A reservation is one statement (the `reel_reserve` function, schema version 2) whose transaction
/// first locks the campaign's row (`SELECT … FOR UPDATE`) and then the run (an advisory lock),
/// then sums and inserts: reservations for one campaign are serialised across every runner, as
/// SQLite's `IMMEDIATE` transactions serialise them on one machine, so no interleaving can take
/// spend past a cap.
public final class PostgresLedger: SpendLedger {
    public let database: PostgresDatabase
    /// Who reserves (host and process, or `REEL_RUNNER`): `reel spend` groups by it.
    public let runner: String

    /// A ledger on a migrated database (see `PostgresShared.open`).
    public init(database: PostgresDatabase, runner: String) {
        self.database = database
        self.runner = runner
    }

    static let committedSQL = "COALESCE(SUM(CASE WHEN status = 'reserved' THEN estimated_usd ELSE COALESCE(actual_usd, 0) END), 0)"
    static let columns = "id, run_id, campaign, node_id, node_key, provider, model, prediction_id, estimated_usd, actual_usd, status, started_at, finished_at, runner"

    public func reserve(
        runID: String, campaign: String, nodeID: String, nodeKey: String, provider: String, model: String, estimate: Double,
        caps: BudgetCaps, takeOver: Bool, now: String
    ) async throws -> Reservation {
        // One statement (schema version 2's reel_reserve), so one round trip and a short lock.
        let rows = try await database.withConnection { db in
            try await db.query(
                """
                SELECT out_id, out_estimate, out_provider, out_cap, out_limit, out_committed FROM reel_reserve(
                    \(runID), \(runner), \(campaign), \(nodeID), \(nodeKey), \(provider), \(model), \(estimate),
                    \(caps.campaign), \(caps.run), \(caps.node), \(takeOver), \(now))
                """, logger: database.logger
            ).collect()
        }
        guard let row = rows.first else { throw InternalError("the shared ledger's reel_reserve returned nothing") }
        let (id, estimated, reservedProvider, cap, limit, committed) = try row.decode((Int64?, Double, String, String?, Double?, Double?).self)
        if let cap {
            throw BudgetExceeded.refusal(cap: cap, limit: limit ?? 0, committed: committed ?? 0, estimate: estimated)
        }
        guard let id else { throw InternalError("the shared ledger's reel_reserve returned no reservation") }
        return Reservation(id: id, nodeKey: nodeKey, estimatedUSD: estimated, provider: reservedProvider)
    }

    /// The committed sum over rows whose `column` (`campaign` or `run_id`) is `value`.
    static func sum(_ db: PostgresConnection, _ column: String, _ value: String, logger: Logger) async throws -> Double {
        let query: PostgresQuery = "SELECT \(unescaped: committedSQL) FROM reel_spend WHERE \(unescaped: column) = \(value)"
        let rows = try await db.query(query, logger: logger).collect()
        return try rows.first?.decode(Double.self) ?? 0
    }

    public func settle(_ reservation: Reservation, actualUSD: Double, predictionID: String?, status: String, now: String) async throws {
        try await database.withConnection { db in
            try await db.query(
                """
                UPDATE reel_spend SET actual_usd = \(actualUSD), prediction_id = COALESCE(\(predictionID), prediction_id), status = \(status),
                finished_at = \(now) WHERE id = \(reservation.id)
                """, logger: database.logger)
        }
    }

    public func release(_ reservation: Reservation, now: String) async throws {
        try await database.withConnection { db in
            try await db.query(
                "UPDATE reel_spend SET actual_usd = 0, status = 'released', finished_at = \(now) WHERE id = \(reservation.id)", logger: database.logger)
        }
    }

    public func committed(campaign: String) async throws -> Double {
        try await database.withConnection { db in try await PostgresLedger.sum(db, "campaign", campaign, logger: database.logger) }
    }

    public func committed(run: String) async throws -> Double {
        try await database.withConnection { db in try await PostgresLedger.sum(db, "run_id", run, logger: database.logger) }
    }

    public func reserved(campaign: String, nodeKeys: [String]) async throws -> Double {
        guard !nodeKeys.isEmpty else { return 0 }
        return try await database.withConnection { db in
            let rows = try await db.query(
                """
                SELECT COALESCE(SUM(estimated_usd), 0) FROM reel_spend
                WHERE campaign = \(campaign) AND status = 'reserved' AND node_key = ANY(\(nodeKeys))
                """, logger: database.logger
            ).collect()
            return try rows.first?.decode(Double.self) ?? 0
        }
    }

    public func rows(campaign: String?) async throws -> [SpendRow] {
        try await runnerRows(campaign: campaign).map(\.row)
    }

    public func openReservations(campaign: String?) async throws -> [SpendRow] {
        try await rows(campaign: campaign).filter { $0.status == "reserved" }
    }

    /// Who settled a paid call for this node key of the campaign, if anyone did: `runner <name>,
    /// prediction <id>, <finished at>` of the latest.
    public func paidFor(campaign: String, nodeKey: String) async throws -> String? {
        try await database.withConnection { db in
            let rows = try await db.query(
                """
                SELECT runner, prediction_id, finished_at FROM reel_spend
                WHERE campaign = \(campaign) AND node_key = \(nodeKey) AND status = 'settled' ORDER BY id DESC LIMIT 1
                """, logger: database.logger
            ).collect()
            guard let row = rows.first else { return nil }
            let (runner, prediction, finished) = try row.decode((String, String?, String?).self)
            return "by runner \(runner)" + (prediction.map { ", prediction \($0)" } ?? "") + (finished.map { ", at \($0)" } ?? "")
        }
    }

    /// Every row with the runner that reserved it, oldest first (for `reel spend` by runner).
    public func runnerRows(campaign: String?) async throws -> [(row: SpendRow, runner: String)] {
        try await database.withConnection { db in
            let query: PostgresQuery = campaign.map { "SELECT \(unescaped: PostgresLedger.columns) FROM reel_spend WHERE campaign = \($0) ORDER BY id" }
                ?? "SELECT \(unescaped: PostgresLedger.columns) FROM reel_spend ORDER BY id"
            var result: [(row: SpendRow, runner: String)] = []
            for row in try await db.query(query, logger: database.logger).collect() {
                let (id, runID, campaign, nodeID, nodeKey, provider, model, predictionID, estimated, actual, status, started, finished, runner) =
                    try row.decode((Int64, String, String, String, String, String, String, String?, Double, Double?, String, String, String?, String).self)
                result.append((
                    SpendRow.restored(
                        id: id, runID: runID, campaign: campaign, nodeID: nodeID, nodeKey: nodeKey, provider: provider, model: model,
                        predictionID: predictionID, estimatedUSD: estimated, actualUSD: actual, status: status, startedAt: started, finishedAt: finished),
                    runner
                ))
            }
            return result
        }
    }
}

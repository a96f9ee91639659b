import Foundation
import PostgresNIO
import ReelBasics
import ReelLedger

/// The spend ledger in a shared PostgreSQL database, for a team or CI runners on many machines.
/// A reservation is one transaction that first locks the campaign's row (`SELECT … FOR UPDATE`)
/// and then the run (an advisory lock), then sums and inserts: reservations for one campaign are
/// serialised across every runner, as SQLite's `IMMEDIATE` transactions serialise them on one
/// machine, so no interleaving can take spend past a cap.
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
        let logger = database.logger
        let runner = self.runner
        return try await database.transaction { db in
            try await db.query("INSERT INTO reel_campaigns (campaign) VALUES (\(campaign)) ON CONFLICT DO NOTHING", logger: logger)
            try await db.query("SELECT campaign FROM reel_campaigns WHERE campaign = \(campaign) FOR UPDATE", logger: logger)
            try await db.query("SELECT pg_advisory_xact_lock(hashtext(\("reel-run:" + runID)))", logger: logger)
            if takeOver {
                let open = try await db.query(
                    """
                    SELECT id, estimated_usd, provider FROM reel_spend
                    WHERE node_key = \(nodeKey) AND campaign = \(campaign) AND status = 'reserved' ORDER BY id LIMIT 1
                    """, logger: logger
                ).collect()
                if let row = open.first {
                    let (id, estimated, provider) = try row.decode((Int64, Double, String).self)
                    try await db.query("UPDATE reel_spend SET run_id = \(runID), runner = \(runner) WHERE id = \(id)", logger: logger)
                    return Reservation(id: id, nodeKey: nodeKey, estimatedUSD: estimated, provider: provider)
                }
            } else {
                try await db.query(
                    """
                    UPDATE reel_spend SET actual_usd = 0, status = 'abandoned', finished_at = \(now)
                    WHERE node_key = \(nodeKey) AND campaign = \(campaign) AND status = 'reserved'
                    """, logger: logger)
            }
            if let limit = caps.node, estimate > limit + 1e-9 {
                throw BudgetExceeded.refusal(cap: "budget.clip_max_usd", limit: limit, committed: 0, estimate: estimate)
            }
            if let limit = caps.campaign {
                let committed = try await PostgresLedger.sum(db, "campaign", campaign, logger: logger)
                if committed + estimate > limit + 1e-9 { throw BudgetExceeded.refusal(cap: "budget.max_usd", limit: limit, committed: committed, estimate: estimate) }
            }
            if let limit = caps.run {
                let committed = try await PostgresLedger.sum(db, "run_id", runID, logger: logger)
                if committed + estimate > limit + 1e-9 { throw BudgetExceeded.refusal(cap: "the run cap", limit: limit, committed: committed, estimate: estimate) }
            }
            let inserted = try await db.query(
                """
                INSERT INTO reel_spend (run_id, runner, campaign, node_id, node_key, provider, model, estimated_usd, status, started_at)
                VALUES (\(runID), \(runner), \(campaign), \(nodeID), \(nodeKey), \(provider), \(model), \(estimate), 'reserved', \(now))
                RETURNING id
                """, logger: logger
            ).collect()
            guard let id = try inserted.first?.decode(Int64.self) else { throw InternalError("the reservation insert returned no id") }
            return Reservation(id: id, nodeKey: nodeKey, estimatedUSD: estimate, provider: provider)
        }
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

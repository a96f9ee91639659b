import Foundation
import GRDB
import ReelBasics

/// Spending caps for one build, in USD. `nil` means no cap.
public struct BudgetCaps: Sendable, Equatable {
    /// The campaign's total across all runs (`budget.max_usd`).
    public var campaign: Double?
    /// This invocation (`budget.run_max_usd`, and `--max-usd`, whichever is lower).
    public var run: Double?
    /// One node (`budget.clip_max_usd`).
    public var node: Double?

    public init(campaign: Double? = nil, run: Double? = nil, node: Double? = nil) {
        self.campaign = campaign
        self.run = run
        self.node = node
    }
}

/// A reservation was refused: it would break a cap.
public struct BudgetExceeded: Error, Sendable, Equatable, CustomStringConvertible {
    /// Which cap (`budget.max_usd`, `budget.run_max_usd`, `budget.clip_max_usd`).
    public var cap: String
    public var limit: Double
    /// Already spent or reserved against that cap.
    public var committed: Double
    public var estimate: Double

    public var description: String {
        String(format: "would exceed %@ ($%.2f): $%.2f already spent or reserved + $%.2f estimated for this node", cap, limit, committed, estimate)
    }
}

/// An open reservation, to settle or release.
public struct Reservation: Sendable, Equatable {
    public var id: Int64
    public var nodeKey: String
    public var estimatedUSD: Double
    public var provider: String

    public init(id: Int64, nodeKey: String, estimatedUSD: Double, provider: String) {
        self.id = id
        self.nodeKey = nodeKey
        self.estimatedUSD = estimatedUSD
        self.provider = provider
    }
}

/// One row of the ledger.
public struct SpendRow: Sendable, Equatable, Codable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "spend"

    public var id: Int64?
    public var runID: String
    public var campaign: String
    public var nodeID: String
    public var nodeKey: String
    public var provider: String
    public var model: String
    public var predictionID: String?
    public var estimatedUSD: Double
    public var actualUSD: Double?
    /// `reserved`, `settled`, `failed`, `released`.
    public var status: String
    public var startedAt: String
    public var finishedAt: String?

    enum CodingKeys: String, CodingKey {
        case id, campaign, provider, model, status
        case runID = "run_id"
        case nodeID = "node_id"
        case nodeKey = "node_key"
        case predictionID = "prediction_id"
        case estimatedUSD = "estimated_usd"
        case actualUSD = "actual_usd"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

/// The spend ledger: one row per paid call, in SQLite beside (but outside) the cache, so that
/// wiping the cache never loses it. Reservations are made in IMMEDIATE transactions, so checks
/// and inserts are atomic across threads and processes: parallel work can never overshoot a cap.
public final class Ledger: SpendLedger {
    /// The ledger's schema version (`PRAGMA user_version`).
    public static let schemaVersion = 1

    private let queue: DatabaseQueue
    public let path: AbsolutePath

    /// Opens (creating and migrating) the ledger at `path`.
    public init(path: AbsolutePath) throws {
        try FileManager.default.createDirectory(atPath: path.parent.pathString, withIntermediateDirectories: true)
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        queue = try DatabaseQueue(path: path.pathString, configuration: configuration)
        self.path = path
        // Created in an IMMEDIATE transaction with IF NOT EXISTS, so two processes opening a new
        // ledger at once cannot race (GRDB's migrator uses deferred transactions).
        try queue.writeWithoutTransaction { db in
            try db.inTransaction(.immediate) {
                try db.execute(sql: """
                    CREATE TABLE IF NOT EXISTS spend (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        run_id TEXT NOT NULL,
                        campaign TEXT NOT NULL,
                        node_id TEXT NOT NULL,
                        node_key TEXT NOT NULL,
                        provider TEXT NOT NULL,
                        model TEXT NOT NULL,
                        prediction_id TEXT,
                        estimated_usd DOUBLE NOT NULL,
                        actual_usd DOUBLE,
                        status TEXT NOT NULL,
                        started_at TEXT NOT NULL,
                        finished_at TEXT);
                    CREATE INDEX IF NOT EXISTS spend_campaign ON spend(campaign);
                    CREATE INDEX IF NOT EXISTS spend_node_key ON spend(node_key);
                    CREATE INDEX IF NOT EXISTS spend_run ON spend(run_id);
                    PRAGMA user_version = \(Ledger.schemaVersion);
                    """)
                return .commit
            }
        }
    }

    /// What counts against caps: settled actual costs plus open reservations' estimates.
    static let committedSQL = "COALESCE(SUM(CASE WHEN status = 'reserved' THEN estimated_usd ELSE COALESCE(actual_usd, 0) END), 0)"

    /// Spent or reserved by `campaign` (all runs).
    public func committed(campaign: String) throws -> Double {
        try queue.read { db in
            try Double.fetchOne(db, sql: "SELECT \(Ledger.committedSQL) FROM spend WHERE campaign = ?", arguments: [campaign]) ?? 0
        }
    }

    /// Spent or reserved by one run.
    public func committed(run: String) throws -> Double {
        try queue.read { db in
            try Double.fetchOne(db, sql: "SELECT \(Ledger.committedSQL) FROM spend WHERE run_id = ?", arguments: [run]) ?? 0
        }
    }

    /// Reserves `estimate` for a node if no cap would break; otherwise throws `BudgetExceeded`.
    /// - Parameter takeOver: the node's prediction is being resumed (the journal has it): an open
    ///   reservation of the same campaign and node key is taken over instead of reserving twice.
    ///   Otherwise open reservations for the key are stale (nothing is in flight) and are released.
    public func reserve(
        runID: String, campaign: String, nodeID: String, nodeKey: String, provider: String, model: String, estimate: Double,
        caps: BudgetCaps, takeOver: Bool = false, now: String
    ) throws -> Reservation {
        try queue.writeWithoutTransaction { db in
            var result: Reservation?
            try db.inTransaction(.immediate) {
                let openSQL = "SELECT * FROM spend WHERE node_key = ? AND campaign = ? AND status = 'reserved' ORDER BY id LIMIT 1"
                if takeOver, let open = try SpendRow.fetchOne(db, sql: openSQL, arguments: [nodeKey, campaign]), let id = open.id {
                    try db.execute(sql: "UPDATE spend SET run_id = ? WHERE id = ?", arguments: [runID, id])
                    result = Reservation(id: id, nodeKey: nodeKey, estimatedUSD: open.estimatedUSD, provider: open.provider)
                    return .commit
                }
                if !takeOver {
                    try db.execute(
                        sql: "UPDATE spend SET actual_usd = 0, status = 'abandoned', finished_at = ? WHERE node_key = ? AND campaign = ? AND status = 'reserved'",
                        arguments: [now, nodeKey, campaign])
                }
                if let limit = caps.node, estimate > limit + 1e-9 {
                    throw BudgetExceeded(cap: "budget.clip_max_usd", limit: limit, committed: 0, estimate: estimate)
                }
                if let limit = caps.campaign {
                    let committed = try Double.fetchOne(db, sql: "SELECT \(Ledger.committedSQL) FROM spend WHERE campaign = ?", arguments: [campaign]) ?? 0
                    if committed + estimate > limit + 1e-9 { throw BudgetExceeded(cap: "budget.max_usd", limit: limit, committed: committed, estimate: estimate) }
                }
                if let limit = caps.run {
                    let committed = try Double.fetchOne(db, sql: "SELECT \(Ledger.committedSQL) FROM spend WHERE run_id = ?", arguments: [runID]) ?? 0
                    if committed + estimate > limit + 1e-9 { throw BudgetExceeded(cap: "the run cap", limit: limit, committed: committed, estimate: estimate) }
                }
                var row = SpendRow(
                    id: nil, runID: runID, campaign: campaign, nodeID: nodeID, nodeKey: nodeKey, provider: provider, model: model, predictionID: nil,
                    estimatedUSD: estimate, actualUSD: nil, status: "reserved", startedAt: now, finishedAt: nil)
                try row.insert(db)
                result = Reservation(id: row.id ?? 0, nodeKey: nodeKey, estimatedUSD: estimate, provider: provider)
                return .commit
            }
            guard let result else { throw InternalError("reservation transaction returned nothing") }
            return result
        }
    }

    /// Records what a reserved call actually cost.
    public func settle(_ reservation: Reservation, actualUSD: Double, predictionID: String?, status: String = "settled", now: String) throws {
        try queue.write { db in
            try db.execute(
                sql: "UPDATE spend SET actual_usd = ?, prediction_id = COALESCE(?, prediction_id), status = ?, finished_at = ? WHERE id = ?",
                arguments: [actualUSD, predictionID, status, now, reservation.id])
        }
    }

    /// Drops a reservation that spent nothing (the call was refused before anything ran).
    public func release(_ reservation: Reservation, now: String) throws {
        try queue.write { db in
            try db.execute(sql: "UPDATE spend SET actual_usd = 0, status = 'released', finished_at = ? WHERE id = ?", arguments: [now, reservation.id])
        }
    }

    /// Estimates held by open reservations for these node keys (work a resumed build takes over).
    public func reserved(campaign: String, nodeKeys: [String]) throws -> Double {
        guard !nodeKeys.isEmpty else { return 0 }
        return try queue.read { db in
            let marks = Array(repeating: "?", count: nodeKeys.count).joined(separator: ",")
            let sql = "SELECT COALESCE(SUM(estimated_usd), 0) FROM spend WHERE campaign = ? AND status = 'reserved' AND node_key IN (\(marks))"
            return try Double.fetchOne(db, sql: sql, arguments: StatementArguments([campaign] + nodeKeys)) ?? 0
        }
    }

    /// Open reservations, oldest first.
    public func openReservations(campaign: String? = nil) throws -> [SpendRow] {
        try rows(campaign: campaign).filter { $0.status == "reserved" }
    }

    /// Every row, oldest first.
    public func rows(campaign: String? = nil) throws -> [SpendRow] {
        try queue.read { db in
            if let campaign {
                return try SpendRow.fetchAll(db, sql: "SELECT * FROM spend WHERE campaign = ? ORDER BY id", arguments: [campaign])
            }
            return try SpendRow.fetchAll(db, sql: "SELECT * FROM spend ORDER BY id")
        }
    }
}

import Foundation
import PostgresNIO

/// The shared database's schema: numbered migrations, applied in order on first use under an
/// advisory lock (two runners opening a new database at once cannot race), and checked on every
/// open: a database migrated by a newer Reel is refused, never written with an older layout.
public enum PostgresSchema {
    /// One step of the schema: its version and statements (one per query).
    public struct Migration: Sendable {
        public let version: Int
        public let statements: [String]
    }

    /// Every migration this Reel knows, oldest first.
    public static let migrations: [Migration] = [
        Migration(version: 1, statements: [
            """
            CREATE TABLE reel_spend (
                id BIGSERIAL PRIMARY KEY,
                run_id TEXT NOT NULL,
                runner TEXT NOT NULL,
                campaign TEXT NOT NULL,
                node_id TEXT NOT NULL,
                node_key TEXT NOT NULL,
                provider TEXT NOT NULL,
                model TEXT NOT NULL,
                prediction_id TEXT,
                estimated_usd DOUBLE PRECISION NOT NULL,
                actual_usd DOUBLE PRECISION,
                status TEXT NOT NULL,
                started_at TEXT NOT NULL,
                finished_at TEXT)
            """,
            "CREATE INDEX reel_spend_campaign ON reel_spend(campaign)",
            "CREATE INDEX reel_spend_node_key ON reel_spend(node_key)",
            "CREATE INDEX reel_spend_run ON reel_spend(run_id)",
            // One row per campaign: every reservation locks it (SELECT … FOR UPDATE).
            "CREATE TABLE reel_campaigns (campaign TEXT PRIMARY KEY)",
            """
            CREATE TABLE reel_journal (
                node_key TEXT PRIMARY KEY,
                node_id TEXT NOT NULL,
                provider TEXT NOT NULL,
                model TEXT NOT NULL,
                state TEXT NOT NULL,
                prediction_id TEXT,
                fingerprint TEXT NOT NULL,
                created_after TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                runner TEXT NOT NULL)
            """,
            """
            CREATE TABLE reel_claims (
                node_key TEXT PRIMARY KEY,
                node_id TEXT NOT NULL,
                owner TEXT NOT NULL,
                runner TEXT NOT NULL,
                claimed_at TIMESTAMPTZ NOT NULL,
                expires_at TIMESTAMPTZ NOT NULL)
            """,
        ]),
    ]

    /// The newest version this Reel knows.
    public static var latest: Int { migrations.last?.version ?? 0 }

    /// An arbitrary constant: the advisory lock that serialises migrations.
    static let lockID: Int64 = 0x7265_656C_7363_6865

    /// Applies missing migrations, or refuses a newer schema. Returns the version in force.
    @discardableResult
    public static func migrate(_ database: PostgresDatabase, upTo target: Int = latest) async throws -> Int {
        try await database.transaction { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(lockID))", logger: database.logger)
            try await connection.query(
                "CREATE TABLE IF NOT EXISTS reel_schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
                logger: database.logger)
            var current = 0
            for try await version in try await connection.query("SELECT COALESCE(MAX(version), 0) FROM reel_schema_migrations", logger: database.logger)
                .decode(Int.self)
            {
                current = version
            }
            if current > latest {
                throw SharedLedgerError.schemaTooNew(location: database.location.description, found: current, known: latest)
            }
            for migration in migrations where migration.version > current && migration.version <= target {
                for statement in migration.statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: database.logger)
                }
                try await connection.query("INSERT INTO reel_schema_migrations (version) VALUES (\(migration.version))", logger: database.logger)
                current = migration.version
            }
            return current
        }
    }
}

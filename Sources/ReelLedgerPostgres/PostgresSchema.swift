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
        // Reservation as one server-side call: the campaign's row lock is held for the time the
        // server needs, not for several client round trips. Same checks as `PostgresLedger`'s
        // transaction; a refusal changes nothing (stale reservations of the node are left out of
        // the sums, and abandoned only when the new reservation is made).
        Migration(version: 2, statements: [
            """
            CREATE FUNCTION reel_reserve(
                p_run TEXT, p_runner TEXT, p_campaign TEXT, p_node_id TEXT, p_node_key TEXT, p_provider TEXT, p_model TEXT,
                p_estimate DOUBLE PRECISION, p_cap_campaign DOUBLE PRECISION, p_cap_run DOUBLE PRECISION, p_cap_node DOUBLE PRECISION,
                p_take_over BOOLEAN, p_now TEXT)
            RETURNS TABLE (out_id BIGINT, out_estimate DOUBLE PRECISION, out_provider TEXT, out_cap TEXT, out_limit DOUBLE PRECISION,
                           out_committed DOUBLE PRECISION)
            LANGUAGE plpgsql AS $$
            DECLARE
                v_open RECORD;
                v_spent DOUBLE PRECISION;
                v_id BIGINT;
            BEGIN
                INSERT INTO reel_campaigns (campaign) VALUES (p_campaign) ON CONFLICT DO NOTHING;
                PERFORM 1 FROM reel_campaigns c WHERE c.campaign = p_campaign FOR UPDATE;
                PERFORM pg_advisory_xact_lock(hashtext('reel-run:' || p_run));
                IF p_take_over THEN
                    SELECT s.id, s.estimated_usd, s.provider INTO v_open FROM reel_spend s
                    WHERE s.node_key = p_node_key AND s.campaign = p_campaign AND s.status = 'reserved' ORDER BY s.id LIMIT 1;
                    IF FOUND THEN
                        UPDATE reel_spend s SET run_id = p_run, runner = p_runner WHERE s.id = v_open.id;
                        RETURN QUERY SELECT v_open.id::BIGINT, v_open.estimated_usd::DOUBLE PRECISION, v_open.provider::TEXT,
                            NULL::TEXT, NULL::DOUBLE PRECISION, NULL::DOUBLE PRECISION;
                        RETURN;
                    END IF;
                END IF;
                IF p_cap_node IS NOT NULL AND p_estimate > p_cap_node + 1e-9 THEN
                    RETURN QUERY SELECT NULL::BIGINT, p_estimate, p_provider, 'budget.clip_max_usd'::TEXT, p_cap_node, 0::DOUBLE PRECISION;
                    RETURN;
                END IF;
                IF p_cap_campaign IS NOT NULL THEN
                    SELECT COALESCE(SUM(CASE WHEN s.status = 'reserved' THEN s.estimated_usd ELSE COALESCE(s.actual_usd, 0) END), 0) INTO v_spent
                    FROM reel_spend s WHERE s.campaign = p_campaign AND NOT (s.status = 'reserved' AND s.node_key = p_node_key);
                    IF v_spent + p_estimate > p_cap_campaign + 1e-9 THEN
                        RETURN QUERY SELECT NULL::BIGINT, p_estimate, p_provider, 'budget.max_usd'::TEXT, p_cap_campaign, v_spent;
                        RETURN;
                    END IF;
                END IF;
                IF p_cap_run IS NOT NULL THEN
                    SELECT COALESCE(SUM(CASE WHEN s.status = 'reserved' THEN s.estimated_usd ELSE COALESCE(s.actual_usd, 0) END), 0) INTO v_spent
                    FROM reel_spend s WHERE s.run_id = p_run AND NOT (s.status = 'reserved' AND s.node_key = p_node_key AND s.campaign = p_campaign);
                    IF v_spent + p_estimate > p_cap_run + 1e-9 THEN
                        RETURN QUERY SELECT NULL::BIGINT, p_estimate, p_provider, 'the run cap'::TEXT, p_cap_run, v_spent;
                        RETURN;
                    END IF;
                END IF;
                UPDATE reel_spend s SET actual_usd = 0, status = 'abandoned', finished_at = p_now
                WHERE s.node_key = p_node_key AND s.campaign = p_campaign AND s.status = 'reserved';
                INSERT INTO reel_spend (run_id, runner, campaign, node_id, node_key, provider, model, estimated_usd, status, started_at)
                VALUES (p_run, p_runner, p_campaign, p_node_id, p_node_key, p_provider, p_model, p_estimate, 'reserved', p_now)
                RETURNING id INTO v_id;
                RETURN QUERY SELECT v_id, p_estimate, p_provider, NULL::TEXT, NULL::DOUBLE PRECISION, NULL::DOUBLE PRECISION;
            END
            $$
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

import Foundation
import PostgresNIO
import ReelBasics
import ReelCache

/// The prediction journal in the shared database: the same entries as the cache's `journal/`
/// folder (node key and id, provider, model, state, prediction id, request fingerprint, times —
/// no secrets), so any runner can resume any runner's prediction. Each write commits before it
/// returns, as the file journal fsyncs.
public struct PostgresJournal: JournalStore {
    public let database: PostgresDatabase
    public let runner: String

    public init(database: PostgresDatabase, runner: String) {
        self.database = database
        self.runner = runner
    }

    static let columns = "node_key, node_id, provider, model, state, prediction_id, fingerprint, created_after, updated_at"

    public func entry(for key: Digest) async throws -> JournalEntry? {
        try await database.withConnection { db in
            let rows = try await db.query(
                "SELECT \(unescaped: PostgresJournal.columns) FROM reel_journal WHERE node_key = \(key.hex)", logger: database.logger
            ).collect()
            return try rows.first.map(PostgresJournal.decode)
        }
    }

    public func record(_ entry: JournalEntry) async throws {
        try await database.withConnection { db in
            try await db.query(
                """
                INSERT INTO reel_journal (node_key, node_id, provider, model, state, prediction_id, fingerprint, created_after, updated_at, runner)
                VALUES (\(entry.nodeKey.hex), \(entry.nodeID), \(entry.provider), \(entry.model), \(entry.state.rawValue), \(entry.predictionID),
                        \(entry.fingerprint), \(entry.createdAfter), \(entry.updatedAt), \(runner))
                ON CONFLICT (node_key) DO UPDATE SET node_id = EXCLUDED.node_id, provider = EXCLUDED.provider, model = EXCLUDED.model,
                    state = EXCLUDED.state, prediction_id = EXCLUDED.prediction_id, fingerprint = EXCLUDED.fingerprint,
                    created_after = EXCLUDED.created_after, updated_at = EXCLUDED.updated_at, runner = EXCLUDED.runner
                """, logger: database.logger)
        }
    }

    public func remove(_ key: Digest) async throws {
        try await database.withConnection { db in
            try await db.query("DELETE FROM reel_journal WHERE node_key = \(key.hex)", logger: database.logger)
        }
    }

    public func all() async throws -> [JournalEntry] {
        try await database.withConnection { db in
            try await db.query("SELECT \(unescaped: PostgresJournal.columns) FROM reel_journal ORDER BY updated_at", logger: database.logger)
                .collect().map(PostgresJournal.decode)
        }
    }

    public func location(of key: Digest) -> String {
        "the shared journal (\(database.location), node key \(key.hex.prefix(12)))"
    }

    static func decode(_ row: PostgresRow) throws -> JournalEntry {
        let (key, nodeID, provider, model, state, predictionID, fingerprint, createdAfter, updatedAt) =
            try row.decode((String, String, String, String, String, String?, String, String, String).self)
        guard let digest = Digest(key), let parsed = JournalEntry.State(rawValue: state) else {
            throw InternalError("the shared journal holds an unreadable entry for \(key) (state \(state))")
        }
        return JournalEntry(
            nodeKey: digest, nodeID: nodeID, provider: provider, model: model, state: parsed, predictionID: predictionID, fingerprint: fingerprint,
            createdAfter: createdAfter, updatedAt: updatedAt)
    }
}

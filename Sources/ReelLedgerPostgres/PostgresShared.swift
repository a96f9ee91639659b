import Foundation
import ReelBasics

/// The shared state of a team in one PostgreSQL database: spend ledger, prediction journal and
/// node claims, on a schema migrated (or checked) when opened.
public struct PostgresShared: Sendable {
    public let database: PostgresDatabase
    public let ledger: PostgresLedger
    public let journal: PostgresJournal
    public let claims: PostgresNodeClaims

    /// Connects, migrates (or refuses a newer schema) and returns the three stores.
    /// - Parameters:
    ///   - runner: who this is in the ledger and claims (`REEL_RUNNER`, else host and process id).
    ///   - lease: how long a node claim lasts without renewal.
    /// - Throws: `SharedLedgerError` (unreachable, bad URL, schema too new), never showing the password.
    public static func open(
        _ location: PostgresLocation, runner: String, lease: Duration = .seconds(30),
        onTakeOver: @escaping @Sendable (String, String) -> Void = { _, _ in },
        onReleaseFailure: @escaping @Sendable (String, any Error) -> Void = { _, _ in }
    ) async throws -> PostgresShared {
        let database = try PostgresDatabase(location)
        try await PostgresSchema.migrate(database)
        return PostgresShared(
            database: database, ledger: PostgresLedger(database: database, runner: runner), journal: PostgresJournal(database: database, runner: runner),
            claims: PostgresNodeClaims(
                database: database, runner: runner, lease: lease, onTakeOver: onTakeOver, onReleaseFailure: onReleaseFailure))
    }

    /// `REEL_RUNNER`, else `<host>:<pid>`.
    public static func runnerName(environment: [String: String]) -> String {
        if let name = environment["REEL_RUNNER"], !name.isEmpty { return name }
        return "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)"
    }
}

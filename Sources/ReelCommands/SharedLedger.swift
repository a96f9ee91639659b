import Foundation
import ReelBasics
import ReelCache
import ReelEngine
import ReelLedgerPostgres

/// Opens the PostgreSQL shared ledger, journal and claims for the build service.
/// `REEL_CLAIM_LEASE_SECONDS` sets how long a node claim lasts without renewal (default 30).
struct PostgresConnector: SharedStateConnector {
    func connect(url: String, setting: String, environment: BuildEnvironment, note: @escaping @Sendable (String) -> Void) async throws -> SharedState {
        let shared = try await PostgresConnector.open(url: url, setting: setting, environment: environment, note: note)
        let ledger = shared.ledger
        return SharedState(
            ledger: ledger,
            coordination: Coordination(
                journal: shared.journal, claims: shared.claims, paidFor: { campaign, key in try await ledger.paidFor(campaign: campaign, nodeKey: key) }))
    }

    static func open(url: String, setting: String, environment: BuildEnvironment, note: @escaping @Sendable (String) -> Void = { _ in }) async throws
        -> PostgresShared
    {
        let location = try PostgresLocation(parsing: url, setting: setting)
        let seconds = environment.variables["REEL_CLAIM_LEASE_SECONDS"].flatMap(Double.init) ?? 30
        return try await PostgresShared.open(
            location, runner: PostgresShared.runnerName(environment: environment.variables), lease: .milliseconds(Int64(max(0.5, seconds) * 1000)),
            onTakeOver: { node, previous in note("\(node): taking over its claim from \(previous), whose lease expired (crashed?)") },
            onReleaseFailure: { node, error in
                note("warning: \(node): could not release its claim in the shared ledger (\(error)); runners waiting for it wait until the lease expires")
            })
    }
}

extension PostgresDatabase {
    /// Closes the idle connections, printing a warning for any that does not close cleanly.
    func closeWarning() async {
        await close { error in Console.err("warning: a connection to the shared ledger did not close cleanly: \(error)") }
    }
}

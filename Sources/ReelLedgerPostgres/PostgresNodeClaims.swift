import Foundation
import PostgresNIO
import ReelBasics
import ReelCache
import Synchronization

/// Node claims as leases in the shared database: a row per node key with its owner and an expiry
/// (the database's clock, so runners' clocks need not agree). The holder renews the lease while it
/// works; a runner that finds the row held waits (polling) for the owner to finish — the result
/// then arrives through the cache — and takes the claim over once the lease has expired (the owner
/// crashed), after which the shared journal resumes the owner's prediction.
public struct PostgresNodeClaims: NodeClaims {
    public let database: PostgresDatabase
    public let runner: String
    /// How long a claim lasts without renewal.
    public let lease: Duration
    /// How often a waiting runner looks again.
    public let pollInterval: Duration
    /// Called when a claim is taken over from an expired owner (for an event).
    public let onTakeOver: @Sendable (_ nodeID: String, _ previousOwner: String) -> Void
    /// Called when a finished claim cannot be dropped: it stays until its lease expires, and
    /// runners waiting for the node wait that long (the result is in the cache by then).
    public let onReleaseFailure: @Sendable (_ nodeID: String, _ error: any Error) -> Void

    public init(
        database: PostgresDatabase, runner: String, lease: Duration = .seconds(30), pollInterval: Duration = .milliseconds(200),
        onTakeOver: @escaping @Sendable (String, String) -> Void = { _, _ in },
        onReleaseFailure: @escaping @Sendable (String, any Error) -> Void = { _, _ in }
    ) {
        self.database = database
        self.runner = runner
        self.lease = lease
        self.pollInterval = pollInterval
        self.onTakeOver = onTakeOver
        self.onReleaseFailure = onReleaseFailure
    }

    var leaseSeconds: Double { Double(lease.components.seconds) + Double(lease.components.attoseconds) / 1e18 }

    public func claim(_ key: Digest, nodeID: String, onWait: @escaping @Sendable () -> Void) async throws -> any NodeClaim {
        // Unique per claim, so two tasks of one process never share a claim.
        let owner = "\(runner)#\(UUID().uuidString.prefix(8).lowercased())"
        var announced = false
        while true {
            try Task.checkCancellation()
            if let previous = try await tryClaim(key, nodeID: nodeID, owner: owner) {
                if let previous, previous != owner { onTakeOver(nodeID, previous) }
                return PostgresClaim(claims: self, key: key, nodeID: nodeID, owner: owner)
            }
            if !announced {
                announced = true
                onWait()
            }
            try await Task.sleep(for: pollInterval)
        }
    }

    /// One attempt. Returns `nil` when someone else holds a live lease; otherwise `.some(previous
    /// owner whose lease had expired, or nil for a fresh claim)`.
    func tryClaim(_ key: Digest, nodeID: String, owner: String) async throws -> String?? {
        try await database.withConnection { db in
            let rows = try await db.query(
                """
                WITH previous AS (SELECT owner FROM reel_claims WHERE node_key = \(key.hex))
                INSERT INTO reel_claims (node_key, node_id, owner, runner, claimed_at, expires_at)
                VALUES (\(key.hex), \(nodeID), \(owner), \(runner), now(), now() + make_interval(secs => \(leaseSeconds)))
                ON CONFLICT (node_key) DO UPDATE SET node_id = EXCLUDED.node_id, owner = EXCLUDED.owner, runner = EXCLUDED.runner,
                    claimed_at = EXCLUDED.claimed_at, expires_at = EXCLUDED.expires_at
                WHERE reel_claims.expires_at < now()
                RETURNING (SELECT owner FROM previous)
                """, logger: database.logger
            ).collect()
            guard let row = rows.first else { return nil }
            return .some(try row.decode(String?.self))
        }
    }

    /// Extends the lease. Returns false when the claim is no longer ours.
    func renew(_ key: Digest, owner: String) async throws -> Bool {
        try await database.withConnection { db in
            let rows = try await db.query(
                """
                UPDATE reel_claims SET expires_at = now() + make_interval(secs => \(leaseSeconds))
                WHERE node_key = \(key.hex) AND owner = \(owner) RETURNING node_key
                """, logger: database.logger
            ).collect()
            return !rows.isEmpty
        }
    }

    func drop(_ key: Digest, owner: String) async throws {
        try await database.withConnection { db in
            try await db.query("DELETE FROM reel_claims WHERE node_key = \(key.hex) AND owner = \(owner)", logger: database.logger)
        }
    }

    /// Claims held now, for `reel status`: node id, runner, seconds left on the lease.
    public func active() async throws -> [(nodeID: String, runner: String, secondsLeft: Double)] {
        try await database.withConnection { db in
            try await db.query(
                "SELECT node_id, runner, EXTRACT(EPOCH FROM (expires_at - now()))::float8 FROM reel_claims ORDER BY claimed_at", logger: database.logger
            ).collect().map { row in
                let (node, runner, left) = try row.decode((String, String, Double).self)
                return (node, runner, left)
            }
        }
    }
}

/// A held lease, renewed in the background every third of its length until released.
final class PostgresClaim: NodeClaim {
    let claims: PostgresNodeClaims
    let key: Digest
    let nodeID: String
    let owner: String
    let renewal = Mutex<Task<Void, Never>?>(nil)

    init(claims: PostgresNodeClaims, key: Digest, nodeID: String, owner: String) {
        self.claims = claims
        self.key = key
        self.nodeID = nodeID
        self.owner = owner
        let interval = claims.lease / 3
        let task = Task { [claims, key, owner] in
            while !Task.isCancelled {
                do {
                    try await Task.sleep(for: interval)
                    // Lost (expired and taken over): the new owner resumes the same journaled
                    // prediction, so nothing is paid twice; keep working, stop renewing.
                    if try await !claims.renew(key, owner: owner) { return }
                } catch is CancellationError {
                    return
                } catch {
                    continue  // the database blinked: try again before the lease runs out
                }
            }
        }
        renewal.withLock { $0 = task }
    }

    func release() async {
        let task = renewal.withLock { task -> Task<Void, Never>? in
            defer { task = nil }
            return task
        }
        guard let task else { return }
        task.cancel()
        do {
            try await claims.drop(key, owner: owner)
        } catch {
            claims.onReleaseFailure(nodeID, error)  // the lease expires; nothing is lost, but say so
        }
    }
}

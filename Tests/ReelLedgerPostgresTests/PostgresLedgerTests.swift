import Foundation
import ReelBasics
import ReelCache
import ReelLedger
import ReelLedgerPostgres
import ReelTestSupport
import Synchronization
import Testing

/// The shared ledger against a real PostgreSQL (started by the test support, one per process).
@Suite struct PostgresLedgerTests {
    /// A migrated shared state on a fresh database.
    func open(_ server: PostgresServer, database: String? = nil, runner: String = "runner-a", lease: Duration = .seconds(30)) async throws
        -> PostgresShared
    {
        let name: String
        if let database { name = database } else { name = try await server.makeDatabase() }
        let location = try PostgresLocation(parsing: server.url(database: name), setting: "REEL_LEDGER_URL")
        return try await PostgresShared.open(location, runner: runner, lease: lease)
    }

    func reserve(
        _ ledger: any SpendLedger, key: String, estimate: Double, caps: BudgetCaps, run: String = "run", campaign: String = "c", takeOver: Bool = false
    ) async throws -> Reservation {
        try await ledger.reserve(
            runID: run, campaign: campaign, nodeID: "generate/0", nodeKey: key, provider: "replicate", model: "m", estimate: estimate,
            caps: caps, takeOver: takeOver, now: "2026-11-25T10:00:00Z")
    }

    @Test func migratesOnFirstUseAndChecksOnEveryOpen() async throws {
        let server = try await PostgresServer.shared()
        let name = try await server.makeDatabase()
        _ = try await open(server, database: name)
        #expect(try await server.psql("SELECT max(version) FROM reel_schema_migrations", database: name).trimmingCharacters(in: .whitespacesAndNewlines)
            == "\(PostgresSchema.latest)")
        // A second open (another runner) applies nothing and keeps the data.
        let first = try await open(server, database: name)
        _ = try await reserve(first.ledger, key: "a", estimate: 0.5, caps: BudgetCaps())
        let second = try await open(server, database: name, runner: "runner-b")
        #expect(try await second.ledger.committed(campaign: "c") == 0.5)
        // A schema from a newer Reel is refused, naming both versions, and nothing is written.
        try await server.psql("INSERT INTO reel_schema_migrations (version) VALUES (\(PostgresSchema.latest + 1))", database: name)
        await #expect {
            _ = try await open(server, database: name)
        } throws: { error in
            let text = "\(error)"
            return text.contains("schema version \(PostgresSchema.latest + 1)") && text.contains("upgrade Reel") && !text.contains(server.password)
        }
    }

    @Test func anOlderSchemaIsUpgradedInPlaceKeepingItsRows() async throws {
        let server = try await PostgresServer.shared()
        let name = try await server.makeDatabase()
        let location = try PostgresLocation(parsing: server.url(database: name), setting: "REEL_LEDGER_URL")
        let database = try PostgresDatabase(location)
        #expect(try await PostgresSchema.migrate(database, upTo: 1) == 1)
        try await server.psql(
            """
            INSERT INTO reel_spend (run_id, runner, campaign, node_id, node_key, provider, model, estimated_usd, actual_usd, status, started_at)
            VALUES ('old', 'old-runner', 'c', 'generate/0', 'k0', 'replicate', 'm', 1.0, 0.9, 'settled', 't')
            """, database: name)
        await database.close { _ in }  // teardown: the test server stops next
        let shared = try await open(server, database: name)
        #expect(try await server.psql("SELECT max(version) FROM reel_schema_migrations", database: name).trimmingCharacters(in: .whitespacesAndNewlines)
            == "\(PostgresSchema.latest)")
        #expect(try await shared.ledger.committed(campaign: "c") == 0.9)
        await #expect(throws: BudgetExceeded.self) { _ = try await reserve(shared.ledger, key: "k1", estimate: 0.2, caps: BudgetCaps(campaign: 1)) }
        _ = try await reserve(shared.ledger, key: "k1", estimate: 0.1, caps: BudgetCaps(campaign: 1))
    }

    @Test func concurrentOpensOfANewDatabaseMigrateOnce() async throws {
        let server = try await PostgresServer.shared()
        let name = try await server.makeDatabase()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<6 { group.addTask { _ = try await open(server, database: name, runner: "r\(index)") } }
            try await group.waitForAll()
        }
        #expect(try await server.psql("SELECT count(*) FROM reel_schema_migrations", database: name).trimmingCharacters(in: .whitespacesAndNewlines)
            == "\(PostgresSchema.migrations.count)")
    }

    @Test func reservesSettlesReleasesAndRefusesOverTheCap() async throws {
        let server = try await PostgresServer.shared()
        let ledger = try await open(server).ledger
        let first = try await reserve(ledger, key: "a", estimate: 0.6, caps: BudgetCaps(campaign: 2))
        #expect(try await ledger.committed(campaign: "c") == 0.6)
        try await ledger.settle(first, actualUSD: 0.5, predictionID: "p1", status: "settled", now: "2026-11-25T10:01:00Z")
        #expect(try await ledger.committed(campaign: "c") == 0.5)
        let second = try await reserve(ledger, key: "b", estimate: 1.0, caps: BudgetCaps(campaign: 2))
        try await ledger.release(second, now: "2026-11-25T10:02:00Z")
        #expect(try await ledger.committed(campaign: "c") == 0.5)
        await #expect(throws: BudgetExceeded.self) { _ = try await reserve(ledger, key: "c", estimate: 1.6, caps: BudgetCaps(campaign: 2)) }
        await #expect(throws: BudgetExceeded.self) { _ = try await reserve(ledger, key: "c", estimate: 0.4, caps: BudgetCaps(node: 0.3)) }
        await #expect(throws: BudgetExceeded.self) {
            _ = try await reserve(ledger, key: "c", estimate: 0.4, caps: BudgetCaps(run: 0.8))  // run "run" has 0.5 settled
        }
        let rows = try await ledger.rows(campaign: nil)
        #expect(rows.map(\.status) == ["settled", "released"])
        #expect(rows.first?.predictionID == "p1")
        #expect(try await ledger.runnerRows(campaign: "c").allSatisfy { $0.runner == "runner-a" })
    }

    @Test func takeOverKeepsOneReservationPerNode() async throws {
        let server = try await PostgresServer.shared()
        let name = try await server.makeDatabase()
        let a = try await open(server, database: name, runner: "a").ledger
        let b = try await open(server, database: name, runner: "b").ledger
        let held = try await reserve(a, key: "k", estimate: 1, caps: BudgetCaps(campaign: 1.5), run: "run-a")
        // Runner b resumes the journaled prediction: it takes the reservation over, no second one.
        let taken = try await reserve(b, key: "k", estimate: 1, caps: BudgetCaps(campaign: 1.5), run: "run-b", takeOver: true)
        #expect(taken.id == held.id)
        #expect(try await b.committed(campaign: "c") == 1)
        #expect(try await b.committed(run: "run-b") == 1)
        #expect(try await b.runnerRows(campaign: "c").map(\.runner) == ["b"])
        // Without the journal, an open reservation is stale: abandoned, then a new one must fit.
        let fresh = try await reserve(a, key: "k", estimate: 1.2, caps: BudgetCaps(campaign: 1.5), run: "run-c")
        #expect(fresh.id != held.id)
        #expect(try await a.rows(campaign: "c").map(\.status) == ["abandoned", "reserved"])
        #expect(try await a.reserved(campaign: "c", nodeKeys: ["k", "x"]) == 1.2)
    }

    /// Many "runners" (each its own connection pool, as separate processes would have) reserve
    /// concurrently against one campaign cap: the committed total never passes it.
    @Test(arguments: [(runners: 8, perRunner: 10, estimate: 0.35, cap: 7.0), (runners: 5, perRunner: 12, estimate: 1.1, cap: 13.3)])
    func concurrentRunnersNeverPassTheCap(runners: Int, perRunner: Int, estimate: Double, cap: Double) async throws {
        let server = try await PostgresServer.shared()
        let name = try await server.makeDatabase()
        var ledgers: [PostgresLedger] = []
        for index in 0..<runners { ledgers.append(try await open(server, database: name, runner: "r\(index)").ledger) }
        let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
            for (index, ledger) in ledgers.enumerated() {
                for node in 0..<perRunner {
                    group.addTask {
                        do {
                            let reservation = try await ledger.reserve(
                                runID: "run-\(index)", campaign: "c", nodeID: "generate/\(node)", nodeKey: "k\(index)-\(node)", provider: "replicate",
                                model: "m", estimate: estimate, caps: BudgetCaps(campaign: cap), takeOver: false, now: "2026-11-25T10:00:00Z")
                            // Half settle for a bit less, as real calls do; the cap still holds.
                            if node % 2 == 0 {
                                try await ledger.settle(reservation, actualUSD: estimate * 0.9, predictionID: "p", status: "settled", now: "t")
                            }
                            return true
                        } catch is BudgetExceeded {
                            return false
                        }
                    }
                }
            }
            var outcomes: [Bool] = []
            for try await outcome in group { outcomes.append(outcome) }
            return outcomes
        }
        let committed = try await ledgers[0].committed(campaign: "c")
        #expect(committed <= cap + 1e-9)
        #expect(outcomes.count == runners * perRunner)
        #expect(outcomes.contains(false))
        // The estimate of one more node does not fit in what is left: the cap was filled, not under-used.
        #expect(committed + estimate > cap - 1e-9)
    }

    @Test func journalRoundTripsEntriesForAnyRunner() async throws {
        let server = try await PostgresServer.shared()
        let name = try await server.makeDatabase()
        let a = try await open(server, database: name, runner: "a").journal
        let b = try await open(server, database: name, runner: "b").journal
        let key = Digest.of(string: "node")
        #expect(try await b.entry(for: key) == nil)
        var entry = JournalEntry(
            nodeKey: key, nodeID: "generate/3", provider: "replicate", model: "kwaivgi/kling", state: .creating, predictionID: nil,
            fingerprint: "f00d", createdAfter: "2026-11-25T10:00:00Z", updatedAt: "2026-11-25T10:02:00Z")
        try await a.record(entry)
        #expect(try await b.entry(for: key) == entry)
        entry.state = .created
        entry.predictionID = "pred-1"
        try await a.record(entry)
        #expect(try await b.entry(for: key) == entry)
        #expect(try await b.all() == [entry])
        try await b.remove(key)
        #expect(try await a.entry(for: key) == nil)
    }

    @Test func claimsWaitForTheOwnerAndTakeOverAnExpiredLease() async throws {
        let server = try await PostgresServer.shared()
        let name = try await server.makeDatabase()
        let a = try await open(server, database: name, runner: "a", lease: .seconds(30)).claims
        let b = try await open(server, database: name, runner: "b", lease: .seconds(30)).claims
        let key = Digest.of(string: "clip")
        let held = try await a.claim(key, nodeID: "generate/0", onWait: {})
        // b waits while a holds it, and gets it once a releases.
        let waited = Atomic<Bool>(false)
        let waiter = Task { try await b.claim(key, nodeID: "generate/0", onWait: { waited.store(true, ordering: .relaxed) }) }
        try await Task.sleep(for: .milliseconds(600))
        let didWait = waited.load(ordering: .relaxed)
        #expect(didWait)
        await held.release()
        let second = try await waiter.value
        await second.release()

        // A crashed owner (kill -9): its row stays, its lease is never renewed; the next runner
        // waits while the lease lasts and then takes the claim over.
        let takeOvers = Mutex<[String]>([])
        let c = PostgresNodeClaims(
            database: b.database, runner: "c", lease: .seconds(30), pollInterval: .milliseconds(100),
            onTakeOver: { node, previous in takeOvers.withLock { $0.append("\(node) from \(previous)") } })
        try await server.psql(
            """
            INSERT INTO reel_claims (node_key, node_id, owner, runner, claimed_at, expires_at)
            VALUES ('\(key.hex)', 'generate/0', 'dead#1', 'dead', now(), now() + interval '1 second')
            """, database: name)
        let start = ContinuousClock.now
        let taken = try await c.claim(key, nodeID: "generate/0", onWait: {})
        #expect(ContinuousClock.now - start >= .milliseconds(500))
        #expect(takeOvers.withLock { $0 } == ["generate/0 from dead#1"])
        // While held, the lease is renewed (a 1 s lease outlives 2.5 s of work).
        let short = PostgresNodeClaims(database: b.database, runner: "d", lease: .seconds(1), pollInterval: .milliseconds(100))
        let other = Digest.of(string: "other")
        let renewed = try await short.claim(other, nodeID: "generate/1", onWait: {})
        try await Task.sleep(for: .milliseconds(2500))
        #expect(try await server.psql("SELECT count(*) FROM reel_claims WHERE node_key = '\(other.hex)' AND expires_at > now()", database: name)
            .trimmingCharacters(in: .whitespacesAndNewlines) == "1")
        await renewed.release()
        await taken.release()
        #expect(try await server.psql("SELECT count(*) FROM reel_claims", database: name).trimmingCharacters(in: .whitespacesAndNewlines) == "0")
    }

    @Test func unreachableOrWrongPasswordNeverShowsThePassword() async throws {
        let server = try await PostgresServer.shared()
        let name = try await server.makeDatabase()
        let closedPort = try PostgresServer.unusedPort()
        let unreachable = "postgres://reel:\(server.password)@127.0.0.1:\(closedPort)/\(name)"
        await #expect {
            _ = try await PostgresShared.open(try PostgresLocation(parsing: unreachable, setting: "REEL_LEDGER_URL"), runner: "r")
        } throws: { error in
            let text = "\(error) \(String(reflecting: error))"
            return text.contains("REEL_LEDGER_URL") && text.contains("cannot reach") && !text.contains(server.password)
        }
        let wrong = server.url(database: name, password: "not-the-" + server.password)
        await #expect {
            _ = try await PostgresShared.open(try PostgresLocation(parsing: wrong, setting: "--ledger"), runner: "r")
        } throws: { error in
            let text = "\(error) \(String(reflecting: error))"
            return text.contains("--ledger") && text.contains("password authentication failed") && !text.contains(server.password)
        }
        #expect(try PostgresLocation(parsing: server.url(database: name), setting: "x").description.contains(server.password) == false)
        #expect(throws: SharedLedgerError.self) { _ = try PostgresLocation(parsing: server.url(database: name, query: "?sslmode=sometimes"), setting: "x") }
    }

    @Test func tlsRequiredFailsClearlyAgainstAServerWithoutTLS() async throws {
        let server = try await PostgresServer.shared()
        let name = try await server.makeDatabase()
        let location = try PostgresLocation(parsing: server.url(database: name, query: "?sslmode=require"), setting: "REEL_LEDGER_URL")
        #expect(location.tls == .require)
        await #expect {
            _ = try await PostgresShared.open(location, runner: "r")
        } throws: { error in
            "\(error)".contains("REEL_LEDGER_URL") && !"\(error)".contains(server.password)
        }
        // sslmode=prefer (the default) falls back to plain TCP on this server.
        _ = try await PostgresShared.open(try PostgresLocation(parsing: server.url(database: name), setting: "x"), runner: "r")
    }
}

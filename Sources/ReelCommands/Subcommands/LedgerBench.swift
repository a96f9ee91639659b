import ArgumentParser
import Foundation
import ReelBasics
import ReelCache
import ReelEngine
import ReelLedger
import ReelLedgerPostgres

extension ReelCommand {
    /// `reel _ledger-bench` (hidden): what the shared ledger adds to each paid node, for
    /// `scripts/bench`. Runs `--nodes` times what the engine does around a paid call — claim,
    /// reserve, journal the create and the id, clear the journal, settle, release the claim —
    /// and prints each step's latency as JSON.
    struct LedgerBench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "_ledger-bench", abstract: "Measure the shared ledger's per-node overhead (for scripts/bench).", shouldDisplay: false)

        @Option(help: "The shared ledger URL (default: $REEL_LEDGER_URL).")
        var ledger: String?

        @Option(help: "How many paid nodes to simulate.")
        var nodes = 200

        @Option(help: "The campaign to reserve against.")
        var campaign = "bench"

        func run() async throws {
            let environment = BuildEnvironment.live()
            guard let url = ledger ?? environment.variables["REEL_LEDGER_URL"] else {
                throw ValidationError("give --ledger postgres://… or set REEL_LEDGER_URL")
            }
            let shared = try await PostgresConnector.open(url: url, setting: ledger == nil ? "REEL_LEDGER_URL" : "--ledger", environment: environment)
            let run = UUID().uuidString.lowercased()
            var reserveMS: [Double] = []
            var nodeMS: [Double] = []
            let clock = ContinuousClock()
            for index in 0..<nodes {
                let key = Digest.of(string: "\(run)/\(index)")
                let nodeStart = clock.now
                let claim = try await shared.claims.claim(key, nodeID: "generate/\(index)", onWait: {})
                let reserveStart = clock.now
                let reservation = try await shared.ledger.reserve(
                    runID: run, campaign: campaign, nodeID: "generate/\(index)", nodeKey: key.hex, provider: "bench", model: "bench", estimate: 0.01,
                    caps: BudgetCaps(campaign: 1_000_000, run: 1_000_000), takeOver: false, now: iso(environment.now()))
                reserveMS.append(milliseconds(clock.now - reserveStart))
                var entry = JournalEntry(
                    nodeKey: key, nodeID: "generate/\(index)", provider: "bench", model: "bench", state: .creating, predictionID: nil,
                    fingerprint: key.hex, createdAfter: iso(environment.now()), updatedAt: iso(environment.now()))
                try await shared.journal.record(entry)
                entry.state = .created
                entry.predictionID = "p\(index)"
                try await shared.journal.record(entry)
                try await shared.journal.remove(key)
                try await shared.ledger.settle(reservation, actualUSD: 0.01, predictionID: "p\(index)", status: "settled", now: iso(environment.now()))
                await claim.release()
                nodeMS.append(milliseconds(clock.now - nodeStart))
            }
            await shared.database.closeWarning()
            Console.json(["reserve_ms": reserveMS, "node_ms": nodeMS])
        }

        func milliseconds(_ duration: Duration) -> Double {
            Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
        }

        func iso(_ date: Date) -> String {
            ISO8601DateFormatter().string(from: date)
        }
    }
}

import ArgumentParser
import Foundation
import ReelBasics
import ReelCache
import ReelEngine
import ReelLedger
import ReelLedgerPostgres
import ReelManifest

extension ReelCommand {
    /// `reel status`: paid work in flight (journaled predictions) and open reservations, and a way
    /// to settle each.
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status", abstract: "Show predictions in flight and open reservations, and settle them.",
            discussion: """
                Lists the campaign's journaled predictions (id, model, age; with --check, the provider's status and when it \
                deletes the output) and its open ledger reservations. Each is settled one of three ways:
                  resume   `reel build` resumes a journaled prediction without paying again
                  cancel   `reel status --cancel generate/0` cancels it through the API; once the provider confirms, the \
                journal entry goes and its reservation is settled (at the estimate if it had started)
                  release  `reel status --release generate/0` closes a reservation with no work in flight (settled from the \
                action record if the result was recorded)

                Examples:
                  reel status
                  reel status --check --json
                  reel status --cancel generate/1
                """)

        @OptionGroup var manifestOptions: ManifestOptions

        @Flag(help: "Ask the provider for each prediction's status.")
        var check = false

        @Option(help: "Cancel this node's journaled prediction through the provider's API.")
        var cancel: String?

        @Option(help: "Release this node's open reservation (refused while its prediction is journaled).")
        var release: String?

        @Option(name: .customLong("allow-host"), help: "Let credentials go to this host[:port] named in the manifest's base_url (repeatable).")
        var allowHosts: [String] = []

        @Flag(help: "Print JSON.")
        var json = false

        func run() async throws {
            let environment = BuildEnvironment.live()
            let campaign = try CommandSupport.loadCampaign(manifestOptions, environment: environment, quiet: true)
            let paths = CommandSupport.paths(campaign, options: manifestOptions, environment: environment)
            let root = paths.cache
            let layout = CacheLayout(root: root)
            let ledgerPath = paths.ledger
            do {
                // With a shared ledger (`REEL_LEDGER_URL` / `--ledger postgres://…`), the journal,
                // reservations and claims of every runner live in the database.
                var journal: any JournalStore = PredictionJournal(layout: layout, fileSystem: environment.fileSystem)
                var ledger: (any SpendLedger)?
                var claims: [(nodeID: String, runner: String, secondsLeft: Double)] = []
                var shared: PostgresShared?
                if case .database(let url, let setting) = paths.ledgerLocation {
                    let opened = try await PostgresConnector.open(url: url, setting: setting, environment: environment)
                    shared = opened
                    journal = opened.journal
                    ledger = opened.ledger
                    claims = try await opened.claims.active()
                } else if FileManager.default.fileExists(atPath: ledgerPath.pathString) {
                    ledger = try Ledger(path: ledgerPath)
                }
                defer { if let shared { Task { await shared.database.closeWarning() } } }
                let entries = try await journal.all()
                let open = try await ledger?.openReservations(campaign: campaign.campaign.id) ?? []
                var options = ProviderSetup.Options.from(environment: environment.variables, cancelOnInterrupt: false)
                options.allowedHosts = allowHosts
                let settler = StatusSettler(
                    campaign: campaign, environment: environment, options: options, journal: journal, ledger: ledger,
                    actions: DiskActionCache(layout: layout, fileSystem: environment.fileSystem), claims: claims)
                if let node = cancel {
                    Console.out(try await settler.cancel(node: node, entries: entries, open: open))
                    return
                }
                if let node = release {
                    Console.out(try await settler.release(node: node, entries: entries, open: open))
                    return
                }
                try await settler.report(entries: entries, open: open, check: check, json: json)
            } catch let error as ExitCode {
                throw error
            } catch {
                Console.err("error: \(error)")
                throw ExitCode.failure
            }
        }
    }
}

/// What `reel status` does, apart from argument parsing.
struct StatusSettler {
    let campaign: ResolvedCampaign
    let environment: BuildEnvironment
    let options: ProviderSetup.Options
    let journal: any JournalStore
    let ledger: (any SpendLedger)?
    let actions: any ActionCache
    /// Node claims of every runner (a shared ledger only).
    var claims: [(nodeID: String, runner: String, secondsLeft: Double)] = []

    struct Refusal: Error, CustomStringConvertible {
        let description: String
    }

    func provider() throws -> any GenerationProvider {
        try ProviderSetup.generationProvider(campaign: campaign, environment: environment, options: options)
    }

    static func age(_ stamp: String, now: Date) -> String {
        guard let date = Timestamp.parse(stamp) else { return "?" }
        let minutes = Int(now.timeIntervalSince(date) / 60)
        return minutes < 60 ? "\(minutes) min" : "\(minutes / 60) h \(minutes % 60) min"
    }

    func report(entries: [JournalEntry], open: [SpendRow], check: Bool, json: Bool) async throws {
        let now = environment.now()
        let remote = check && !entries.isEmpty ? try provider() : nil
        var predictions: [[String: Any]] = []
        for entry in entries {
            var item: [String: Any] = [
                "node": entry.nodeID, "prediction_id": entry.predictionID ?? NSNull(), "model": entry.model, "state": entry.state.rawValue,
                "age": StatusSettler.age(entry.updatedAt, now: now), "journal": journal.location(of: entry.nodeKey),
            ]
            if let remote, let id = entry.predictionID {
                do {
                    let generation = try await remote.status(id, onRetry: { _, _ in })
                    item["provider_status"] = generation.providerStatus
                    if let retention = remote.capabilities.outputRetention {
                        if generation.outputsRemoved {
                            item["output"] = "deleted by the provider"
                        } else if let completed = generation.completedAt.flatMap(Timestamp.parse) {
                            let left = Int((completed.addingTimeInterval(retention.inSeconds).timeIntervalSince(now) / 60).rounded(.down))
                            item["output"] = left > 0 ? "deleted by the provider in \(left) min" : "deleted by the provider"
                        } else {
                            item["output"] = "kept \(Int(retention.inSeconds / 60)) min after it finishes"
                        }
                    }
                } catch {
                    item["provider_status"] = "unknown (\(error))"
                }
            }
            predictions.append(item)
        }
        var recorded: Set<String> = []
        for row in open {
            if let key = Digest(row.nodeKey), try await actions.lookup(key) != nil { recorded.insert(row.nodeKey) }
        }
        let reservations: [[String: Any]] = open.map { row in
            [
                "node": row.nodeID, "estimated_usd": row.estimatedUSD, "age": StatusSettler.age(row.startedAt, now: now),
                "prediction_id": row.predictionID ?? NSNull(), "journaled": entries.contains { $0.nodeKey.hex == row.nodeKey },
                "recorded": recorded.contains(row.nodeKey),
            ]
        }
        if json {
            let held = claims.map { ["node": $0.nodeID, "runner": $0.runner, "lease_seconds_left": $0.secondsLeft] as [String: Any] }
            Console.json(["in_flight": predictions, "open_reservations": reservations, "claims": held])
            return
        }
        if predictions.isEmpty && reservations.isEmpty && claims.isEmpty {
            Console.out("Nothing in flight and no open reservations.")
            return
        }
        if !claims.isEmpty {
            Console.out("Claimed by runners (\(claims.count)):")
            for claim in claims {
                let lease = claim.secondsLeft > 0 ? "lease \(Int(claim.secondsLeft)) s left" : "lease expired (the next runner takes over)"
                Console.out("  \(claim.nodeID)  \(claim.runner)  \(lease)")
            }
        }
        Console.out("In flight (\(predictions.count)):")
        for item in predictions {
            var line = "  \(item["node"] ?? "?")  prediction \((item["prediction_id"] as? String) ?? "id not yet known")  \(item["model"] ?? "")  \(item["age"] ?? "") old"
            if let status = item["provider_status"] { line += "  provider: \(status)" }
            if let output = item["output"] { line += "  output \(output)" }
            Console.out(line)
        }
        Console.out("Open reservations (\(reservations.count)):")
        for item in reservations {
            let journaled = item["journaled"] as? Bool == true
            let recorded = item["recorded"] as? Bool == true
            let hint = journaled ? "resume with `reel build`, or `reel status --cancel \(item["node"] ?? "")`"
                : recorded ? "result recorded: `reel build` or `reel status --release \(item["node"] ?? "")` settles it"
                : "nothing in flight: `reel status --release \(item["node"] ?? "")`"
            Console.out(String(format: "  %@  $%.2f reserved  %@ old  (%@)", "\(item["node"] ?? "?")", item["estimated_usd"] as? Double ?? 0, "\(item["age"] ?? "")", hint))
        }
    }

    /// Cancels a journaled prediction; once the provider confirms, drops the entry and settles.
    func cancel(node: String, entries: [JournalEntry], open: [SpendRow]) async throws -> String {
        guard let entry = entries.first(where: { $0.nodeID == node }) else { throw Refusal(description: "\(node) has no prediction in flight") }
        guard let id = entry.predictionID else {
            throw Refusal(description: "\(node)'s create reply was lost, so its prediction id is unknown; run `reel build` to look for it first")
        }
        let remote = try provider()
        guard let reply = try await remote.cancel(id), reply.status.isTerminal else {
            throw Refusal(description: "the provider did not confirm that prediction \(id) stopped; it stays in the journal")
        }
        if reply.status == .succeeded {
            throw Refusal(description: "prediction \(id) already succeeded (it is paid for): run `reel build` to fetch its clip")
        }
        try await journal.remove(entry.nodeKey)
        let ran = reply.status == .canceled && ((reply.computeSeconds ?? 0) > 0 || reply.providerStatus != "starting")
        var settled = ""
        if let ledger, let row = open.first(where: { $0.nodeKey == entry.nodeKey.hex }), let rowID = row.id {
            let reservation = Reservation(id: rowID, nodeKey: row.nodeKey, estimatedUSD: row.estimatedUSD, provider: row.provider)
            let usd = ran ? row.estimatedUSD : 0
            try await ledger.settle(reservation, actualUSD: usd, predictionID: id, status: ran ? "canceled-estimate" : "canceled", now: iso8601Now())
            settled = String(format: "; its reservation is settled at $%.2f%@", usd, ran ? " (estimate: it had started)" : "")
        }
        return "cancelled prediction \(id) (\(reply.providerStatus))" + settled
    }

    /// Releases an open reservation with nothing in flight (or settles it from a recorded result).
    func release(node: String, entries: [JournalEntry], open: [SpendRow]) async throws -> String {
        guard let ledger else { throw Refusal(description: "there is no ledger") }
        let rows = open.filter { $0.nodeID == node }
        guard !rows.isEmpty else { throw Refusal(description: "\(node) has no open reservation") }
        var said: [String] = []
        for row in rows {
            guard let rowID = row.id, let key = Digest(row.nodeKey) else { continue }
            if entries.contains(where: { $0.nodeKey == key }) {
                throw Refusal(description: "\(node)'s prediction is journaled (it may still run and be billed): resume it with `reel build` or `reel status --cancel \(node)`")
            }
            let reservation = Reservation(id: rowID, nodeKey: row.nodeKey, estimatedUSD: row.estimatedUSD, provider: row.provider)
            if let record = try await actions.lookup(key) {
                let usd = record.metadata["cost_usd"]?.doubleValue ?? row.estimatedUSD
                try await ledger.settle(reservation, actualUSD: usd, predictionID: record.metadata["prediction_id"]?.stringValue, status: "settled", now: iso8601Now())
                said.append(String(format: "settled at $%.2f from its recorded result", usd))
            } else {
                // No journal entry: no create was ever sent for it (the journal is written first), or it is over.
                try await ledger.release(reservation, now: iso8601Now())
                said.append("released (nothing in flight)")
            }
        }
        return "\(node): " + said.joined(separator: "; ")
    }

    func iso8601Now() -> String { Timestamp.iso8601(environment.now()) }
}

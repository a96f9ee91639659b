import ArgumentParser
import Foundation
import ReelBasics
import ReelEngine
import ReelLedger
import ReelLedgerPostgres

extension ReelCommand {
    /// `reel spend`: what has been spent, by campaign, model and day.
    struct Spend: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "spend", abstract: "Summarise the spend ledger by campaign, model and day.",
            discussion: """
                Reads the ledger (<project>/.reel/ledger.sqlite by default): one row per paid call with its estimated and \
                actual cost. Open reservations (calls in flight, or interrupted and resumable) count as spent.

                Examples:
                  reel spend
                  reel spend --campaign orbit-coffee-launch --json
                  reel spend --ledger ci/ledger.sqlite
                """)

        @Option(
            name: .customLong("ledger"),
            help: "The ledger file, or a postgres:// URL of the shared ledger (default: $REEL_LEDGER_URL, $REEL_LEDGER, or <project>/.reel/ledger.sqlite).")
        var ledger: String?

        @Option(help: "Only this campaign.")
        var campaign: String?

        @Flag(help: "Print JSON.")
        var json = false

        func run() async throws {
            // The project's ledger, found from the current folder as `reel build` finds it from a manifest.
            let environment = BuildEnvironment.live()
            let paths = ProjectPaths.resolve(from: AbsolutePath.currentDirectory, overrides: ProjectPaths.Overrides(ledger: ledger), environment: environment)
            if case .database(let url, let setting) = paths.ledgerLocation {
                let rows: [(row: SpendRow, runner: String)]
                do {
                    let shared = try await PostgresConnector.open(url: url, setting: setting, environment: environment)
                    rows = try await shared.ledger.runnerRows(campaign: campaign)
                    await shared.database.closeWarning()
                } catch {
                    Console.err("error: cannot read the shared ledger: \(error)")
                    throw ExitCode.failure
                }
                let summary = SpendSummary(rows: rows.map(\.row), runners: rows.map(\.runner))
                if json { Console.json(summary.json) } else { summary.printText() }
                return
            }
            let path = paths.ledger
            guard FileManager.default.fileExists(atPath: path.pathString) else {
                if json { Console.json(["total_usd": 0, "rows": 0, "by_campaign": [:], "by_model": [:], "by_day": [:]]) } else {
                    Console.out("no spend recorded (no ledger at \(path.relative(to: AbsolutePath.currentDirectory)))")
                }
                return
            }
            let rows: [SpendRow]
            do {
                rows = try Ledger(path: path).rows(campaign: campaign)
            } catch {
                Console.err("error: cannot read the ledger at \(path): \(error)")
                throw ExitCode.failure
            }
            let summary = SpendSummary(rows: rows)
            if json {
                Console.json(summary.json)
            } else {
                summary.printText()
            }
        }
    }
}

/// Totals over ledger rows.
struct SpendSummary {
    let rows: [SpendRow]
    /// Who reserved each row (the shared ledger only; the local one has one runner).
    var runners: [String]? = nil

    /// What a row counts: its actual cost, or its estimate while reserved.
    static func amount(_ row: SpendRow) -> Double {
        row.status == "reserved" ? row.estimatedUSD : (row.actualUSD ?? 0)
    }

    func total(by key: (SpendRow) -> String) -> [(String, Double, Int)] {
        var totals: [String: (Double, Int)] = [:]
        for row in rows {
            let entry = totals[key(row), default: (0, 0)]
            totals[key(row)] = (entry.0 + SpendSummary.amount(row), entry.1 + 1)
        }
        return totals.map { ($0.key, $0.value.0, $0.value.1) }.sorted { $0.0 < $1.0 }
    }

    var total: Double { rows.reduce(0) { $0 + SpendSummary.amount($1) } }
    var reserved: Double { rows.filter { $0.status == "reserved" }.reduce(0) { $0 + $1.estimatedUSD } }

    var json: [String: Any] {
        func object(_ groups: [(String, Double, Int)]) -> [String: Any] {
            Dictionary(uniqueKeysWithValues: groups.map { ($0.0, ["usd": ($0.1 * 10_000).rounded() / 10_000, "calls": $0.2] as [String: Any]) })
        }
        return [
            "total_usd": (total * 10_000).rounded() / 10_000,
            "reserved_usd": (reserved * 10_000).rounded() / 10_000,
            "rows": rows.count,
            "by_campaign": object(total { $0.campaign }),
            "by_model": object(total { $0.model }),
            "by_day": object(total { String($0.startedAt.prefix(10)) }),
        ].merging(byRunner.map { ["by_runner": object($0)] } ?? [:]) { first, _ in first }
    }

    /// Totals by runner, when the rows say who ran them.
    var byRunner: [(String, Double, Int)]? {
        guard let runners, runners.count == rows.count else { return nil }
        var totals: [String: (Double, Int)] = [:]
        for (row, runner) in zip(rows, runners) {
            let entry = totals[runner, default: (0, 0)]
            totals[runner] = (entry.0 + SpendSummary.amount(row), entry.1 + 1)
        }
        return totals.map { ($0.key, $0.value.0, $0.value.1) }.sorted { $0.0 < $1.0 }
    }

    /// Rows counted at their estimate because the real charge is unknown (cancelled after they started).
    var flagged: [SpendRow] { rows.filter { $0.status == "canceled-estimate" } }

    func printText() {
        Console.out(String(format: "Total: $%.2f over %d paid calls%@", total, rows.count, reserved > 0 ? String(format: " ($%.2f reserved, in flight)", reserved) : ""))
        if !flagged.isEmpty {
            Console.out(String(format: "  includes $%.2f estimated for %d prediction(s) cancelled after they started (the provider may bill the part that ran; check its dashboard)",
                flagged.reduce(0) { $0 + ($1.actualUSD ?? 0) }, flagged.count))
        }
        var sections = [("By campaign", total { $0.campaign }), ("By model", total { $0.model }), ("By day", total { String($0.startedAt.prefix(10)) })]
        if let byRunner { sections.append(("By runner", byRunner)) }
        for (title, groups) in sections {
            Console.out("")
            Console.out("\(title):")
            for (name, amount, calls) in groups {
                Console.out(String(format: "  %@  $%.2f  (%d calls)", name.padding(toLength: 28, withPad: " ", startingAt: 0), amount, calls))
            }
        }
    }
}

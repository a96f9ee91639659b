import ArgumentParser
import Foundation
import ReelBasics
import ReelEngine
import ReelGraph
import ReelLedger
import ReelLedgerPostgres
import ReelManifest

extension ReelCommand {
    /// `reel plan`: what a build would do, and why, without doing it.
    struct Plan: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show every node a build would run, why, what it would cost, and the budget left.",
            discussion: """
                Like `terraform plan`: reads the manifest, the cache, the lockfile and the ledger, and changes nothing. \
                Costs are estimates from the model registry's prices (or the manifest's price overrides).

                Exit codes: 0 success; with --detailed-exitcode, 0 nothing to do, 2 work to do, 1 error.

                Examples:
                  reel plan manifests/demo/reel.yaml
                  reel plan campaign.yaml --max-usd 5
                  reel plan campaign.yaml --json | jq '.nodes[] | select(.state == "stale")'
                  reel plan campaign.yaml --detailed-exitcode || echo "work to do"
                """)

        @OptionGroup var manifestOptions: ManifestOptions
        @OptionGroup var output: OutputOptions

        @Option(name: .customLong("max-usd"), help: "A further spending cap for the run, in US dollars.")
        var maxUSD: Double?

        @Flag(name: .customLong("detailed-exitcode"), help: "Exit 0 when nothing would run, 2 when something would, 1 on error.")
        var detailedExitCode = false

        func run() async throws {
            let environment = BuildEnvironment.live()
            let (campaign, _, plan) = try await CommandSupport.plan(manifestOptions, environment: environment, quiet: output.json || output.quiet)
            let caps = BudgetPolicy.caps(campaign.budget, maxUSD: maxUSD)
            let paths = CommandSupport.paths(campaign, options: manifestOptions, environment: environment)
            let ledgerPath = paths.ledger
            var committed = FileManager.default.fileExists(atPath: ledgerPath.pathString)
                ? ((try? Ledger(path: ledgerPath).committed(campaign: campaign.campaign.id)) ?? 0) : 0
            if case .database(let url, let setting) = paths.ledgerLocation {
                do {
                    let shared = try await PostgresConnector.open(url: url, setting: setting, environment: environment)
                    committed = try await shared.ledger.committed(campaign: campaign.campaign.id)
                    await shared.database.close()
                } catch {
                    Console.err("warning: \(error)")
                    committed = 0
                }
            }
            let budget = PlanRenderer.BudgetView(caps: caps, committed: committed)
            if output.json {
                Console.json(PlanRenderer.json(plan, campaign: campaign, budget: budget))
            } else {
                PlanRenderer.printText(plan, campaign: campaign, budget: budget, verbose: output.verbose)
            }
            // Credentials are checked now, before anyone runs `reel build` and spends.
            do {
                _ = try ProviderSetup.executors(for: plan, campaign: campaign, environment: environment, options: .init())
            } catch {
                Console.err("error: \(error)")
                throw ExitCode.failure
            }
            if detailedExitCode && !plan.staleNodes.isEmpty { throw ExitCode(2) }
        }
    }
}

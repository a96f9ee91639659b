import ArgumentParser
import Foundation
import ReelBasics
import ReelCache
import ReelEngine
import ReelGraph
import ReelLedger
import ReelLedgerPostgres
import ReelManifest

extension ReelCommand {
    /// `reel plan`: what a build would do, and why, without doing it.
    struct Plan: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "plan", abstract: "Show every node a build would run, why, what it would cost, and the budget left.",
            discussion: """
                Like `terraform plan`: reads the manifest, the cache, the lockfile and the ledger, and changes nothing. \
                Costs are estimates from the model registry's prices (or the manifest's price overrides).

                Exit codes: 0 success; with --detailed-exitcode, 0 nothing to do, 2 work to do, 1 error.

                Examples:
                  reel plan manifests/demo/reel.yaml
                  reel plan campaign.yaml --max-usd 5
                  reel plan campaign.yaml --json | jq '.nodes[] | select(.state == "stale")'
                  reel plan campaign.yaml --detailed-exitcode || echo "work to do"
                  reel plan campaign.yaml --variant fast   # one variant of 'variants:'
                """)

        @OptionGroup var manifestOptions: ManifestOptions
        @OptionGroup var output: OutputOptions

        @Option(name: .customLong("max-usd"), help: "A further spending cap for the run, in US dollars.")
        var maxUSD: Double?

        @Flag(name: .customLong("detailed-exitcode"), help: "Exit 0 when nothing would run, 2 when something would, 1 on error.")
        var detailedExitCode = false

        @Option(help: "Show what this shard of a sharded build would do, e.g. --shard 2/4.")
        var shard: String?

        @Option(name: .customLong("variant"), help: "Plan only this variant of the manifest's 'variants:' (repeatable); default: all.")
        var variants: [String] = []

        func validate() throws {
            if let shard, ShardSpec(parsing: shard) == nil {
                throw ValidationError("--shard takes i/n with 1 ≤ i ≤ n, e.g. --shard 2/4, not '\(shard)'")
            }
        }

        func run() async throws {
            let environment = BuildEnvironment.live()
            let refs: [BuildRequest.ManifestRef]
            do {
                refs = try manifestOptions.manifestRefs()
            } catch {
                throw CommandSupport.fail(error)
            }
            var planned: [(campaign: ResolvedCampaign, workspace: Workspace, plan: ReelGraph.Plan, budget: PlanRenderer.BudgetView)] = []
            for ref in refs {
                var (campaign, workspace, plan) = try await CommandSupport.plan(ref, options: manifestOptions, environment: environment, quiet: output.json || output.quiet)
                if !variants.isEmpty {
                    do {
                        workspace = try BuildService.choosingVariants(variants, in: workspace)
                    } catch {
                        throw CommandSupport.fail(error)
                    }
                    plan = await workspace.plan()
                }
                let caps = BudgetPolicy.caps(campaign.budget, maxUSD: maxUSD)
                let paths = CommandSupport.paths(campaign, options: manifestOptions, environment: environment)
                let ledgerPath = paths.ledger
                var committed = 0.0
                if case .database(let url, let setting) = paths.ledgerLocation {
                    do {
                        let shared = try await PostgresConnector.open(url: url, setting: setting, environment: environment)
                        committed = try await shared.ledger.committed(campaign: campaign.campaign.id)
                        await shared.database.closeWarning()
                    } catch {
                        // The headroom shown must be right, or not shown at all.
                        Console.err("error: \(error)")
                        throw ExitCode.failure
                    }
                } else if FileManager.default.fileExists(atPath: ledgerPath.pathString) {
                    do {
                        committed = try await Ledger(path: ledgerPath).committed(campaign: campaign.campaign.id)
                    } catch {
                        // The headroom shown must be right, or not shown at all.
                        Console.err("error: cannot read the ledger at \(ledgerPath.relative(to: AbsolutePath.currentDirectory)): \(error)")
                        throw ExitCode.failure
                    }
                }
                var budget = PlanRenderer.BudgetView(caps: caps, committed: committed)
                // Journaled paid work is resumed, not paid again: say so rather than "never built".
                let journal = PredictionJournal(layout: workspace.store.layout, fileSystem: environment.fileSystem)
                for node in plan.staleNodes {
                    guard let key = node.key else { continue }
                    do {
                        if let entry = try journal.entry(for: key) { budget.resuming[node.id] = entry.predictionID ?? "id not yet known" }
                    } catch {
                        Console.err("warning: \(error)")
                    }
                }
                planned.append((campaign, workspace, plan, budget))
            }
            let single = planned.count == 1 && shard == nil
            if single, let only = planned.first {
                if output.json {
                    Console.json(PlanRenderer.json(only.plan, campaign: only.campaign, budget: only.budget, remote: only.workspace.store.remote?.configuration))
                } else {
                    PlanRenderer.printText(only.plan, campaign: only.campaign, budget: only.budget, verbose: output.verbose, remote: only.workspace.store.remote?.configuration)
                }
            } else {
                printBatch(planned.map { ($0.campaign, $0.workspace, $0.plan, $0.budget) })
            }
            // Credentials are checked now, before anyone runs `reel build` and spends.
            do {
                for item in planned {
                    _ = try ProviderSetup.executors(for: item.plan, campaign: item.campaign, environment: environment, options: .init())
                }
            } catch {
                Console.err("error: \(error)")
                throw ExitCode.failure
            }
            if detailedExitCode && planned.contains(where: { !$0.plan.staleNodes.isEmpty }) { throw ExitCode(2) }
        }

        /// Several campaigns (or one shard's part): each campaign's plan, the total, and what the shard builds.
        func printBatch(_ planned: [(campaign: ResolvedCampaign, workspace: Workspace, plan: ReelGraph.Plan, budget: PlanRenderer.BudgetView)]) {
            let spec = shard.flatMap(ShardSpec.init(parsing:))
            let assignment = spec.map { spec in
                ShardAssignment(plans: planned.map { ($0.plan, CostEstimator(registry: $0.workspace.registry)) }, count: spec.count)
            }
            // The clips this shard builds, each once (a clip two campaigns share is one job).
            var slice: [(campaigns: [String], node: PlannedNode)] = []
            if let spec, let assignment {
                var index: [Digest: Int] = [:]
                for item in planned {
                    for node in item.plan.staleNodes where node.kind == .generate {
                        guard let key = node.key, assignment.owner(of: key) == spec.index else { continue }
                        if let known = index[key] {
                            slice[known].campaigns.append(item.campaign.campaign.id)
                        } else {
                            index[key] = slice.count
                            slice.append(([item.campaign.campaign.id], node))
                        }
                    }
                }
            }
            let unchosen = planned.filter { $0.plan.selection == nil }.map(\.campaign.campaign.id)
            let total = planned.reduce(0) { $0 + $1.plan.estimatedUSD }
            if output.json {
                var object: [String: Any] = [
                    "campaigns": planned.map { PlanRenderer.json($0.plan, campaign: $0.campaign, budget: $0.budget) },
                    "estimated_usd": (total * 10_000).rounded() / 10_000,
                ]
                if let spec {
                    object["shard"] = spec.description
                    object["shard_nodes"] = slice.map { item -> [String: Any] in
                        [
                            "id": item.node.id.qualified, "campaigns": item.campaigns, "key": item.node.key?.description ?? "",
                            "label": item.node.label, "estimated_usd": item.node.estimatedUSD, "reason": item.node.reason.description,
                        ]
                    }
                    object["shard_estimated_usd"] = (slice.reduce(0) { $0 + $1.node.estimatedUSD } * 10_000).rounded() / 10_000
                    object["selection_pending"] = unchosen
                }
                Console.json(object)
                return
            }
            for item in planned {
                PlanRenderer.printText(item.plan, campaign: item.campaign, budget: item.budget, verbose: output.verbose)
                Console.out("")
            }
            Console.out("\(planned.count) campaigns; estimated cost \(usd(total)) (estimate)")
            if let spec {
                let cost = slice.reduce(0) { $0 + $1.node.estimatedUSD }
                Console.out("shard \(spec): \(slice.count) clip\(slice.count == 1 ? "" : "s") to build (~\(usd(cost)))")
                for item in slice {
                    let also = item.campaigns.count > 1 ? "  (also \(item.campaigns.dropFirst().joined(separator: ", ")))" : ""
                    Console.out("  + \(item.node.id.qualified)  \(item.node.label)\(also)")
                }
                if !unchosen.isEmpty {
                    Console.out("  the pairs of \(unchosen.joined(separator: ", ")) are not chosen yet: the shard chooses them first (free with the local selector)")
                }
            }
        }
    }
}

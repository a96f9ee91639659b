import ArgumentParser
import Foundation
import ReelBasics
import ReelEngine
import ReelGraph
import ReelLedger
import ReelManifest

extension ReelCommand {
    /// `reel build`: renders the campaign, rebuilding only what is stale.
    struct Build: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Render the campaign to a video, rebuilding only what is stale.",
            discussion: """
                Takes every node it can from the cache; runs the rest (at most --jobs at once); places the video at \
                output.path with its clips in <name>.clips/ beside it; writes the lockfile next to the manifest. \
                Paid calls are reserved against the budget caps in the ledger before they start.

                Examples:
                  reel build manifests/demo/reel.yaml
                  reel build manifests/demo/reel.yaml --jobs 4 --keep-going
                  reel build manifests/demo/reel.yaml --force generate/2
                  reel build campaign.yaml --max-usd 5
                  reel build campaign.yaml --frozen   # CI: no spending, no lockfile change
                  reel build manifests/demo/reel.yaml --json | tail -n 1 | jq .output

                Ctrl-C stops launching new work; finished clips stay in the cache and running predictions are resumed \
                by the next build (or cancelled with --cancel-on-interrupt). Exit code 130.
                """)

        @OptionGroup var manifestOptions: ManifestOptions
        @OptionGroup var output: OutputOptions

        @Option(name: .shortAndLong, help: "Most nodes to run at once (default: the number of cores for local work; generate.concurrency for remote).")
        var jobs: Int?

        @Flag(name: .shortAndLong, help: "After a failure, keep building nodes that do not depend on it (within the budget caps).")
        var keepGoing = false

        @Option(name: .customLong("force"), help: "Rebuild this node even if cached (repeatable), e.g. --force combine.")
        var forced: [String] = []

        @Flag(name: .customLong("force-all"), help: "Rebuild every node.")
        var forceAll = false

        @Option(name: .customLong("max-usd"), help: "A further spending cap for this run, in US dollars.")
        var maxUSD: Double?

        @Flag(help: "For CI: fail, listing the nodes, if anything paid would run or the lockfile would change. Never spends.")
        var frozen = false

        @Flag(name: .customLong("cancel-on-interrupt"), help: "On Ctrl-C, cancel running predictions through the API instead of resuming them next time.")
        var cancelOnInterrupt = false

        func validate() throws {
            if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
            if let maxUSD, maxUSD < 0 || !maxUSD.isFinite { throw ValidationError("--max-usd must be a non-negative amount") }
            for id in forced where !ReelCommand.Explain.isNodeID(id) {
                throw ValidationError("--force takes a node id such as select, generate/0 or combine, not '\(id)'")
            }
            if frozen && (forceAll || !forced.isEmpty) { throw ValidationError("--frozen cannot be combined with --force or --force-all") }
        }

        func run() async throws {
            let environment = BuildEnvironment.live()
            let campaign = try CommandSupport.loadCampaign(manifestOptions, environment: environment, quiet: output.quiet)
            let workspace = try await CommandSupport.openWorkspace(campaign, options: manifestOptions, environment: environment)
            let printer = ProgressPrinter(json: output.json, quiet: output.quiet, verbose: output.verbose)
            let options = BuildOptions(jobs: jobs, keepGoing: keepGoing, forced: Set(forced.map { NodeID($0) }), forceAll: forceAll, frozen: frozen)
            let plan = workspace.plan(forced: options.forced, forceAll: options.forceAll)
            try CommandSupport.requireKnownNodes(forced, in: plan, flag: "--force")
            if frozen { try FrozenCheck.require(plan, workspace: workspace) }
            let executors: ExecutorSet
            let spend: SpendGate?
            do {
                executors = try ProviderSetup.executors(
                    for: plan, campaign: campaign, environment: environment,
                    options: .from(environment: environment.variables, cancelOnInterrupt: cancelOnInterrupt))
                spend = try BudgetCheck.gate(
                    for: plan, campaign: campaign, ledgerPath: manifestOptions.ledgerPath(projectRoot: campaign.projectRoot, environment: environment.variables),
                    maxUSD: maxUSD, keepGoing: keepGoing)
            } catch {
                Console.err("error: \(error)")
                throw ExitCode.failure
            }
            let engine = BuildEngine(workspace: workspace, executors: executors, options: options, spend: spend, events: printer.handle)
            let started = ContinuousClock.now
            let result = await InterruptHandler.run { await engine.run(plan: plan) }
            printer.summary(result, campaign: campaign)
            if !result.interrupted { await writeStoryboard(result, workspace: workspace, seconds: (ContinuousClock.now - started).inSeconds) }
            if result.interrupted { throw ExitCode(130) }
            if frozen && result.lockfileChanged {
                Console.err("error: --frozen: the lockfile \(campaign.lockfilePath.relative(to: AbsolutePath.currentDirectory)) would change; it was not written")
                throw ExitCode.failure
            }
            if !result.succeeded { throw ExitCode.failure }
        }

        /// Writes the HTML storyboard after every build (also for failed builds: it shows what exists),
        /// unless it already shows this build.
        func writeStoryboard(_ result: BuildResult, workspace: Workspace, seconds: Double) async {
            do {
                guard let written = try await Storyboard.afterBuild(result, workspace: workspace, seconds: seconds) else { return }
                if !output.quiet && !output.json {
                    Console.err("storyboard: \(written.relative(to: AbsolutePath.currentDirectory))")
                }
            } catch {
                Console.err("warning: could not write the storyboard: \(error)")
            }
        }
    }
}

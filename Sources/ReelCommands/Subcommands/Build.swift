import ArgumentParser
import Foundation
import ReelBasics
import ReelEngine
import ReelGraph
import ReelLedger
import ReelManifest
import Synchronization

extension ReelCommand {
    /// `reel build`: renders the campaign, rebuilding only what is stale.
    struct Build: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "build", abstract: "Render the campaign to a video, rebuilding only what is stale.",
            discussion: """
                Takes every node it can from the cache; runs the rest (at most --jobs at once); places the video at \
                output.path with its clips in <name>.clips/ beside it; writes the lockfile next to the manifest. \
                Paid calls are reserved against the budget caps in the ledger before they start.

                Examples:
                  reel build manifests/demo/reel.yaml
                  reel build manifests/demo/reel.yaml --jobs 4 --keep-going
                  reel build manifests/demo/reel.yaml --force generate/2
                  reel build campaign.yaml --variant fast   # one variant of 'variants:' (its clips, its video)
                  reel build campaign.yaml --max-usd 5
                  reel build campaign.yaml --frozen   # CI: no spending, no lockfile change
                  reel build 'campaigns/**/reel.yaml' --keep-going       # a batch: one build, shared limits
                  reel build 'campaigns/**/reel.yaml' --shard 2/4        # CI matrix job 2 of 4: its clips only
                  reel build 'campaigns/**/reel.yaml' --no-spend --shards 4   # the final job: assembles, never pays
                  reel build manifests/demo/reel.yaml --json | tail -n 1 | jq .output

                Ctrl-C stops launching new work; finished clips stay in the cache and running predictions are resumed \
                by the next build (or cancelled with --cancel-on-interrupt). SIGTERM and SIGHUP (CI timeouts) stop the same \
                way. Exit code 130. A prediction is polled for at most REEL_POLL_DEADLINE_MIN minutes (default 60); it then \
                stays journaled for the next build. A rate-limited create (HTTP 429) waits, pacing every create to that \
                provider, for up to REEL_RATE_LIMIT_DEADLINE_MIN minutes (default 30).
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

        @Option(name: .customLong("allow-host"), help: "Let credentials go to this host[:port] named in the manifest's base_url (repeatable).")
        var allowHosts: [String] = []

        @Flag(name: .customLong("cancel-on-interrupt"), help: "On Ctrl-C, cancel running predictions through the API instead of resuming them next time.")
        var cancelOnInterrupt = false

        @Option(help: "Build only this shard's clips, e.g. --shard 2/4 (1-based); the final job assembles the videos.")
        var shard: String?

        @Flag(name: .customLong("select-only"), help: "Choose the pairs (and nothing else): the job before the shards, when the selector is paid.")
        var selectOnly = false

        @Flag(name: .customLong("no-spend"), help: "Fail, listing the nodes, if anything paid is not in the cache (the final job of a sharded build).")
        var noSpend = false

        @Option(help: "With --no-spend: how many shards built the clips, to name the one that should have built a missing clip.")
        var shards: Int?

        @Option(name: .customLong("variant"), help: "Build only this variant of the manifest's 'variants:' (repeatable); default: all.")
        var variants: [String] = []

        func validate() throws {
            if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
            if let maxUSD, maxUSD < 0 || !maxUSD.isFinite { throw ValidationError("--max-usd must be a non-negative amount") }
            for id in forced where !ReelCommand.Explain.isNodeID(NodeID(parsing: id).rawValue) {
                throw ValidationError("--force takes a node id such as select, generate/0 or combine, not '\(id)'")
            }
            if frozen && (forceAll || !forced.isEmpty) { throw ValidationError("--frozen cannot be combined with --force or --force-all") }
            if let shard, ShardSpec(parsing: shard) == nil {
                throw ValidationError("--shard takes i/n with 1 ≤ i ≤ n, e.g. --shard 2/4, not '\(shard)'")
            }
            if shard != nil && (selectOnly || noSpend) { throw ValidationError("--shard cannot be combined with --select-only or --no-spend") }
            if let shards, shards < 1 { throw ValidationError("--shards must be at least 1") }
            if shards != nil && !noSpend { throw ValidationError("--shards goes with --no-spend") }
        }

        func run() async throws {
            let environment = BuildEnvironment.live()
            let manifests: [BuildRequest.ManifestRef]
            do {
                manifests = try manifestOptions.manifestRefs()
            } catch {
                throw CommandSupport.fail(error)
            }
            let batch = manifests.count > 1 || shard != nil || selectOnly
            let printer = ProgressPrinter(json: output.json, quiet: output.quiet, verbose: output.verbose, qualified: manifests.count > 1)
            var building = BuildRequest(
                manifests: manifests, paths: manifestOptions.overrides, forced: forced, forceAll: forceAll,
                frozen: frozen, keepGoing: keepGoing, jobs: jobs, maxUSD: maxUSD, cancelOnInterrupt: cancelOnInterrupt,
                shard: shard.flatMap(ShardSpec.init(parsing:)), selectOnly: selectOnly, noSpend: noSpend, shardCount: shards,
                allowedHosts: allowHosts)
            building.variants = variants
            let request = building
            let quiet = output.quiet
            let storyboards = Mutex<[AbsolutePath]>([])
            let result = try await CommandSupport.runBuild(request, environment: environment, quiet: quiet, printer: printer) { event in
                if case .storyboard(let path, _) = event { storyboards.withLock { $0.append(path) } }
            }
            let partial = shard != nil || selectOnly
            let succeeded = result.campaigns.count == request.manifests.count
                && result.campaigns.allSatisfy { partial ? $0.result.completedItsPart : $0.result.succeeded }
            if batch {
                printer.batchSummary(result.campaigns, succeeded: succeeded, shard: shard ?? (selectOnly ? "select-only" : nil))
            } else {
                for build in result.campaigns { printer.summary(build.result, campaign: build.campaign) }
            }
            if !output.quiet && !output.json {
                for path in storyboards.withLock({ $0 }) { Console.err("storyboard: \(path.relative(to: AbsolutePath.currentDirectory))") }
            }
            if result.interrupted { throw ExitCode(130) }
            for build in result.campaigns where frozen && build.result.lockfileChanged {
                Console.err("error: --frozen: the lockfile \(build.campaign.lockfilePath.relative(to: AbsolutePath.currentDirectory)) would change; it was not written")
                throw ExitCode.failure
            }
            if !succeeded { throw ExitCode.failure }
        }
    }
}

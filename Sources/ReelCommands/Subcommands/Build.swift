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
            for id in forced where !ReelCommand.Explain.isNodeID(NodeID(parsing: id).rawValue) {
                throw ValidationError("--force takes a node id such as select, generate/0 or combine, not '\(id)'")
            }
            if frozen && (forceAll || !forced.isEmpty) { throw ValidationError("--frozen cannot be combined with --force or --force-all") }
        }

        func run() async throws {
            let environment = BuildEnvironment.live()
            let printer = ProgressPrinter(json: output.json, quiet: output.quiet, verbose: output.verbose)
            let request = BuildRequest(
                manifests: [CommandSupport.manifestRef(manifestOptions)], paths: manifestOptions.overrides, forced: forced, forceAll: forceAll,
                frozen: frozen, keepGoing: keepGoing, jobs: jobs, maxUSD: maxUSD, cancelOnInterrupt: cancelOnInterrupt)
            let quiet = output.quiet
            let storyboards = Mutex<[AbsolutePath]>([])
            let service = BuildService(environment: environment, connector: PostgresConnector())
            let outcome: Result<ServiceResult, any Error> = await InterruptHandler.run {
                do {
                    return .success(try await service.build(request) { event in
                        if case .storyboard(let path) = event { storyboards.withLock { $0.append(path) } }
                        CommandSupport.render(event, quiet: quiet, printer: printer)
                    })
                } catch {
                    return .failure(error)
                }
            }
            let result: ServiceResult
            switch outcome {
            case .success(let value): result = value
            case .failure(let error): throw CommandSupport.fail(error)
            }
            for build in result.campaigns { printer.summary(build.result, campaign: build.campaign) }
            if !output.quiet && !output.json {
                for path in storyboards.withLock({ $0 }) { Console.err("storyboard: \(path.relative(to: AbsolutePath.currentDirectory))") }
            }
            if result.interrupted { throw ExitCode(130) }
            for build in result.campaigns where frozen && build.result.lockfileChanged {
                Console.err("error: --frozen: the lockfile \(build.campaign.lockfilePath.relative(to: AbsolutePath.currentDirectory)) would change; it was not written")
                throw ExitCode.failure
            }
            if !result.succeeded || result.campaigns.count < request.manifests.count { throw ExitCode.failure }
        }
    }
}

import ArgumentParser
import Foundation
import ReelBasics
import ReelEngine
import ReelGraph
import ReelManifest

extension ReelCommand {
    /// `reel build`: renders the campaign, rebuilding only what is stale.
    struct Build: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Render the campaign to a video, rebuilding only what is stale.",
            discussion: """
                Takes every node it can from the cache; runs the rest (at most --jobs at once); places the video at
                output.path with its clips in <name>.clips/ beside it; writes the lockfile next to the manifest.

                Examples:
                  reel build manifests/demo/reel.yaml
                  reel build manifests/demo/reel.yaml --jobs 4 --keep-going
                  reel build manifests/demo/reel.yaml --force generate/2
                  reel build manifests/demo/reel.yaml --json | tail -n 1 | jq .output

                Ctrl-C stops launching new work; finished clips stay in the cache (exit code 130).
                """)

        @OptionGroup var manifestOptions: ManifestOptions
        @OptionGroup var output: OutputOptions

        @Option(name: .shortAndLong, help: "Most nodes to run at once.")
        var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

        @Flag(name: .shortAndLong, help: "After a failure, keep building nodes that do not depend on it.")
        var keepGoing = false

        @Option(name: .customLong("force"), help: "Rebuild this node even if cached (repeatable), e.g. --force combine.")
        var forced: [String] = []

        @Flag(name: .customLong("force-all"), help: "Rebuild every node.")
        var forceAll = false

        func validate() throws {
            guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1") }
            for id in forced where NodeID(id).kind == nil {
                throw ValidationError("--force takes a node id such as select, generate/0 or combine, not '\(id)'")
            }
        }

        func run() async throws {
            let environment = BuildEnvironment.live()
            let campaign = try CommandSupport.loadCampaign(manifestOptions, environment: environment, quiet: output.quiet)
            let workspace = try await CommandSupport.openWorkspace(campaign, options: manifestOptions, environment: environment)
            let printer = ProgressPrinter(json: output.json, quiet: output.quiet, verbose: output.verbose)
            let engine = BuildEngine(
                workspace: workspace, executors: ExecutorSet(),
                options: BuildOptions(jobs: jobs, keepGoing: keepGoing, forced: Set(forced.map { NodeID($0) }), forceAll: forceAll),
                events: printer.handle)
            let result = await InterruptHandler.run { await engine.run() }
            printer.summary(result, campaign: campaign)
            if result.interrupted { throw ExitCode(130) }
            if !result.succeeded { throw ExitCode.failure }
        }
    }
}

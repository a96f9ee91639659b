import ArgumentParser
import Foundation
import ReelBasics
import ReelEngine
import ReelGraph
import ReelManifest

extension ReelCommand {
    /// `reel plan`: what a build would do, and why, without doing it.
    struct Plan: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show every node a build would run, why, and what it would cost.",
            discussion: """
                Like `terraform plan`: reads the manifest, the cache and the lockfile, changes nothing.

                Examples:
                  reel plan manifests/demo/reel.yaml
                  reel plan manifests/demo/reel.yaml --json | jq '.nodes[] | select(.state == "stale")'
                """)

        @OptionGroup var manifestOptions: ManifestOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let environment = BuildEnvironment.live()
            let campaign = try CommandSupport.loadCampaign(manifestOptions, environment: environment, quiet: output.json || output.quiet)
            let workspace = try await CommandSupport.openWorkspace(campaign, options: manifestOptions, environment: environment)
            let plan = workspace.plan()
            workspace.store.flush()
            if output.json {
                Console.json(PlanRenderer.json(plan, campaign: campaign))
            } else {
                PlanRenderer.printText(plan, campaign: campaign, verbose: output.verbose)
            }
        }
    }
}

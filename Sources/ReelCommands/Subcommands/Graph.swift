import ArgumentParser
import Foundation
import ReelBasics
import ReelEngine
import ReelGraph
import ReelManifest

extension ReelCommand {
    /// `reel graph`: the DAG with each node's state.
    struct Graph: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "graph", abstract: "Print the build graph (DOT, Mermaid or JSON) with each node's state.",
            discussion: """
                Examples:
                  reel graph manifests/demo/reel.yaml | dot -Tsvg > graph.svg
                  reel graph manifests/demo/reel.yaml --format mermaid
                  reel graph manifests/demo/reel.yaml --format json | jq '.nodes[] | select(.state=="stale")'
                """)

        enum Format: String, ExpressibleByArgument, CaseIterable {
            case dot, mermaid, json
        }

        @OptionGroup var manifestOptions: ManifestOptions

        @Option(help: "dot, mermaid or json.")
        var format: Format = .dot

        func run() async throws {
            let environment = BuildEnvironment.live()
            let refs: [BuildRequest.ManifestRef]
            do {
                refs = try manifestOptions.manifestRefs()
            } catch {
                throw CommandSupport.fail(error)
            }
            var plans: [(plan: ReelGraph.Plan, campaign: ResolvedCampaign)] = []
            for ref in refs {
                let (campaign, _, plan) = try await CommandSupport.plan(ref, options: manifestOptions, environment: environment, quiet: true)
                plans.append((plan, campaign))
            }
            if plans.count == 1, let (plan, campaign) = plans.first {
                switch format {
                case .dot: Console.write(GraphRenderer.dot(plan, campaign: campaign), to: .standardOutput)
                case .mermaid: Console.write(GraphRenderer.mermaid(plan, campaign: campaign), to: .standardOutput)
                case .json: Console.json(GraphRenderer.json(plan, campaign: campaign))
                }
                return
            }
            switch format {
            case .dot: Console.write(GraphRenderer.dot(plans), to: .standardOutput)
            case .mermaid: Console.write(GraphRenderer.mermaid(plans), to: .standardOutput)
            case .json: Console.json(["campaigns": plans.map { GraphRenderer.json($0.plan, campaign: $0.campaign, qualified: true) }])
            }
        }
    }
}

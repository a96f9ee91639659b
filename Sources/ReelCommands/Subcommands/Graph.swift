import ArgumentParser
import Foundation
import ReelBasics
import ReelEngine
import ReelGraph

extension ReelCommand {
    /// `reel graph`: the DAG with each node's state.
    struct Graph: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the build graph (DOT, Mermaid or JSON) with each node's state.",
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
            let (campaign, _, plan) = try await CommandSupport.plan(manifestOptions, environment: environment, quiet: true)
            switch format {
            case .dot: Console.write(GraphRenderer.dot(plan, campaign: campaign), to: .standardOutput)
            case .mermaid: Console.write(GraphRenderer.mermaid(plan, campaign: campaign), to: .standardOutput)
            case .json: Console.json(GraphRenderer.json(plan, campaign: campaign))
            }
        }
    }
}

import ArgumentParser
import Foundation
import ReelBasics
import ReelCache
import ReelEngine
import ReelGraph
import ReelManifest

extension ReelCommand {
    /// `reel explain <node>`: why a node is stale or was rebuilt.
    struct Explain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "explain", abstract: "Explain why a node is stale (or cached): which input changed, from what to what.",
            discussion: """
                Compares the node's key material now with the lockfile's and with the action cache.

                Examples:
                  reel explain generate/2 manifests/demo/reel.yaml
                  reel explain combine --json
                """)

        @Argument(help: "The node: select, generate/<n>, combine, features/<asset>.")
        var node: String

        @OptionGroup var manifestOptions: ManifestOptions

        @Flag(help: "Print JSON.")
        var json = false

        func validate() throws {
            guard Self.isNodeID(NodeID(parsing: node).rawValue) else { throw ValidationError("'\(node)' is not a node id (select, generate/<n>, combine, features/<asset>; generate/<n>@<variant>, combine@<variant>)") }
        }

        /// Whether `id` is written as a node id: `select`, `combine`, `generate/<n>` or `features/<asset>`
        /// (`NodeID.kind` alone also accepts `generate`, `/combine` or `select/x`).
        /// A clip or video of a variant carries it after `@`: `generate/3@fast`, `combine@fast`.
        static func isNodeID(_ id: String) -> Bool {
            let node = NodeID(id)
            if id.contains("@") {
                let variant = node.variant
                guard !variant.isEmpty, variant.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-" || $0 == "_") }),
                    node.kind == .generate || node.kind == .combine
                else { return false }
                return isNodeID(node.baseName)
            }
            let parts = id.split(separator: "/", omittingEmptySubsequences: false)
            switch parts.first {
            case "select", "combine": return parts.count == 1
            case "generate": return parts.count == 2 && !parts[1].isEmpty && parts[1].allSatisfy { $0.isASCII && $0.isNumber }
            case "features": return parts.count == 2 && !parts[1].isEmpty
            default: return false
            }
        }

        func run() async throws {
            let environment = BuildEnvironment.live()
            let (_, workspace, plan) = try await CommandSupport.plan(manifestOptions, environment: environment, quiet: true)
            guard let planned = plan.node(NodeID(parsing: node)) else {
                let known = plan.nodes.map(\.id.rawValue).joined(separator: ", ")
                Console.err("error: no node '\(node)' in this campaign (nodes: \(known))")
                throw ExitCode.failure
            }
            let explanation = try await Explanation.make(planned, plan: plan, workspace: workspace)
            if json {
                Console.json(explanation.json)
            } else {
                for line in explanation.lines { Console.out(line) }
            }
        }
    }
}

/// Why one node is in its state, in words.
struct Explanation {
    var node: PlannedNode
    var lines: [String]
    var changes: [String]
    var chain: [String]

    var json: [String: Any] {
        var object: [String: Any] = [
            "id": node.id.rawValue, "state": node.state.rawValue, "reason": node.reason.description, "reason_code": node.reason.code,
            "changes": changes, "upstream": chain,
        ]
        if let key = node.key { object["key"] = key.description }
        return object
    }

    static func make(_ node: PlannedNode, plan: ReelGraph.Plan, workspace: Workspace) async throws -> Explanation {
        var lines = ["\(node.id) (\(node.label)) is \(node.state.rawValue): \(node.reason)"]
        var changes: [String] = []
        var chain: [String] = []
        if case .keyChanged(let found) = node.reason {
            changes = found.map { humanise($0, node: node, workspace: workspace) }
            lines.append("changed since the lockfile:")
            lines += changes.map { "  \($0)" }
        }
        if let key = node.key {
            lines.append("key: \(key)")
            if let record = try await workspace.store.record(key) {
                lines.append("action cache: built \(record.createdAt) in \(String(format: "%.2f", record.durationSeconds)) s")
            } else {
                lines.append("action cache: no result for this key")
            }
        }
        var current = node
        var seen: Set<NodeID> = []
        while case .waitingFor(let upstream) = current.reason, !seen.contains(upstream), let next = plan.node(upstream) {
            seen.insert(upstream)
            chain.append(upstream.rawValue)
            lines.append("because \(upstream) is \(next.state.rawValue): \(next.reason)")
            if case .keyChanged(let found) = next.reason {
                lines += found.map { "  \(humanise($0, node: next, workspace: workspace))" }
            }
            current = next
        }
        return Explanation(node: node, lines: lines, changes: changes, chain: chain)
    }

    /// Names the asset behind a changed digest (`inputs.first` → asset 'rocket', assets/rocket.jpg).
    static func humanise(_ change: String, node: PlannedNode, workspace: Workspace) -> String {
        guard change.hasPrefix("inputs.") else { return change }
        let name = change.dropFirst("inputs.".count).split(separator: ":").first.map(String.init) ?? ""
        var assetID: String?
        switch node.spec?.action {
        case .generate(let input)?: assetID = name == "first" ? input.first.id : name == "last" ? input.last.id : nil
        case .features(let input)?: assetID = input.asset.id
        case .select?: assetID = name.split(separator: "/").last.map(String.init)
        default: break
        }
        guard let assetID, let asset = workspace.campaign.asset(assetID) else { return change }
        return "\(change)  (asset '\(assetID)', \(asset.projectRelativePath))"
    }
}

import Foundation
import ReelBasics
import ReelGraph
import ReelManifest

/// Renders a plan's graph as Graphviz DOT, Mermaid or JSON, with each node's state. Assets are
/// drawn as source nodes. Output is deterministic (sorted), so it can be compared with golden files.
enum GraphRenderer {
    struct Edge: Hashable, Comparable {
        var from: String
        var to: String

        static func < (lhs: Edge, rhs: Edge) -> Bool { (lhs.from, lhs.to) < (rhs.from, rhs.to) }
    }

    /// Every node (assets first) with its state and label, and every edge.
    /// - Parameter qualified: name every node with its campaign (`spring:generate/0`), for a graph
    ///   of several campaigns.
    static func elements(
        _ plan: ReelGraph.Plan, campaign: ResolvedCampaign, qualified: Bool = false
    ) -> (nodes: [(id: String, state: String, label: String)], edges: [Edge]) {
        let prefix = qualified ? "\(campaign.campaign.id):" : ""
        func name(_ id: NodeID) -> String { prefix + id.rawValue }
        var nodes: [(id: String, state: String, label: String)] = []
        var edges: Set<Edge> = []
        let used = usedAssets(plan, campaign: campaign)
        for asset in campaign.assets where used.contains(asset.id) {
            nodes.append(("\(prefix)asset/\(asset.id)", "source", asset.projectRelativePath))
        }
        for node in plan.nodes {
            nodes.append((name(node.id), node.state.rawValue, node.label))
            for dependency in node.dependencies { edges.insert(Edge(from: name(dependency), to: name(node.id))) }
            for asset in assets(of: node) { edges.insert(Edge(from: "\(prefix)asset/\(asset)", to: name(node.id))) }
        }
        return (nodes, edges.sorted())
    }

    /// Several campaigns in one DOT graph: a cluster per campaign, nodes named with their campaign.
    static func dot(_ plans: [(plan: ReelGraph.Plan, campaign: ResolvedCampaign)]) -> String {
        var lines = ["digraph \"reel\" {", "  rankdir=LR;", "  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\"];"]
        for (plan, campaign) in plans {
            let (nodes, edges) = elements(plan, campaign: campaign, qualified: true)
            lines.append("  subgraph \"cluster_\(escape(campaign.campaign.id))\" {")
            lines.append("    label=\"\(escape(campaign.campaign.id))\";")
            for node in nodes { lines.append("  " + dotNode(node)) }
            lines.append("  }")
            for edge in edges { lines.append("  \"\(escape(edge.from))\" -> \"\(escape(edge.to))\";") }
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    static func dotNode(_ node: (id: String, state: String, label: String)) -> String {
        let color = node.state == "cached" ? "#c8e6c9" : node.state == "stale" ? "#ffe0b2" : "#e3f2fd"
        let shape = node.state == "source" ? ", shape=note" : ""
        return "  \"\(escape(node.id))\" [label=\"\(escape(node.id))\\n\(escape(node.label))\\n(\(node.state))\", fillcolor=\"\(color)\"\(shape)];"
    }

    static func assets(of node: PlannedNode) -> [String] {
        switch node.spec?.action {
        case .features(let input)?: return [input.asset.id]
        case .select(let input)?: return input.settings.kind == .local ? [] : input.candidates.map(\.asset.id)
        case .generate(let input)?: return [input.first.id, input.last.id]
        default: return []
        }
    }

    static func usedAssets(_ plan: ReelGraph.Plan, campaign: ResolvedCampaign) -> Set<String> {
        Set(plan.nodes.flatMap(assets(of:)))
    }

    static func dot(_ plan: ReelGraph.Plan, campaign: ResolvedCampaign) -> String {
        let (nodes, edges) = elements(plan, campaign: campaign)
        var lines = ["digraph \"\(escape(campaign.campaign.id))\" {", "  rankdir=LR;", "  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\"];"]
        for node in nodes { lines.append(dotNode(node)) }
        for edge in edges { lines.append("  \"\(escape(edge.from))\" -> \"\(escape(edge.to))\";") }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    static func mermaid(_ plan: ReelGraph.Plan, campaign: ResolvedCampaign) -> String {
        mermaid([(plan, campaign)], qualified: false)
    }

    /// One flowchart; with several campaigns, a subgraph each and nodes named with their campaign.
    static func mermaid(_ plans: [(plan: ReelGraph.Plan, campaign: ResolvedCampaign)], qualified: Bool = true) -> String {
        var lines = ["flowchart LR"]
        var ids: [String: String] = [:]
        var allEdges: [Edge] = []
        for (plan, campaign) in plans {
            let (nodes, edges) = elements(plan, campaign: campaign, qualified: qualified)
            if qualified { lines.append("  subgraph \(campaign.campaign.id)") }
            for node in nodes {
                ids[node.id] = "n\(ids.count)"
                let text = "\(node.id)<br/>\(node.label)<br/>(\(node.state))".replacingOccurrences(of: "\"", with: "#quot;")
                lines.append("  \(ids[node.id] ?? "x")[\"\(text)\"]:::\(node.state)")
            }
            if qualified { lines.append("  end") }
            allEdges += edges
        }
        for edge in allEdges { lines.append("  \(ids[edge.from] ?? "x") --> \(ids[edge.to] ?? "x")") }
        lines.append("  classDef cached fill:#c8e6c9,stroke:#2e7d32")
        lines.append("  classDef stale fill:#ffe0b2,stroke:#ef6c00")
        lines.append("  classDef source fill:#e3f2fd,stroke:#1565c0")
        return lines.joined(separator: "\n") + "\n"
    }

    static func json(_ plan: ReelGraph.Plan, campaign: ResolvedCampaign, qualified: Bool = false) -> [String: Any] {
        let (nodes, edges) = elements(plan, campaign: campaign, qualified: qualified)
        return [
            "campaign": campaign.campaign.id,
            "nodes": nodes.map { ["id": $0.id, "state": $0.state, "label": $0.label] },
            "edges": edges.map { ["from": $0.from, "to": $0.to] },
        ]
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }
}

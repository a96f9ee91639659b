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
    static func elements(_ plan: ReelGraph.Plan, campaign: ResolvedCampaign) -> (nodes: [(id: String, state: String, label: String)], edges: [Edge]) {
        var nodes: [(id: String, state: String, label: String)] = []
        var edges: Set<Edge> = []
        let used = usedAssets(plan, campaign: campaign)
        for asset in campaign.assets where used.contains(asset.id) {
            nodes.append(("asset/\(asset.id)", "source", asset.projectRelativePath))
        }
        for node in plan.nodes {
            nodes.append((node.id.rawValue, node.state.rawValue, node.label))
            for dependency in node.dependencies { edges.insert(Edge(from: dependency.rawValue, to: node.id.rawValue)) }
            for asset in assets(of: node) { edges.insert(Edge(from: "asset/\(asset)", to: node.id.rawValue)) }
        }
        return (nodes, edges.sorted())
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
        for node in nodes {
            let color = node.state == "cached" ? "#c8e6c9" : node.state == "stale" ? "#ffe0b2" : "#e3f2fd"
            let shape = node.state == "source" ? ", shape=note" : ""
            lines.append("  \"\(escape(node.id))\" [label=\"\(escape(node.id))\\n\(escape(node.label))\\n(\(node.state))\", fillcolor=\"\(color)\"\(shape)];")
        }
        for edge in edges { lines.append("  \"\(escape(edge.from))\" -> \"\(escape(edge.to))\";") }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    static func mermaid(_ plan: ReelGraph.Plan, campaign: ResolvedCampaign) -> String {
        let (nodes, edges) = elements(plan, campaign: campaign)
        var ids: [String: String] = [:]
        for (index, node) in nodes.enumerated() { ids[node.id] = "n\(index)" }
        var lines = ["flowchart LR"]
        for node in nodes {
            let text = "\(node.id)<br/>\(node.label)<br/>(\(node.state))".replacingOccurrences(of: "\"", with: "#quot;")
            lines.append("  \(ids[node.id] ?? "x")[\"\(text)\"]:::\(node.state)")
        }
        for edge in edges { lines.append("  \(ids[edge.from] ?? "x") --> \(ids[edge.to] ?? "x")") }
        lines.append("  classDef cached fill:#c8e6c9,stroke:#2e7d32")
        lines.append("  classDef stale fill:#ffe0b2,stroke:#ef6c00")
        lines.append("  classDef source fill:#e3f2fd,stroke:#1565c0")
        return lines.joined(separator: "\n") + "\n"
    }

    static func json(_ plan: ReelGraph.Plan, campaign: ResolvedCampaign) -> [String: Any] {
        let (nodes, edges) = elements(plan, campaign: campaign)
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

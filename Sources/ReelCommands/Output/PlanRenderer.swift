import Foundation
import ReelBasics
import ReelGraph
import ReelManifest

/// Prints plans for people and for scripts.
enum PlanRenderer {
    /// The `reel plan --json` object.
    static func json(_ plan: ReelGraph.Plan, campaign: ResolvedCampaign) -> [String: Any] {
        [
            "campaign": campaign.campaign.id,
            "quality": campaign.quality.rawValue,
            "nodes": plan.nodes.map { node -> [String: Any] in
                var entry: [String: Any] = [
                    "id": node.id.rawValue, "kind": node.kind.rawValue, "state": node.state.rawValue, "reason": node.reason.description,
                    "reason_code": node.reason.code, "label": node.label, "estimated_usd": rounded(node.estimatedUSD),
                    "depends_on": node.dependencies.map(\.rawValue),
                ]
                if let key = node.key { entry["key"] = key.description }
                if case .keyChanged(let changes) = node.reason { entry["changes"] = changes }
                return entry
            },
            "stale": plan.staleNodes.count,
            "estimated_usd": rounded(plan.estimatedUSD),
            "settings": campaign.settings.map { ["key": $0.key, "value": $0.value, "source": $0.source.description] },
        ]
    }

    static func rounded(_ value: Double) -> Double {
        (value * 10_000).rounded() / 10_000
    }

    /// The human-readable plan.
    static func printText(_ plan: ReelGraph.Plan, campaign: ResolvedCampaign, verbose: Bool) {
        Console.out("Campaign '\(campaign.campaign.id)' at quality \(campaign.quality.rawValue)")
        Console.out("")
        Console.out("Settings:")
        let width = campaign.settings.map(\.key.count).max() ?? 0
        for setting in campaign.settings where verbose || setting.key != "generate.prompt" {
            let value = setting.value.count > 60 ? String(setting.value.prefix(57)) + "..." : setting.value
            Console.out("  \(setting.key.padding(toLength: width, withPad: " ", startingAt: 0))  \(value)  (\(setting.source))")
        }
        Console.out("")
        Console.out("Nodes:")
        let idWidth = plan.nodes.map(\.id.rawValue.count).max() ?? 0
        for node in plan.nodes {
            let mark = node.state == .cached ? "  = " : "  + "
            var line = mark + node.id.rawValue.padding(toLength: idWidth, withPad: " ", startingAt: 0) + "  "
            line += node.state == .cached ? "cached" : node.reason.description
            if node.estimatedUSD > 0 { line += "  ~\(usd(node.estimatedUSD))" }
            if verbose || node.kind != .features { line += "  [\(node.label)]" }
            Console.out(line)
        }
        Console.out("")
        let stale = plan.staleNodes.count
        if stale == 0 {
            Console.out("Nothing to do: every node is cached. Cost: $0.00.")
        } else {
            Console.out("\(stale) of \(plan.nodes.count) nodes would run; estimated cost \(usd(plan.estimatedUSD)) (estimate).")
        }
    }
}

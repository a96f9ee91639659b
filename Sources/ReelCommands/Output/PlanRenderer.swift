import Foundation
import ReelBasics
import ReelGraph
import ReelLedger
import ReelManifest
import ReelRemoteCache

/// Prints plans for people and for scripts.
enum PlanRenderer {
    /// Caps and what the ledger says has been spent.
    struct BudgetView {
        var caps: BudgetCaps
        var committed: Double
        /// Stale nodes whose paid work is journaled (already created, or maybe): node → prediction id.
        var resuming: [NodeID: String] = [:]

        /// Problems the build would hit: a node estimated above the per-clip cap is always refused.
        func warnings(_ plan: ReelGraph.Plan) -> [String] {
            guard let clip = caps.node else { return [] }
            return plan.staleNodes.filter { $0.estimatedUSD > clip + 1e-9 && resuming[$0.id] == nil }.map { node in
                "\(node.id) is estimated at \(usd(node.estimatedUSD)), above budget.clip_max_usd (\(usd(clip))): `reel build` will refuse it; "
                    + "raise budget.clip_max_usd or choose a cheaper model, resolution or duration"
            }
        }

        /// What is left under the campaign cap, if there is one.
        var campaignHeadroom: Double? { caps.campaign.map { $0 - committed } }

        /// The tightest limit on this run: campaign headroom or run cap.
        var runHeadroom: Double? { [campaignHeadroom, caps.run].compactMap { $0 }.min() }

        var json: [String: Any] {
            var object: [String: Any] = ["spent_usd": rounded(committed)]
            object["max_usd"] = caps.campaign ?? NSNull()
            object["run_max_usd"] = caps.run ?? NSNull()
            object["clip_max_usd"] = caps.node ?? NSNull()
            object["headroom_usd"] = runHeadroom.map(rounded) ?? NSNull()
            return object
        }
    }

    /// The `reel plan --json` object.
    static func json(_ plan: ReelGraph.Plan, campaign: ResolvedCampaign, budget: BudgetView, remote: RemoteCacheConfiguration? = nil) -> [String: Any] {
        var object: [String: Any] = [
            "campaign": campaign.campaign.id,
            "quality": campaign.quality.rawValue,
            "nodes": plan.nodes.map { node -> [String: Any] in
                var entry: [String: Any] = [
                    "id": node.id.rawValue, "kind": node.kind.rawValue, "state": node.state.rawValue, "reason": node.reason.description,
                    "reason_code": node.reason.code, "label": node.label, "estimated_usd": rounded(node.estimatedUSD),
                    "depends_on": node.dependencies.map(\.rawValue),
                ]
                if let key = node.key { entry["key"] = key.description }
                if let prediction = budget.resuming[node.id] {
                    entry["resuming"] = true
                    entry["prediction_id"] = prediction
                    entry["reason"] = "resuming, paid (prediction \(prediction))"
                }
                if node.state == .cached { entry["source"] = node.cached?.fromRemote == true ? "remote" : "local" }
                if case .keyChanged(let changes) = node.reason { entry["changes"] = changes }
                return entry
            },
            "stale": plan.staleNodes.count,
            "estimated_usd": rounded(plan.estimatedUSD),
            "variants": plan.variantEstimates.map { variant -> [String: Any] in
                [
                    "name": variant.variant, "estimated_usd": rounded(variant.usd), "clips": variant.clips,
                    "output": campaign.variants.first { $0.name == variant.variant }?.output.path.relative(to: campaign.manifestPath.parent) ?? "",
                ]
            },
            "settings": campaign.settings.map { ["key": $0.key, "value": $0.value, "source": $0.source.description] },
            "budget": budget.json,
            "warnings": budget.warnings(plan),
            "costs_are_estimates": true,
        ]
        if let remote {
            object["remote_cache"] = ["url": remote.displayURL, "uploads": remote.uploads, "uploads_reason": remote.uploadsReason]
        }
        return object
    }

    static func rounded(_ value: Double) -> Double {
        (value * 10_000).rounded() / 10_000
    }

    /// The human-readable plan.
    static func printText(_ plan: ReelGraph.Plan, campaign: ResolvedCampaign, budget: BudgetView, verbose: Bool, remote: RemoteCacheConfiguration? = nil) {
        Console.out("Campaign '\(campaign.campaign.id)' at quality \(campaign.quality.rawValue)")
        if let remote { Console.out("Remote cache: \(remote.displayURL) (\(remote.uploads ? "read-write" : "read-only"): \(remote.uploadsReason))") }
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
            if let prediction = budget.resuming[node.id] {
                line += "resuming, paid (prediction \(prediction))"
            } else {
                line += node.state == .cached ? (node.cached?.fromRemote == true ? "cached (remote)" : "cached") : node.reason.description
            }
            if node.estimatedUSD > 0 { line += "  ~\(usd(node.estimatedUSD))" }
            if verbose || node.kind != .features { line += "  [\(node.label)]" }
            Console.out(line)
        }
        Console.out("")
        let variants = plan.variantEstimates
        if !variants.isEmpty {
            Console.out("Variants:")
            let nameWidth = variants.map(\.variant.count).max() ?? 0
            for variant in variants {
                let path = campaign.variants.first { $0.name == variant.variant }?.output.path.relative(to: AbsolutePath.currentDirectory) ?? ""
                let model = campaign.variants.first { $0.name == variant.variant }.map { $0.generator.model ?? "local animatic" } ?? ""
                Console.out("  \(variant.variant.padding(toLength: nameWidth, withPad: " ", startingAt: 0))  ~\(usd(variant.usd))  \(variant.clips) clips, \(model) -> \(path)")
            }
            Console.out("  (a clip two variants share is built once: counted in each variant above, once in the total)")
            Console.out("")
        }
        let stale = plan.staleNodes.count
        if stale == 0 {
            Console.out("Nothing to do: every node is cached. Cost: $0.00.")
        } else {
            Console.out("\(stale) of \(plan.nodes.count) nodes would run; estimated cost \(usd(plan.estimatedUSD)) (estimate).")
        }
        var budgetLine = "Budget: \(usd(budget.committed)) spent so far"
        if let cap = budget.caps.campaign { budgetLine += " of \(usd(cap)) (budget.max_usd)" }
        if let run = budget.caps.run { budgetLine += "; run cap \(usd(run))" }
        if let clip = budget.caps.node { budgetLine += "; per-clip cap \(usd(clip))" }
        if let headroom = budget.runHeadroom {
            budgetLine += "; headroom \(usd(max(0, headroom)))"
            if plan.estimatedUSD > headroom + 1e-9 { budgetLine += " -- the estimate does NOT fit; `reel build` will refuse" }
        }
        Console.out(budgetLine + ".")
        for warning in budget.warnings(plan) { Console.out("warning: \(warning)") }
    }
}

import ReelGraph
import ReelManifest

/// `reel reroll` and `reel pick`: one clip's take is changed in the workspace before the build is
/// planned, so what follows — the plan, `--frozen`, the caps, the ledger, the lockfile — is the
/// ordinary build of a campaign whose clip has another take.
extension BuildService {
    /// How far a re-roll looks for a take number that is not in the cache yet.
    static let maxTakes = 1000

    /// What `reel reroll`/`reel pick` would do, without doing it (`--dry-run`): each campaign's plan
    /// with the take applied, as `reel plan` would show it.
    public func planTake(
        _ request: TakeRequest, manifests: [BuildRequest.ManifestRef], overrides: ProjectPaths.Overrides, events: @escaping ServiceEventSink
    ) async throws -> [(campaign: ResolvedCampaign, plan: Plan)] {
        var prepared: [Prepared] = []
        for manifest in manifests {
            let campaign = try load(manifest, events: events)
            let workspace = try await open(campaign, overrides: overrides, events: events)
            prepared.append(Prepared(campaign: campaign, workspace: workspace, plan: Plan(nodes: [], selection: nil)))
        }
        try await applyTake(request, to: &prepared)
        var plans: [(campaign: ResolvedCampaign, plan: Plan)] = []
        for item in prepared { plans.append((item.campaign, await item.workspace.plan())) }
        return plans
    }

    /// Sets the take `request` asks for in the campaign(s) it names.
    /// - Throws: `BuildServiceError.take` when the id names no clip, the pairs are not chosen yet,
    ///   or a picked take is not in the cache.
    func applyTake(_ request: TakeRequest, to prepared: inout [Prepared]) async throws {
        let verb = { if case .pick = request { return "pick" } else { return "reroll" } }()
        let id = NodeID(parsing: request.node)
        guard id.kind == .generate, let index = id.suffix.flatMap({ Int($0) }), index >= 0 else {
            throw BuildServiceError.take("reel \(verb) takes a clip's node id such as generate/3, not '\(request.node)'")
        }
        var matched = false
        for item in prepared.indices where id.campaign.isEmpty || id.campaign == prepared[item].campaign.campaign.id {
            var workspace = prepared[item].workspace
            let resolved = workspace.campaign
            let campaign = resolved.campaign.id
            let plan = await workspace.plan()
            guard let selection = plan.selection else {
                throw BuildServiceError.take("the pairs of \(campaign) are not chosen yet: run `reel build` first, then \(verb) a clip")
            }
            let names = resolved.variants.map(\.name)
            if names.isEmpty, !id.variant.isEmpty {
                throw BuildServiceError.take("\(campaign) has no variants; name the clip without one: \(id.baseName)")
            }
            if !names.isEmpty, !names.contains(id.variant) {
                let hint = id.variant.isEmpty ? "name its variant" : "'\(id.variant)' is not one of them"
                throw BuildServiceError.take(
                    "\(campaign) has variants (\(names.joined(separator: ", "))): \(hint), e.g. `reel \(verb) --variant \(names[0]) \(id.baseName)` "
                        + "or \(id.baseName)@\(names[0])")
            }
            guard selection.pairs.indices.contains(index), let lane = resolved.lanes.first(where: { $0.name == id.variant }) else { continue }
            matched = true
            let pair = selection.pairs[index]
            let slot = TakeSlot(variant: id.variant, first: pair.first, last: pair.last)
            let current = workspace.takes[slot] ?? 1
            /// The clip's node with the take set now, and whether it is in the cache.
            func cached() async -> (Bool, String) {
                guard let spec = workspace.builder.generateNodes(for: selection, lane: lane).first(where: { $0.id.suffix == String(index) }) else {
                    return (false, "no such node")
                }
                let state = await workspace.planner().assess(spec)
                return (state.state == .cached, state.reason.description)
            }
            switch request {
            case .pick(_, let take):
                workspace.takeOverrides[slot] = take
                let (inCache, reason) = await cached()
                guard inCache else {
                    throw BuildServiceError.take(
                        "take \(take) of \(campaign):\(id.rawValue) is not in the cache (\(reason)); `reel pick` only goes back to a take "
                            + "built before (this is take \(current)); `reel reroll \(id.rawValue)` makes a new one")
                }
            case .reroll:
                // The first take number whose clip is not in the cache: every earlier take is kept.
                var take = 2
                while take <= Self.maxTakes {
                    workspace.takeOverrides[slot] = take
                    if !(await cached()).0 { break }
                    take += 1
                }
                guard take <= Self.maxTakes else {
                    throw BuildServiceError.take("\(campaign):\(id.rawValue) already has \(Self.maxTakes) takes in the cache")
                }
            }
            // A variant's clip: that variant is built again (its video re-combined), the others are left as they are.
            if !id.variant.isEmpty { workspace.onlyVariants = [id.variant] }
            prepared[item].workspace = workspace
        }
        guard matched else {
            let nodes = await prepared.asyncMap { BuildService.describeNodes(await $0.workspace.plan()) }
            throw BuildServiceError.take("reel \(verb) \(request.node): no such clip in this build (nodes: \(nodes.joined(separator: "; ")))")
        }
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async -> T) async -> [T] {
        var out: [T] = []
        for element in self { out.append(await transform(element)) }
        return out
    }
}

import Foundation
import ReelBasics
import ReelManifest
import Synchronization

/// Works out which nodes are cached and which must run, and why, without running anything.
///
/// Nodes are evaluated in dependency order; a node's key can be computed only once its inputs'
/// output digests are known, so everything downstream of a stale node is stale "waiting for" it.
public struct Planner: Sendable {
    public let builder: GraphBuilder
    public let cache: any CacheView
    /// The previous build, computed only when needed (a miss, or a placeholder count).
    let previousBuild: @Sendable () -> PreviousBuild
    public var previous: PreviousBuild { previousBuild() }
    /// Nodes to rebuild whatever the cache says.
    public let forced: Set<NodeID>
    public let forceAll: Bool
    public let estimator: CostEstimator

    public init(
        builder: GraphBuilder, cache: any CacheView, previous: PreviousBuild = .none, forced: Set<NodeID> = [], forceAll: Bool = false,
        estimator: CostEstimator
    ) {
        self.init(builder: builder, cache: cache, previous: { previous }, forced: forced, forceAll: forceAll, estimator: estimator)
    }

    /// A planner that asks for the previous build only when it needs it.
    public init(
        builder: GraphBuilder, cache: any CacheView, previous: @escaping @Sendable () -> PreviousBuild, forced: Set<NodeID> = [],
        forceAll: Bool = false, estimator: CostEstimator
    ) {
        self.builder = builder
        self.cache = cache
        self.previousBuild = previous
        self.forced = forced
        self.forceAll = forceAll
        self.estimator = estimator
    }

    /// The state of one node whose inputs are known.
    public func assess(_ spec: NodeSpec) async -> (state: NodeState, reason: RunReason, cached: CachedResult?) {
        if forceAll || forced.contains(where: { $0.matches(spec.id) }) { return (.stale, .forced, nil) }
        switch await cache.lookup(spec.key) {
        case .hit(let result): return (.cached, .cached, result)
        case .outputMissing: return (.stale, .outputMissing, nil)
        case .outputCorrupt: return (.stale, .outputCorrupt, nil)
        case .unavailable(let reason): return (.stale, .cacheUnavailable(reason), nil)
        case .remoteLost: return (.stale, .remoteLost, nil)
        case .miss: return (.stale, missReason(spec), nil)
        }
    }

    private func missReason(_ spec: NodeSpec) -> RunReason {
        guard let before = previous.node(spec.id) else { return .neverBuilt }
        if before.key == spec.key { return .notInCache }
        guard let material = before.keyMaterial else { return .keyChanged([]) }
        return .keyChanged(spec.keyMaterial.differences(from: material))
    }

    /// Plans the whole campaign: one walk of its graph, answered from the cache.
    public func plan() async -> Plan {
        let driver = PlanningDriver(planner: self)
        let walk = await GraphWalk(builder: builder).run(driver)
        return Plan(nodes: driver.nodes, selection: walk.selection, clips: walk.clips)
    }

    /// How many generate nodes to show before the selector has chosen.
    func placeholderPairCount() -> Int {
        if let count = builder.selectorSettings?.count { return count }
        if let count = previous.pairCount { return count }
        return max(1, (builder.selectorSettings?.candidates.count ?? 2) - 1)
    }

    func planned(_ spec: NodeSpec) async -> PlannedNode {
        let (state, reason, cached) = await assess(spec)
        return PlannedNode(
            id: spec.id, kind: spec.kind, label: spec.label, state: state, reason: reason, spec: spec, dependencies: spec.dependencies,
            cached: cached, estimatedUSD: state == .stale ? estimator.estimate(spec) : 0)
    }
}

/// Planning's side of the graph walk: every node is looked up in the cache, nothing runs.
final class PlanningDriver: GraphDriver {
    let planner: Planner
    private let collected = Mutex<(nodes: [PlannedNode], placeholderClips: [String: [NodeID]])>(([], [:]))

    init(planner: Planner) {
        self.planner = planner
    }

    var nodes: [PlannedNode] { collected.withLock { $0.nodes } }

    private func append(_ node: PlannedNode) {
        collected.withLock { $0.nodes.append(node) }
    }

    func evaluate(_ specs: [NodeSpec], stage: NodeKind) async -> [NodeID: Digest] {
        var outputs: [NodeID: Digest] = [:]
        if specs.count > 1 { await planner.cache.prefetch(specs.map(\.key)) }
        // Each node's cache record is read and checked on every core (a no-op at 10,000 pairs is
        // mostly that); the nodes keep their order.
        let planner = self.planner
        let parts = specs.count < 64 ? 1 : ProcessInfo.processInfo.activeProcessorCount
        let planned = await mapInParts(specs, parts: parts) { await planner.planned($0) }
        for (spec, node) in zip(specs, planned) {
            append(node)
            if let digest = node.cached?.outputs[spec.kind.outputName] { outputs[spec.id] = digest }
        }
        return outputs
    }

    func selection(in digest: Digest) async throws -> Selection? {
        try await planner.cache.selection(digest)
    }

    func selectionUnavailable(_ spec: NodeSpec, reason: String) async {
        markStale(spec, reason: .cacheUnavailable(reason))
    }

    func selectionUnreadable(_ spec: NodeSpec, digest: Digest) async -> Selection? {
        markStale(spec, reason: .outputCorrupt)
        return nil
    }

    /// The select node, planned as cached, turns out not to give a selection.
    private func markStale(_ spec: NodeSpec, reason: RunReason) {
        collected.withLock { state in
            guard let index = state.nodes.lastIndex(where: { $0.id == spec.id }) else { return }
            state.nodes[index].state = .stale
            state.nodes[index].reason = reason
            state.nodes[index].cached = nil
            state.nodes[index].estimatedUSD = planner.estimator.estimate(spec)
        }
    }

    func pending(_ node: PendingNode) async {
        let builder = planner.builder
        switch node {
        case .select(let settings, let dependencies, let blocker):
            let estimate = settings.kind == .openAICompatible
                ? planner.estimator.selectorCost(model: settings.model, images: settings.candidates.count, pairs: settings.count ?? settings.candidates.count - 1)
                : 0
            append(PlannedNode(
                id: builder.selectID, kind: .select, label: "selector over \(settings.candidates.count) images", state: .stale,
                reason: .waitingFor(blocker), spec: nil, dependencies: dependencies, cached: nil, estimatedUSD: estimate))
        case .generates:
            // Per lane; a variant whose clip settings equal an earlier lane's makes the same clips
            // (the same keys): one node each, as once the pairs are known.
            // Worked out over every variant, so a shared clip has the id it has under any `--variant`.
            var placeholders: [String: [NodeID]] = [:]
            var seen: [(generator: GeneratorSettings, promptSet: Bool, ids: [NodeID])] = []
            var candidates: [PlannedNode] = []
            let built = Set(builder.lanes.map(\.name))
            for lane in builder.campaign.lanes {
                var ids: [NodeID] = []
                if let same = seen.first(where: { $0.generator == lane.generator && $0.promptSet == lane.promptSet }) {
                    ids = same.ids
                } else {
                    for index in 0..<planner.placeholderPairCount() {
                        let id = builder.generateID(index, variant: lane.name)
                        ids.append(id)
                        candidates.append(PlannedNode(
                            id: id, kind: .generate, label: "pair chosen by select", state: .stale, reason: .waitingFor(builder.selectID), spec: nil,
                            dependencies: [builder.selectID], cached: nil, estimatedUSD: planner.estimator.clipCost(lane.generator)))
                    }
                    seen.append((lane.generator, lane.promptSet, ids))
                }
                if built.contains(lane.name) { placeholders[lane.name] = ids }
            }
            let needed = Set(placeholders.values.joined())
            for node in candidates where needed.contains(node.id) { append(node) }
            collected.withLock { $0.placeholderClips = placeholders }
        case .combine(let id, let variant, let label, let dependencies, let blocker):
            let clips = dependencies.isEmpty ? collected.withLock { $0.placeholderClips[variant] ?? [] } : dependencies
            append(PlannedNode(
                id: id, kind: .combine, label: label, state: .stale, reason: .waitingFor(blocker), spec: nil,
                dependencies: clips, cached: nil, estimatedUSD: 0))
        }
    }
}

import ReelBasics
import ReelManifest

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
    public func assess(_ spec: NodeSpec) -> (state: NodeState, reason: RunReason, cached: CachedResult?) {
        if forceAll || forced.contains(spec.id) { return (.stale, .forced, nil) }
        switch cache.lookup(spec.key) {
        case .hit(let result): return (.cached, .cached, result)
        case .outputMissing: return (.stale, .outputMissing, nil)
        case .outputCorrupt: return (.stale, .outputCorrupt, nil)
        case .miss: return (.stale, missReason(spec), nil)
        }
    }

    private func missReason(_ spec: NodeSpec) -> RunReason {
        guard let before = previous.nodes[spec.id] else { return .neverBuilt }
        if before.key == spec.key { return .notInCache }
        guard let material = before.keyMaterial else { return .keyChanged([]) }
        return .keyChanged(spec.keyMaterial.differences(from: material))
    }

    /// Plans the whole campaign.
    public func plan() -> Plan {
        var nodes: [PlannedNode] = []
        var features: [String: Digest] = [:]
        var firstStaleFeature: NodeID?
        for spec in builder.featureNodes() {
            let node = planned(spec)
            nodes.append(node)
            if let digest = node.cached?.outputs[NodeKind.features.outputName] {
                features[spec.id.suffix ?? ""] = digest
            } else if firstStaleFeature == nil {
                firstStaleFeature = spec.id
            }
        }

        var selection: Selection?
        if let settings = builder.selectorSettings {
            if let spec = builder.selectNode(features: features) {
                var node = planned(spec)
                if let digest = node.cached?.outputs[NodeKind.select.outputName] {
                    if let stored = cache.selection(digest) {
                        selection = stored
                    } else {
                        node = PlannedNode(
                            id: spec.id, kind: .select, label: spec.label, state: .stale, reason: .outputCorrupt, spec: spec,
                            dependencies: spec.dependencies, cached: nil, estimatedUSD: estimator.estimate(spec))
                    }
                }
                nodes.append(node)
            } else {
                let estimate = settings.kind == .openAICompatible
                    ? estimator.selectorCost(model: settings.model, images: settings.candidates.count, pairs: settings.count ?? settings.candidates.count - 1)
                    : 0
                nodes.append(PlannedNode(
                    id: .select, kind: .select, label: "selector over \(settings.candidates.count) images", state: .stale,
                    reason: .waitingFor(firstStaleFeature ?? .select), spec: nil,
                    dependencies: settings.candidates.map(NodeID.features), cached: nil, estimatedUSD: estimate))
            }
        } else {
            selection = builder.explicitSelection()
        }

        var clips: [Digest] = []
        var generateIDs: [NodeID] = []
        var firstStaleClip: NodeID?
        if let selection {
            for spec in builder.generateNodes(for: selection) {
                let node = planned(spec)
                nodes.append(node)
                generateIDs.append(spec.id)
                if let clip = node.cached?.outputs[NodeKind.generate.outputName] {
                    clips.append(clip)
                } else if firstStaleClip == nil {
                    firstStaleClip = spec.id
                }
            }
        } else {
            let count = placeholderPairCount()
            for index in 0..<count {
                generateIDs.append(.generate(index))
                nodes.append(PlannedNode(
                    id: .generate(index), kind: .generate, label: "pair chosen by select", state: .stale, reason: .waitingFor(.select),
                    spec: nil, dependencies: [.select], cached: nil, estimatedUSD: estimator.clipCost(builder.campaign.generator)))
            }
            firstStaleClip = .select
        }

        if let waiting = firstStaleClip {
            nodes.append(PlannedNode(
                id: .combine, kind: .combine, label: builder.campaign.output.path.relative(to: builder.campaign.projectRoot), state: .stale,
                reason: .waitingFor(waiting), spec: nil, dependencies: generateIDs, cached: nil, estimatedUSD: 0))
        } else {
            nodes.append(planned(builder.combineNode(clips: clips, generateIDs: generateIDs)))
        }
        return Plan(nodes: nodes, selection: selection)
    }

    /// How many generate nodes to show before the selector has chosen.
    func placeholderPairCount() -> Int {
        if let count = builder.selectorSettings?.count { return count }
        if let count = previous.pairCount { return count }
        return max(1, (builder.selectorSettings?.candidates.count ?? 2) - 1)
    }

    private func planned(_ spec: NodeSpec) -> PlannedNode {
        let (state, reason, cached) = assess(spec)
        return PlannedNode(
            id: spec.id, kind: spec.kind, label: spec.label, state: state, reason: reason, spec: spec, dependencies: spec.dependencies,
            cached: cached, estimatedUSD: state == .stale ? estimator.estimate(spec) : 0)
    }
}

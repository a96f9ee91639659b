import ReelBasics
import ReelManifest

/// A node whose inputs are not known yet, because an upstream node has no output.
public enum PendingNode: Sendable, Equatable {
    /// The selector, waiting for `blocker` (a features node).
    case select(SelectorSettings, dependencies: [NodeID], blocker: NodeID)
    /// The clips, before the selector has chosen the pairs.
    case generates(blocker: NodeID)
    /// A lane's final video (`combine`, `combine@<variant>`), waiting for a clip (or the selection).
    case combine(id: NodeID, variant: String, label: String, dependencies: [NodeID], blocker: NodeID)
}

/// Drives one walk of a campaign's graph. Planning answers from the cache; a build runs nodes.
public protocol GraphDriver: Sendable {
    /// Evaluates one stage (its nodes are independent of each other) and returns the main output
    /// digest of each node that has one afterwards.
    func evaluate(_ specs: [NodeSpec], stage: NodeKind) async -> [NodeID: Digest]
    /// The selection stored in the select node's output; `nil` when it cannot be decoded.
    /// - Throws: when it cannot be read at all (then `selectionUnavailable`, never a new selection).
    func selection(in digest: Digest) async throws -> Selection?
    /// The select node's output could not be read as a selection: select again (a build) or
    /// mark it stale (a plan). Returns the selection if one is now readable.
    func selectionUnreadable(_ spec: NodeSpec, digest: Digest) async -> Selection?
    /// The select node's output exists but cannot be read (an I/O error): a build fails the node
    /// rather than pay for a selection again; a plan marks it so.
    func selectionUnavailable(_ spec: NodeSpec, reason: String) async
    /// A node whose inputs are not known yet.
    func pending(_ node: PendingNode) async
}

/// The clip nodes a walk made for a selection: a later walk of the same workspace over the same
/// selection takes them instead of making (and keying) every clip again. A build plans first
/// and then walks again to run: at 10,000 pairs the second set of specs was a second copy of the
/// largest part of the heap, and a fifth of a no-op's time.
public struct PlannedClips: Sendable, Equatable {
    public var selection: Selection
    /// What the builder's takes and variants were: the specs depend on them too.
    public var takes: [TakeSlot: Int]
    public var onlyVariants: Set<String>?
    public var lanes: [[NodeSpec]]
    public var distinct: [NodeSpec]
    /// Each lane's video node, by id, as the walk made it (over the clips' outputs it had then).
    public var combines: [NodeID: NodeSpec] = [:]

    /// Whether these are the clips `builder` makes for `selection`. The campaign, asset digests
    /// and tool are the workspace's own: a plan is only ever reused by its own workspace's build.
    func matches(_ selection: Selection, builder: GraphBuilder) -> Bool {
        takes == builder.takes && onlyVariants == builder.onlyVariants && self.selection == selection
    }
}

/// What a walk found.
public struct GraphWalkResult: Sendable {
    public var selection: Selection?
    /// The clip nodes made for `selection` (nil before it is known).
    public var clips: PlannedClips?
    /// The distinct clip nodes (a clip two variants share is one node).
    public var generateSpecs: [NodeSpec]
    /// Per lane (variant): its clips in order and its video's node.
    public var lanes: [LaneWalk]

    /// The first lane's video node (the campaign's own without variants).
    public var combineSpec: NodeSpec? { lanes.first?.combineSpec }
}

/// One lane of a walk: a variant's clips (some shared with other variants) and its video node.
public struct LaneWalk: Sendable {
    public var variant: ResolvedVariant
    public var clipSpecs: [NodeSpec]
    public var combineSpec: NodeSpec?
}

/// The campaign's pipeline, written once: features → select → generate → combine (the graph's
/// topological levels). Each level's node specs (and so keys) are made from the outputs of the
/// level before, which gives early cutoff. `Planner` and `BuildEngine` both walk it.
public struct GraphWalk: Sendable {
    public let builder: GraphBuilder

    public init(builder: GraphBuilder) {
        self.builder = builder
    }

    /// - Parameter reusing: the clips an earlier walk of the same workspace made (the plan's),
    ///   taken when the selection is the same.
    public func run(_ driver: some GraphDriver, reusing reused: PlannedClips? = nil) async -> GraphWalkResult {
        let featureSpecs = builder.featureNodes()
        let featureOutputs = await driver.evaluate(featureSpecs, stage: .features)

        var selection: Selection?
        var selectBlocker: NodeID?
        if let settings = builder.selectorSettings {
            var features: [String: Digest] = [:]
            for spec in featureSpecs {
                if let digest = featureOutputs[spec.id] { features[spec.id.suffix ?? ""] = digest }
            }
            if let spec = builder.selectNode(features: features) {
                if let digest = await driver.evaluate([spec], stage: .select)[spec.id] {
                    do {
                        selection = try await driver.selection(in: digest)
                        if selection == nil { selection = await driver.selectionUnreadable(spec, digest: digest) }
                    } catch {
                        await driver.selectionUnavailable(spec, reason: "\(error)")
                    }
                }
                if selection == nil { selectBlocker = spec.id }
            } else {
                let blocker = featureSpecs.first { featureOutputs[$0.id] == nil }?.id ?? builder.selectID
                await driver.pending(.select(settings, dependencies: settings.candidates.map(builder.featuresID), blocker: blocker))
                selectBlocker = builder.selectID
            }
        } else {
            selection = builder.explicitSelection()
        }

        var generateSpecs: [NodeSpec] = []
        var laneSpecs: [[NodeSpec]] = builder.lanes.map { _ in [] }
        var outputs: [NodeID: Digest] = [:]
        var planned: PlannedClips?
        if let selection {
            let clips: PlannedClips
            if let reused, reused.matches(selection, builder: builder) {
                clips = reused
            } else {
                let made = builder.clipNodes(for: selection)
                clips = PlannedClips(
                    selection: selection, takes: builder.takes, onlyVariants: builder.onlyVariants, lanes: made.lanes, distinct: made.distinct)
            }
            planned = clips
            generateSpecs = clips.distinct
            laneSpecs = clips.lanes
            outputs = await driver.evaluate(generateSpecs, stage: .generate)
        } else {
            await driver.pending(.generates(blocker: selectBlocker ?? builder.selectID))
        }

        var lanes: [LaneWalk] = []
        for (lane, specs) in zip(builder.lanes, laneSpecs) {
            var clips: [Digest] = []
            var clipBlocker: NodeID? = selection == nil ? selectBlocker ?? builder.selectID : nil
            for spec in specs {
                if let clip = outputs[spec.id] {
                    clips.append(clip)
                } else if clipBlocker == nil {
                    clipBlocker = spec.id
                }
            }
            var combineSpec: NodeSpec?
            let label = lane.output.path.relative(to: builder.campaign.projectRoot)
            let id = builder.combineID(variant: lane.name)
            if let blocker = clipBlocker ?? (specs.isEmpty ? builder.selectID : nil) {
                await driver.pending(.combine(id: id, variant: lane.name, label: label, dependencies: specs.map(\.id), blocker: blocker))
            } else if let known = planned?.combines[id], case .combine(let input) = known.action, input.clips == clips {
                // The plan's, over the same clips: keying a 10,000-clip video node again is not free.
                combineSpec = known
            } else {
                let spec = builder.combineNode(clips: clips, generateIDs: specs.map(\.id), lane: lane)
                combineSpec = spec
            }
            lanes.append(LaneWalk(variant: lane, clipSpecs: specs, combineSpec: combineSpec))
        }
        let combines = lanes.compactMap(\.combineSpec)
        planned?.combines = Dictionary(combines.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        if !combines.isEmpty { _ = await driver.evaluate(combines, stage: .combine) }
        return GraphWalkResult(selection: selection, clips: planned, generateSpecs: generateSpecs, lanes: lanes)
    }
}

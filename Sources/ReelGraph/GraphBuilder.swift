import ReelBasics
import ReelManifest

/// Builds node specs (and so node keys) for a resolved campaign. Pure: the same inputs always give
/// the same specs. Downstream specs take upstream *output* digests as inputs.
public struct GraphBuilder: Sendable {
    public let campaign: ResolvedCampaign
    /// Content digests of the assets, by id.
    public let assetDigests: [String: Digest]
    /// The ffmpeg identity (`ffmpeg version 5.1.9-0+deb12u1`): local outputs depend on it.
    public let toolVersion: String

    /// Engine versions: bump one when its action's output changes for the same inputs.
    public enum EngineVersion {
        public static let features = "features/1"
        public static let selectLocal = "select-local/1"
        public static let selectLLM = "select-llm/2"
        public static let animatic = "animatic/2"  // 2: the still converted to yuv444p before zoompan
        public static let replicate = "replicate/1"
        public static let combine = "combine/1"
    }

    /// Thumbnail size used for features.
    public static let featureSize = 32

    /// What the LLM selector's request looks like (prompt text version, reply schema, temperature,
    /// image size), derived from the request types themselves: part of the select key.
    public let selectorRequest: SelectorRequestShape

    /// The chosen take of each clip, by variant and pair (absent = take 1): a take follows its
    /// pair when the selection changes, never its position. A take above 1 is a parameter of the
    /// node's key (`take`), so every take is its own cache entry; take 1 adds nothing, so its key
    /// is the key a clip had before takes existed.
    public var takes: [TakeSlot: Int] = [:]

    /// The variants this graph builds (`reel build --variant`); `nil`: all of them.
    public var onlyVariants: Set<String>?

    public init(campaign: ResolvedCampaign, assetDigests: [String: Digest], toolVersion: String, selectorRequest: SelectorRequestShape) {
        self.campaign = campaign
        self.assetDigests = assetDigests
        self.toolVersion = toolVersion
        self.selectorRequest = selectorRequest
    }

    /// The campaign's namespace for node ids.
    public var namespace: String { campaign.campaign.id }

    /// `select` in this campaign.
    public var selectID: NodeID { .select(campaign: namespace) }

    /// `combine` in this campaign.
    public var combineID: NodeID { .combine(campaign: namespace) }

    /// `generate/<index>` in this campaign (`generate/<index>@<variant>` in a variant).
    public func generateID(_ index: Int, variant: String = "") -> NodeID { .generate(index, campaign: namespace, variant: variant) }

    /// `combine@<variant>` in this campaign (`combine` for the unnamed lane).
    public func combineID(variant: String) -> NodeID { .combine(campaign: namespace, variant: variant) }

    /// What the graph renders: one lane per variant built (or the campaign's one unnamed lane).
    public var lanes: [ResolvedVariant] {
        let all = campaign.lanes
        guard let only = onlyVariants, !campaign.variants.isEmpty else { return all }
        return all.filter { only.contains($0.name) }
    }

    /// The take of a pair's clip in a lane.
    public func take(variant: String, pair: SelectedPair) -> Int {
        takes[TakeSlot(variant: variant, first: pair.first, last: pair.last)] ?? 1
    }

    /// `features/<asset>` in this campaign.
    public func featuresID(_ asset: String) -> NodeID { .features(asset, campaign: namespace) }

    /// The selector settings, when a selector runs.
    public var selectorSettings: SelectorSettings? { campaign.pairs.selector }

    /// Whether per-asset feature nodes exist (the local selector reads them).
    public var usesFeatures: Bool { selectorSettings?.kind == .local }

    // MARK: features

    /// One `features/<id>` node per candidate image of the local selector.
    public func featureNodes() -> [NodeSpec] {
        guard let settings = selectorSettings, settings.kind == .local else { return [] }
        return settings.candidates.compactMap { id in
            guard let asset = campaign.asset(id), let digest = assetDigests[id] else { return nil }
            let material = KeyMaterial(
                kind: .features, engineVersion: EngineVersion.features, provider: "ffmpeg", model: "thumbnail-features",
                params: ["size": .int(GraphBuilder.featureSize), "tool": .string(toolVersion)], inputs: ["image": digest])
            return NodeSpec(
                id: featuresID(id), keyMaterial: material, dependencies: [],
                action: .features(FeaturesInput(asset: asset, digest: digest, size: GraphBuilder.featureSize)), label: asset.projectRelativePath)
        }
    }

    // MARK: select

    /// The `select` node, given the features outputs (local selector); `nil` for explicit pairs or
    /// when a features output is still unknown.
    public func selectNode(features: [String: Digest]) -> NodeSpec? {
        guard let settings = selectorSettings else { return nil }
        var candidates: [Candidate] = []
        var inputs: [String: Digest] = [:]
        for id in settings.candidates {
            guard let asset = campaign.asset(id), let digest = assetDigests[id] else { return nil }
            if settings.kind == .local {
                guard let featureDigest = features[id] else { return nil }
                inputs["features/\(id)"] = featureDigest
                candidates.append(Candidate(asset: asset, digest: digest, features: featureDigest))
            } else {
                inputs["image/\(id)"] = digest
                candidates.append(Candidate(asset: asset, digest: digest, features: nil))
            }
        }
        var params: [String: CanonicalValue] = [
            "count": settings.count.map(CanonicalValue.int) ?? .null,
            "candidates": .array(settings.candidates.map(CanonicalValue.string)),
        ]
        let material: KeyMaterial
        switch settings.kind {
        case .local:
            params["brand_colors"] = .array(campaign.brand.colors.map { .string($0.lowercased()) })
            material = KeyMaterial(
                kind: .select, engineVersion: EngineVersion.selectLocal, provider: "local", model: "visual-similarity",
                params: params, inputs: inputs)
        case .openAICompatible:
            params["detail"] = .string(settings.detail)
            params["campaign"] = GraphBuilder.campaignContext(campaign.campaign)
            params["brand"] = GraphBuilder.brandContext(campaign.brand)
            params["tags"] = .object(Dictionary(uniqueKeysWithValues: candidates.map { ($0.asset.id, CanonicalValue.array($0.asset.tags.map(CanonicalValue.string))) }))
            params["request"] = .object(selectorRequest.parameters)
            material = KeyMaterial(
                kind: .select, engineVersion: EngineVersion.selectLLM, provider: "openai-compatible", model: settings.model,
                params: params, inputs: inputs)
        }
        let dependencies = settings.kind == .local ? settings.candidates.map(featuresID) : []
        let input = SelectInput(settings: settings, candidates: candidates, campaign: campaign.campaign, brand: campaign.brand)
        let label = settings.kind == .local ? "local selector over \(candidates.count) images" : "\(settings.model) over \(candidates.count) images"
        return NodeSpec(id: selectID, keyMaterial: material, dependencies: dependencies, action: .select(input), label: label)
    }

    static func campaignContext(_ campaign: Campaign) -> CanonicalValue {
        .object([
            "id": .string(campaign.id), "name": optional(campaign.name), "goal": optional(campaign.goal),
            "audience": optional(campaign.audience), "product_url": optional(campaign.productURL),
        ])
    }

    static func brandContext(_ brand: Brand) -> CanonicalValue {
        .object([
            "name": optional(brand.name), "voice": optional(brand.voice),
            "colors": .array(brand.colors.map(CanonicalValue.string)), "do": .array(brand.dos.map(CanonicalValue.string)),
            "avoid": .array(brand.avoid.map(CanonicalValue.string)),
        ])
    }

    static func optional(_ text: String?) -> CanonicalValue {
        text.map(CanonicalValue.string) ?? .null
    }

    /// The pairs written in the manifest, as a selection (no selector runs).
    public func explicitSelection() -> Selection? {
        guard case .explicit(let pairs) = campaign.pairs else { return nil }
        return Selection(pairs: pairs.map { pair in
            SelectedPair(first: pair.first, last: pair.last, score: 1, reasoning: "listed in the manifest", prompt: pair.prompt)
        })
    }

    // MARK: generate

    /// One `generate/<n>` node per selected pair, in the first lane (the campaign's own without variants).
    public func generateNodes(for selection: Selection) -> [NodeSpec] {
        generateNodes(for: selection, lane: lanes[0])
    }

    /// One `generate/<n>[@variant]` node per selected pair, in `lane`.
    public func generateNodes(for selection: Selection, lane: ResolvedVariant) -> [NodeSpec] {
        // The local animatic's parameters are the same for every pair: one dictionary, shared by
        // every node's key material (copy-on-write), not one per pair.
        let shared = lane.generator.kind == .local ? localParameters(lane.generator) : [:]
        var specs: [NodeSpec] = []
        specs.reserveCapacity(selection.pairs.count)
        for (index, pair) in selection.pairs.enumerated() {
            if let spec = generateNode(index: index, pair: pair, lane: lane, localParams: shared) { specs.append(spec) }
        }
        return specs
    }

    /// The key parameters of a local animatic clip with `settings`.
    private func localParameters(_ settings: GeneratorSettings) -> [String: CanonicalValue] {
        [
            "duration": .decimal(settings.duration), "width": .int(settings.clipResolution.width),
            "height": .int(settings.clipResolution.height), "fps": .int(settings.fps), "fit": .string(settings.fit.rawValue),
            "seed": .int(settings.seed ?? 0), "crf": .int(settings.crf), "encoder_preset": .string(settings.encoderPreset),
            "tool": .string(toolVersion),
        ]
    }

    /// Each lane's clips, and the distinct nodes among them. Clips of two variants whose keys
    /// coincide are one node (the first lane's id), built and paid for once; a campaign without
    /// variants has one lane and exactly its own nodes.
    /// A shared clip's id is the same whichever variants a build picks (`--variant`): sharing is
    /// worked out over all of them, then narrowed to the lanes built.
    public func clipNodes(for selection: Selection) -> (lanes: [[NodeSpec]], distinct: [NodeSpec]) {
        let all = campaign.lanes
        guard all.count > 1 else {
            let specs = generateNodes(for: selection, lane: all[0])
            return ([specs], specs)
        }
        let built = Set(lanes.map(\.name))
        var perLane: [[NodeSpec]] = []
        var distinct: [NodeSpec] = []
        var used: Set<NodeID> = []
        var byKey: [Digest: NodeSpec] = [:]
        for lane in all {
            let specs = generateNodes(for: selection, lane: lane).map { spec in
                if let shared = byKey[spec.key] { return shared }
                byKey[spec.key] = spec
                return spec
            }
            guard built.contains(lane.name) else { continue }
            perLane.append(specs)
            for spec in specs where used.insert(spec.id).inserted { distinct.append(spec) }
        }
        return (perLane, distinct)
    }

    func generateNode(index: Int, pair: SelectedPair, lane: ResolvedVariant, localParams: [String: CanonicalValue]? = nil) -> NodeSpec? {
        guard let first = campaign.asset(pair.first), let last = campaign.asset(pair.last),
            let firstDigest = assetDigests[pair.first], let lastDigest = assetDigests[pair.last]
        else { return nil }
        let settings = lane.generator
        let prompt = promptFor(pair, lane: lane)
        let inputs = ["first": firstDigest, "last": lastDigest]
        var material: KeyMaterial
        var modelInput: [String: CanonicalValue] = [:]
        switch settings.kind {
        case .local:
            material = KeyMaterial(
                kind: .generate, engineVersion: EngineVersion.animatic, provider: "local", model: "animatic",
                params: localParams ?? localParameters(settings), inputs: inputs)
        case .replicate:
            // The provider and engine version come from the registry (`replicate`, `replicate/1`).
            let request = GenerationRequest.canonical(prompt: prompt, settings: settings)
            modelInput = request?.input ?? [:]
            material = KeyMaterial(
                kind: .generate, engineVersion: request?.engineVersion ?? EngineVersion.replicate,
                provider: request?.provider ?? settings.kind.rawValue, model: settings.model ?? "",
                params: ["input": .object(modelInput)], inputs: inputs)
        }
        let take = take(variant: lane.name, pair: pair)
        if take > 1 { material.params["take"] = .int(take) }
        let input = GenerateInput(
            index: index, pair: pair, first: first, last: last, firstDigest: firstDigest, lastDigest: lastDigest, prompt: prompt,
            settings: settings, modelInput: modelInput)
        let dependencies: [NodeID] = selectorSettings == nil ? [] : [selectID]
        return NodeSpec(
            id: generateID(index, variant: lane.name), keyMaterial: material, dependencies: dependencies, action: .generate(input),
            label: "\(pair.first) -> \(pair.last)")
    }

    /// The prompt for a pair: the pair's own (manifest) prompt, else `generate.prompt` when the
    /// manifest sets it, else the selector's motion prompt, else the default.
    public func promptFor(_ pair: SelectedPair) -> String {
        promptFor(pair, lane: campaign.lanes[0])
    }

    /// The prompt for a pair in `lane` (whose `generate.prompt` may be the variant's own).
    public func promptFor(_ pair: SelectedPair, lane: ResolvedVariant) -> String {
        if case .explicit = campaign.pairs, let prompt = pair.prompt { return prompt }
        if lane.promptSet { return lane.generator.prompt }
        return pair.prompt ?? lane.generator.prompt
    }

    // MARK: combine

    /// The `combine` node over the clips, in order, of the first lane.
    public func combineNode(clips: [Digest], generateIDs: [NodeID]) -> NodeSpec {
        combineNode(clips: clips, generateIDs: generateIDs, lane: lanes[0])
    }

    /// The `combine[@variant]` node of `lane` over its clips, in order.
    public func combineNode(clips: [Digest], generateIDs: [NodeID], lane: ResolvedVariant) -> NodeSpec {
        let output = lane.output
        var inputs: [String: Digest] = [:]
        inputs.reserveCapacity(clips.count)
        for (index, clip) in clips.enumerated() { inputs["clip/" + NumberText.zeroPadded(index, width: 4)] = clip }
        let material = KeyMaterial(
            kind: .combine, engineVersion: EngineVersion.combine, provider: "local", model: "ffmpeg",
            params: [
                "width": .int(output.resolution.width), "height": .int(output.resolution.height), "fps": .int(output.fps),
                "fit": .string(output.fit.rawValue), "transition": .string(output.transition.isNone ? "none" : output.transition.type),
                "transition_duration": .decimal(output.transition.isNone ? 0 : output.transition.duration),
                "audio": .string(output.audio.rawValue), "crf": .int(output.crf), "encoder_preset": .string(output.encoderPreset),
                "clips": .int(clips.count), "tool": .string(toolVersion),
            ], inputs: inputs)
        return NodeSpec(
            id: combineID(variant: lane.name), keyMaterial: material, dependencies: generateIDs, action: .combine(CombineInput(clips: clips, output: output)),
            label: output.path.relative(to: campaign.projectRoot))
    }
}

import Foundation

/// Where a chosen take belongs: a variant's (`""` without variants) clip of one pair.
public struct TakeSlot: Hashable, Sendable, Comparable {
    public var variant: String
    public var first: String
    public var last: String

    public init(variant: String = "", first: String, last: String) {
        self.variant = variant
        self.first = first
        self.last = last
    }

    public static func < (lhs: TakeSlot, rhs: TakeSlot) -> Bool {
        (lhs.variant, lhs.first, lhs.last) < (rhs.variant, rhs.first, rhs.last)
    }
}

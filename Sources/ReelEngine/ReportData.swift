import Foundation
import ReelBasics
import ReelGraph
import ReelManifest
import ReelMedia

/// Everything the HTML storyboard shows, gathered from a build (or a plan of a built campaign).
public struct ReportData: Sendable, Equatable {
    /// One clip of the storyboard.
    public struct Pair: Sendable, Equatable {
        public var index: Int
        public var nodeID: String
        public var first: ResolvedAsset
        public var last: ResolvedAsset
        public var score: Double
        public var reasoning: String
        public var prompt: String
        /// The materialised clip, when it exists.
        public var clip: AbsolutePath?
        public var provider: String
        public var model: String
        public var costUSD: Double
        /// `cached`, `built`, `failed`, `skipped` or `stale`.
        public var state: String
        public var seconds: Double
        public var predictionID: String?
        public var message: String?
        public var media: MediaInfo?
    }

    public var campaign: Campaign
    public var brand: Brand
    public var quality: String
    public var video: AbsolutePath?
    public var videoMedia: MediaInfo?
    public var pairs: [Pair]
    public var selector: String
    /// Cost of everything shown (cached nodes carry what they cost when built).
    public var totalCostUSD: Double
    public var builtCount: Int
    public var cachedCount: Int
    public var failedCount: Int
    public var generatedAt: String
    /// Where the report goes: `<output stem>.report/`.
    public var directory: AbsolutePath
    /// Whether the pairs were written in the manifest (they have no score or reasoning of a selector).
    public var explicitPairs: Bool = false
    /// Whether clips come from the local animatic (which takes no motion prompt).
    public var localGenerator: Bool = false
    /// Wall time of the build that wrote the page, when a build wrote it.
    public var buildSeconds: Double? = nil
    /// What the build changed: one line per node it ran, with why (`generate/1: inputs changed: prompt`).
    public var changes: [String] = []
    /// With `variants:`, each variant's column (its clips, video and total), in manifest order.
    public var variants: [VariantColumn] = []
    /// Clips with more than one take in the cache, each take shown (see `clipTakes`).
    public var takes: [ClipTakes] = []

    /// The page's content without what differs between two builds of the same thing (times,
    /// counts, built-or-cached): when this is unchanged and the files are there, the page is current.
    public var stableView: ReportData {
        var view = self
        view.generatedAt = ""
        view.builtCount = 0
        view.cachedCount = 0
        view.buildSeconds = nil
        view.changes = []
        for index in view.pairs.indices {
            if view.pairs[index].state == "built" { view.pairs[index].state = "cached" }
            view.pairs[index].seconds = 0
        }
        for column in view.variants.indices {
            view.variants[column].seconds = 0
            for cell in view.variants[column].cells.indices {
                if view.variants[column].cells[cell].state == "built" { view.variants[column].cells[cell].state = "cached" }
                view.variants[column].cells[cell].seconds = 0
            }
        }
        return view
    }

    /// A node as the report needs it.
    public struct NodeView: Sendable {
        public var id: NodeID
        public var state: String
        public var seconds: Double
        public var message: String?
        public var metadata: [String: CanonicalValue]

        public init(id: NodeID, state: String, seconds: Double, message: String?, metadata: [String: CanonicalValue]) {
            self.id = id
            self.state = state
            self.seconds = seconds
            self.message = message
            self.metadata = metadata
        }
    }

    /// From a build's outcome; `seconds` is the build's wall time.
    public static func make(_ result: BuildResult, workspace: Workspace, now: Date, seconds: Double? = nil) -> ReportData {
        let nodes = result.nodes.map { outcome in
            NodeView(id: outcome.id, state: outcome.state.rawValue, seconds: outcome.seconds, message: outcome.message, metadata: outcome.result?.metadata ?? [:])
        }
        var data = make(selection: result.selection, nodes: nodes, video: result.video, clips: result.clips, workspace: workspace, now: now)
        let videos = Dictionary(result.variants.compactMap { variant in variant.video.map { (variant.name, $0) } }, uniquingKeysWith: { first, _ in first })
        data.variants = variantColumns(selection: result.selection, nodes: nodes, workspace: workspace, videos: videos)
        data.buildSeconds = seconds
        data.changes = result.nodes.filter { $0.state == .built && $0.kind != .features }.map { "\($0.id): \($0.reason)" }
        return data
    }

    /// From a plan (for `reel report` without building): cached nodes show their recorded metadata.
    public static func make(_ plan: Plan, workspace: Workspace, now: Date) -> ReportData {
        let nodes = plan.nodes.map { node in
            NodeView(id: node.id, state: node.state.rawValue, seconds: 0, message: nil, metadata: node.cached?.metadata ?? [:])
        }
        // The first lane's video and clips (the campaign's own without variants); with variants,
        // each variant's video is in its column.
        var videos: [String: AbsolutePath] = [:]
        for lane in workspace.builder.lanes {
            let combine = plan.node(workspace.builder.combineID(variant: lane.name))
            if workspace.environment.fileSystem.exists(lane.output.path), combine?.state == .cached { videos[lane.name] = lane.output.path }
        }
        let output = workspace.builder.lanes[0].output
        let clips = (try? workspace.environment.fileSystem.list(output.clipsDirectory))?.filter { $0.hasSuffix(".mp4") }.sorted()
            .map { output.clipsDirectory.appending($0) } ?? []
        var data = make(
            selection: plan.selection, nodes: nodes, video: videos[workspace.builder.lanes[0].name], clips: clips, workspace: workspace, now: now)
        data.variants = variantColumns(selection: plan.selection, nodes: nodes, workspace: workspace, videos: videos)
        return data
    }

    static func make(
        selection: Selection?, nodes: [NodeView], video: AbsolutePath?, clips: [AbsolutePath], workspace: Workspace, now: Date
    ) -> ReportData {
        let campaign = workspace.campaign
        let builder = workspace.builder
        let byID = Dictionary(nodes.map { ($0.id.local, $0) }, uniquingKeysWith: { first, _ in first })
        // Clip by clip: the first variant's (the campaign's own without variants).
        let lane = builder.lanes[0]
        // Clips are named `NN-first-last.mp4`: index them by their number once.
        var clipByNumber: [Int: AbsolutePath] = [:]
        for clip in clips {
            if let number = Int(clip.basename.prefix { $0 != "-" }), clipByNumber[number] == nil { clipByNumber[number] = clip }
        }
        var pairs: [Pair] = []
        for (index, pair) in (selection?.pairs ?? []).enumerated() {
            guard let first = campaign.asset(pair.first), let last = campaign.asset(pair.last) else { continue }
            let id = NodeID.generate(index, variant: lane.name)
            let node = byID[id]
            let metadata = node?.metadata ?? [:]
            pairs.append(Pair(
                index: index, nodeID: id.rawValue, first: first, last: last, score: pair.score, reasoning: pair.reasoning,
                prompt: builder.promptFor(pair, lane: lane), clip: clipByNumber[index + 1],
                provider: metadata["provider"]?.stringValue ?? (lane.generator.kind == .local ? "local" : "replicate"),
                model: metadata["model"]?.stringValue ?? lane.generator.model ?? "animatic",
                costUSD: metadata["cost_usd"]?.doubleValue ?? 0, state: node?.state ?? "stale", seconds: node?.seconds ?? 0,
                predictionID: metadata["prediction_id"]?.stringValue, message: node?.message, media: MediaInfo(canonical: metadata["media"])))
        }
        let selectorName: String
        switch campaign.pairs {
        case .explicit: selectorName = "explicit pairs in the manifest"
        case .selector(let settings): selectorName = settings.kind == .local ? "local visual-similarity selector" : "\(settings.model) (\(settings.baseURL))"
        }
        let total = nodes.reduce(0) { $0 + ($1.metadata["cost_usd"]?.doubleValue ?? 0) }
        var data = ReportData(
            campaign: campaign.campaign, brand: campaign.brand, quality: campaign.quality.rawValue, video: video,
            videoMedia: MediaInfo(canonical: byID[NodeID.combine(campaign: "", variant: lane.name)]?.metadata["media"]), pairs: pairs, selector: selectorName, totalCostUSD: total,
            builtCount: nodes.filter { $0.state == "built" }.count, cachedCount: nodes.filter { $0.state == "cached" }.count,
            failedCount: nodes.filter { $0.state == "failed" }.count, generatedAt: iso8601(now),
            directory: directory(for: campaign))
        if case .explicit = campaign.pairs { data.explicitPairs = true }
        data.localGenerator = lane.generator.kind == .local
        return data
    }

    /// Where the storyboard of `campaign` goes: `<output stem>.report/` beside the video.
    public static func directory(for campaign: ResolvedCampaign) -> AbsolutePath {
        let output = campaign.output.path
        return output.parent.appending(output.stem + ".report")
    }
}

import Foundation
import ReelBasics
import ReelCache
import ReelGraph
import ReelManifest

/// The storyboard's comparisons (issue 14): every take of a clip side by side, and the variants
/// side by side (one row per pair, one column per variant).
extension ReportData {
    /// One take of a clip that is in the cache.
    public struct Take: Sendable, Equatable {
        public var number: Int
        /// The clip's blob in the cache (placed in the report folder by the writer).
        public var source: AbsolutePath
        public var chosen: Bool
        public var costUSD: Double
        public var model: String
    }

    /// The takes of one clip (only clips with more than one take in the cache are listed).
    public struct ClipTakes: Sendable, Equatable {
        /// `generate/3` or `generate/3@fast` (the variant's own id).
        public var nodeID: String
        public var variant: String
        public var index: Int
        public var first: String
        public var last: String
        public var takes: [Take]
    }

    /// One clip of a variant's column.
    public struct VariantCell: Sendable, Equatable {
        public var index: Int
        /// The node that makes it: another variant's when the two share the clip.
        public var nodeID: String
        public var model: String
        public var costUSD: Double
        public var seconds: Double
        public var state: String
        /// The take used (1 unless re-rolled).
        public var take: Int
        /// The variant whose node this is, when it is not this variant's own (a shared clip).
        public var sharedWith: String?
    }

    /// One variant: its clips, its video and what it cost.
    public struct VariantColumn: Sendable, Equatable {
        public var name: String
        public var model: String
        public var transition: String
        public var video: AbsolutePath?
        public var cells: [VariantCell]
        /// Its clips and video, a shared clip counted in each variant that uses it.
        public var totalUSD: Double
        public var seconds: Double
    }

    /// The variants of `workspace`'s campaign as the storyboard compares them, from node views
    /// (what a build or a plan says about each node). Empty without `variants:`.
    static func variantColumns(selection: Selection?, nodes: [NodeView], workspace: Workspace, videos: [String: AbsolutePath]) -> [VariantColumn] {
        let campaign = workspace.campaign
        guard !campaign.variants.isEmpty, let selection else { return [] }
        let builder = workspace.builder
        let byID = Dictionary(nodes.map { ($0.id.local, $0) }, uniquingKeysWith: { first, _ in first })
        let clips = builder.clipNodes(for: selection)
        return zip(builder.lanes, clips.lanes).map { lane, specs in
            var cells: [VariantCell] = []
            for (index, spec) in specs.enumerated() {
                let node = byID[spec.id.local]
                let metadata = node?.metadata ?? [:]
                let owner = spec.id.variant
                let pair = selection.pairs[index]
                cells.append(VariantCell(
                    index: index, nodeID: spec.id.rawValue,
                    model: metadata["model"]?.stringValue ?? lane.generator.model ?? "local animatic",
                    costUSD: metadata["cost_usd"]?.doubleValue ?? 0, seconds: node?.seconds ?? 0, state: node?.state ?? "stale",
                    take: builder.take(variant: lane.name, pair: pair), sharedWith: owner == lane.name ? nil : owner))
            }
            let combine = byID[builder.combineID(variant: lane.name).local]
            let transition = lane.output.transition.isNone ? "cut" : "\(lane.output.transition.type) \(HTMLText.seconds(lane.output.transition.duration))"
            return VariantColumn(
                name: lane.name, model: lane.generator.model ?? "local animatic", transition: transition, video: videos[lane.name], cells: cells,
                totalUSD: cells.reduce(0) { $0 + $1.costUSD } + (combine?.metadata["cost_usd"]?.doubleValue ?? 0),
                seconds: cells.reduce(0) { $0 + $1.seconds } + (combine?.seconds ?? 0))
        }
    }

    /// Every clip with more than one take in the cache: each take's clip, cost and whether it is
    /// the chosen one. Asks the cache for take 1, 2, … up to the chosen take and on while they are
    /// there; takes other than the chosen one only in this machine's cache (a remote request per
    /// clip would make a 10,000-clip storyboard 10,000 round trips).
    public static func clipTakes(selection: Selection?, workspace: Workspace, limit: Int = 50) async -> [ClipTakes] {
        guard let selection else { return [] }
        var groups: [ClipTakes] = []
        let base = workspace.builder  // once: making a builder reads the lockfile's takes
        for lane in base.lanes {
            for (index, pair) in selection.pairs.enumerated() {
                var builder = base
                let slot = TakeSlot(variant: lane.name, first: pair.first, last: pair.last)
                let chosen = builder.take(variant: lane.name, pair: pair)
                var takes: [Take] = []
                var number = 1
                while number <= limit {
                    builder.takes[slot] = number
                    guard let spec = builder.generateNodes(for: Selection(pairs: [pair]), lane: lane).first else { break }
                    let found = number == chosen ? await workspace.store.lookup(spec.key) : await workspace.store.lookupLocally(spec.key)
                    if case .hit(let result) = found, let clip = result.outputs[NodeKind.generate.outputName] {
                        takes.append(Take(
                            number: number, source: workspace.store.layout.blobPath(clip), chosen: number == chosen,
                            costUSD: result.metadata["cost_usd"]?.doubleValue ?? 0,
                            model: result.metadata["model"]?.stringValue ?? lane.generator.model ?? "local animatic"))
                    } else if number > chosen {
                        break
                    }
                    number += 1
                }
                guard takes.count > 1 else { continue }
                groups.append(ClipTakes(
                    nodeID: base.generateID(index, variant: lane.name).rawValue, variant: lane.name, index: index, first: pair.first,
                    last: pair.last, takes: takes))
            }
        }
        return groups
    }

    /// The same data with every take of each re-rolled clip (they are looked up in the cache).
    public func withTakes(selection: Selection?, workspace: Workspace) async -> ReportData {
        var data = self
        data.takes = await ReportData.clipTakes(selection: selection, workspace: workspace)
        return data
    }
}

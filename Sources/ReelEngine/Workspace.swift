import Foundation
import ReelBasics
import ReelCache
import ReelGraph
import ReelManifest
import ReelMedia

/// A manifest opened for planning or building: the resolved campaign, its cache, the digests of
/// its assets, the ffmpeg identity and the previous build's lockfile.
public struct Workspace: Sendable {
    public let campaign: ResolvedCampaign
    public let environment: BuildEnvironment
    public let store: CacheStore
    public let assetDigests: [String: Digest]
    /// How many assets were hashed now (the rest came from the stat cache).
    public let hashedAssets: Int
    public let toolVersion: String
    public let lockfile: Lockfile?
    public let registry: ModelRegistry

    /// A workspace from parts already at hand (tests, and callers that hashed assets themselves).
    public init(
        campaign: ResolvedCampaign, environment: BuildEnvironment, store: CacheStore, assetDigests: [String: Digest], hashedAssets: Int = 0,
        toolVersion: String, lockfile: Lockfile? = nil, registry: ModelRegistry = .builtIn
    ) {
        self.campaign = campaign
        self.environment = environment
        self.store = store
        self.assetDigests = assetDigests
        self.hashedAssets = hashedAssets
        self.toolVersion = toolVersion
        self.lockfile = lockfile
        self.registry = registry
    }

    /// Opens `campaign` with its cache at `cacheRoot` (the project default when `nil`).
    /// - Throws: when the cache cannot be created, an asset cannot be read or ffmpeg is missing.
    public static func open(
        _ campaign: ResolvedCampaign, cacheRoot: AbsolutePath?, environment: BuildEnvironment, registry: ModelRegistry? = nil
    ) async throws -> Workspace {
        let root = cacheRoot ?? CacheStore.defaultRoot(projectRoot: campaign.projectRoot)
        let store = try CacheStore(root: root, fileSystem: environment.fileSystem)
        let (digests, hashed) = try AssetHasher(statCache: store.statCache).digests(of: campaign.assets)
        let toolVersion = try await ToolIdentity(
            runner: environment.runner, fileSystem: environment.fileSystem, memoPath: store.layout.versionRoot.appending("tools.tsv")
        ).ffmpegVersion()
        var lockfile: Lockfile?
        if let text = try? environment.fileSystem.readText(campaign.lockfilePath) {
            lockfile = try? Lockfile(yaml: text)
        }
        return Workspace(
            campaign: campaign, environment: environment, store: store, assetDigests: digests, hashedAssets: hashed,
            toolVersion: toolVersion, lockfile: lockfile, registry: registry ?? campaign.registry)
    }

    /// The graph builder for this workspace.
    public var builder: GraphBuilder {
        GraphBuilder(campaign: campaign, assetDigests: assetDigests, toolVersion: toolVersion)
    }

    /// What the lockfile says about the previous build.
    public var previous: PreviousBuild {
        guard let lockfile, lockfile.campaign == campaign.campaign.id else { return .none }
        var nodes: [NodeID: PreviousBuild.Node] = [:]
        for node in lockfile.nodes {
            nodes[NodeID(node.id)] = PreviousBuild.Node(key: node.key, keyMaterial: node.keyMaterial)
        }
        return PreviousBuild(nodes: nodes, pairCount: lockfile.pairs.count)
    }

    /// A planner over this workspace's cache.
    public func planner(forced: Set<NodeID> = [], forceAll: Bool = false) -> Planner {
        Planner(builder: builder, cache: store, previous: previous, forced: forced, forceAll: forceAll, estimator: CostEstimator(registry: registry))
    }

    /// The plan: what a build would do now.
    public func plan(forced: Set<NodeID> = [], forceAll: Bool = false) -> Plan {
        planner(forced: forced, forceAll: forceAll).plan()
    }
}

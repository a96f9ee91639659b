import Foundation
import ReelBasics
import ReelCache
import ReelGraph
import ReelManifest
import ReelMedia
import Synchronization

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
    /// The lockfile's text as read when the workspace opened (`nil` when there is none).
    public let lockfileText: String?
    private let parsed: LockfileCache
    public let registry: ModelRegistry
    /// Takes chosen for this run over the lockfile's (`reel reroll`, `reel pick`), by variant and pair.
    public var takeOverrides: [TakeSlot: Int] = [:]
    /// The variants this run builds (`reel build --variant`); `nil`: all.
    public var onlyVariants: Set<String>?
    /// The images decoded when the workspace was opened (those not yet known good) and how long
    /// that took; `nil` when none was.
    public var imagesChecked: (images: Int, seconds: Double)?

    /// The take of each clip this workspace builds, by variant and pair: the lockfile's choice
    /// (absent = 1), then this run's overrides.
    public var takes: [TakeSlot: Int] {
        parsed.takes(campaign: campaign.campaign.id).merging(takeOverrides) { _, override in override }
    }

    /// Why the takes this workspace builds cannot be known: the lockfile mentions takes but does not
    /// parse (a merge conflict). Building would silently fall back to take 1, so the build stops.
    public var takesProblem: String? {
        guard let text = lockfileText, Workspace.mentionsTakes(text), let problem = lockfileProblem else { return nil }
        return "the lockfile \(campaign.lockfilePath.basename) chooses takes but cannot be read (\(problem)); resolve the merge "
            + "conflict or fix it first, so the clips you picked are the ones built"
    }

    /// The previous build's lockfile, parsed on first use (a no-op build never needs it).
    public var lockfile: Lockfile? { parsed.lockfile }

    /// Whether a lockfile's text records a chosen take (`take:`): a byte scan, since Foundation's
    /// `contains` on a large lockfile showed up in the no-op's profile.
    static func mentionsTakes(_ text: String) -> Bool {
        let needle = Array("take:".utf8)
        var text = text
        return text.withUTF8 { bytes in
            guard bytes.count >= needle.count else { return false }
            var index = 0
            let last = bytes.count - needle.count
            while index <= last {
                if bytes[index] == needle[0], bytes[index + 1] == needle[1], bytes[index + 2] == needle[2], bytes[index + 3] == needle[3],
                    bytes[index + 4] == needle[4]
                {
                    return true
                }
                index += 1
            }
            return false
        }
    }

    /// Why the lockfile on disk cannot be used (a merge conflict, a damaged file), if it exists and
    /// does not parse: never the same as "no lockfile".
    public var lockfileProblem: String? { parsed.problem }

    /// Whether there is a previous lockfile (readable or not).
    public var hasLockfile: Bool { parsed.exists }

    /// The lockfile's text; `nil` only when there is none.
    /// - Throws: `LockfileUnreadable` when it exists but cannot be read.
    static func readLockfile(_ path: AbsolutePath, fileSystem: any FileSystem) throws -> String? {
        guard fileSystem.info(path) != nil else { return nil }
        do {
            return try fileSystem.readText(path)
        } catch {
            throw LockfileUnreadable(path: path.pathString, reason: "\(error)")
        }
    }

    /// A workspace from parts already at hand (tests, and callers that hashed assets themselves).
    /// - Parameters:
    ///   - lockfile: the previous build's lockfile, already parsed; or
    ///   - lockfileText: its text, parsed only if a node turns out stale.
    public init(
        campaign: ResolvedCampaign, environment: BuildEnvironment, store: CacheStore, assetDigests: [String: Digest], hashedAssets: Int = 0,
        toolVersion: String, lockfile: Lockfile? = nil, lockfileText: String? = nil, registry: ModelRegistry = .builtIn
    ) {
        self.campaign = campaign
        self.environment = environment
        self.store = store
        self.assetDigests = assetDigests
        self.hashedAssets = hashedAssets
        self.toolVersion = toolVersion
        self.lockfileText = lockfileText
        self.parsed = lockfile.map { LockfileCache(parsed: $0) } ?? LockfileCache(text: lockfileText)
        self.registry = registry
    }

    /// Opens `campaign` with its cache at `cacheRoot` (the project default when `nil`).
    /// - Throws: when the cache cannot be created, an asset cannot be read or ffmpeg is missing;
    ///   `AssetProblems` when an image does not decode completely.
    /// - Parameter remote: the shared remote cache, as the local cache's second tier.
    public static func open(
        _ campaign: ResolvedCampaign, cacheRoot: AbsolutePath?, environment: BuildEnvironment, registry: ModelRegistry? = nil,
        remote: RemoteTier? = nil
    ) async throws -> Workspace {
        let root = cacheRoot ?? CacheStore.defaultRoot(projectRoot: campaign.projectRoot)
        let store = try CacheStore(root: root, fileSystem: environment.fileSystem, remote: remote)
        let (digests, hashed) = try AssetHasher(statCache: store.statCache).digests(of: campaign.assets)
        let checking = ContinuousClock.now
        let decoded = try await AssetImageCheck(runner: environment.runner, fileSystem: environment.fileSystem, memo: store.imageChecks)
            .verify(campaign.assets, digests: digests)
        let checkSeconds = (ContinuousClock.now - checking).inSeconds
        let toolVersion = try await ToolIdentity(
            runner: environment.runner, fileSystem: environment.fileSystem, memoPath: store.layout.versionRoot.appending("tools.tsv")
        ).ffmpegVersion()
        var workspace = Workspace(
            campaign: campaign, environment: environment, store: store, assetDigests: digests, hashedAssets: hashed,
            toolVersion: toolVersion, lockfileText: try Workspace.readLockfile(campaign.lockfilePath, fileSystem: environment.fileSystem),
            registry: registry ?? campaign.registry)
        if decoded > 0 { workspace.imagesChecked = (decoded, checkSeconds) }
        return workspace
    }

    /// The graph builder for this workspace.
    public var builder: GraphBuilder {
        // The LLM request's shape is rendered (prompt, schema, JSON) only for a campaign that asks
        // an LLM: no other key reads it, and rendering it was 1% of every no-op.
        let usesLLM = campaign.pairs.selector?.kind == .openAICompatible
        var builder = GraphBuilder(
            campaign: campaign, assetDigests: assetDigests, toolVersion: toolVersion,
            selectorRequest: usesLLM ? LLMSelectExecutor.requestShape : SelectorRequestShape(parameters: [:]))
        builder.takes = takes
        builder.onlyVariants = onlyVariants
        return builder
    }

    /// What the lockfile says about the previous build.
    public var previous: PreviousBuild { parsed.previous(campaign: campaign.campaign.id) }

    /// A planner over this workspace's cache; it reads the lockfile only if a node is stale.
    public func planner(forced: Set<NodeID> = [], forceAll: Bool = false) -> Planner {
        let parsed = self.parsed
        let id = campaign.campaign.id
        return Planner(
            builder: builder, cache: store, previous: { parsed.previous(campaign: id) }, forced: forced, forceAll: forceAll,
            estimator: CostEstimator(registry: registry))
    }

    /// The plan: what a build would do now.
    public func plan(forced: Set<NodeID> = [], forceAll: Bool = false) async -> Plan {
        await planner(forced: forced, forceAll: forceAll).plan()
    }
}

/// The previous build's lockfile, read only as far as asked: a no-op build never looks at it; a
/// build with stale nodes decodes those nodes' entries (`LockfileIndex`); the whole file is parsed
/// only when its layout is not the one Reel writes, or when a caller needs all of it (takes).
final class LockfileCache: Sendable {
    private struct State {
        var lockfile: Lockfile??
        var index: LockfileIndex?
        var previous: PreviousBuild?
        var problem: String?
        var entries: [String: PreviousBuild.Node?] = [:]
        var takes: (campaign: String, takes: [TakeSlot: Int])?
    }

    private let text: String?
    private let state: Mutex<State>

    init(text: String?) {
        self.text = text
        state = Mutex(State())
    }

    init(parsed: Lockfile?) {
        self.text = nil
        state = Mutex(State(lockfile: .some(parsed)))
    }

    /// Whether there is a lockfile at all (readable or not).
    var exists: Bool {
        text != nil || state.withLock { $0.lockfile.map { $0 != nil } ?? false }
    }

    /// The whole lockfile, parsed on first use.
    var lockfile: Lockfile? {
        parse().lockfile
    }

    /// Why a lockfile that exists cannot be used, if it cannot: its whole parse error when its
    /// layout is not Reel's, or the error of an entry that did not decode.
    var problem: String? {
        guard let index = index() else { return parse().problem }
        if index.plain { return state.withLock { $0.problem } }
        return parse().problem
    }

    private func index() -> LockfileIndex? {
        guard let text else { return nil }
        return state.withLock { state in
            if let known = state.index { return known }
            let index = LockfileIndex(text: text)
            state.index = index
            return index
        }
    }

    private func parse() -> (lockfile: Lockfile?, problem: String?) {
        state.withLock { state in
            if let known = state.lockfile { return (known, state.problem) }
            var parsed: Lockfile?
            if let text {
                do {
                    parsed = try Lockfile(yaml: text)
                } catch {
                    state.problem = "\(error)"
                }
            }
            state.lockfile = .some(parsed)
            return (parsed, state.problem)
        }
    }

    /// The takes the lockfile chose, by variant and pair (absent = 1): its `takes:` list, or, in
    /// a lockfile written before takes were kept by pair, `take` in a generate node's settings,
    /// whose pair is the lockfile's pair at that index. A lockfile whose text never says `take:`
    /// has none, so a no-op build still does not parse it.
    func takes(campaign: String) -> [TakeSlot: Int] {
        if let known = state.withLock({ $0.takes }), known.campaign == campaign { return known.takes }
        let found = readTakes(campaign: campaign)
        state.withLock { $0.takes = (campaign, found) }
        return found
    }

    /// `takes(campaign:)` worked out (once per workspace: every graph builder asks, and the storyboard
    /// makes one per clip; a scan of a 4 MB lockfile each time was most of a 10,000-pair rebuild).
    private func readTakes(campaign: String) -> [TakeSlot: Int] {
        if let text, !Workspace.mentionsTakes(text) { return [:] }
        guard let lockfile, lockfile.campaign == campaign else { return [:] }
        var takes: [TakeSlot: Int] = [:]
        if let listed = lockfile.takes {
            for take in listed { takes[TakeSlot(variant: take.variant ?? "", first: take.first, last: take.last)] = take.take }
            return takes
        }
        for node in lockfile.nodes where node.kind == "generate" {
            let id = NodeID(node.id)
            guard case .object(let settings) = node.settings, case .int(let take)? = settings["take"], id.kind == .generate,
                let index = id.suffix.flatMap({ Int($0) }), lockfile.pairs.indices.contains(index)
            else { continue }
            let pair = lockfile.pairs[index]
            takes[TakeSlot(variant: id.variant, first: pair.first, last: pair.last)] = take
        }
        return takes
    }

    func previous(campaign: String) -> PreviousBuild {
        if let known = state.withLock({ $0.previous }) { return known }
        let computed: PreviousBuild
        if let index = index(), index.plain {
            computed = index.campaign == campaign
                ? PreviousBuild(pairCount: index.pairCount) { [self] id in self.entry(id.rawValue, in: index) } : .none
        } else if let lockfile, lockfile.campaign == campaign {
            var nodes: [NodeID: PreviousBuild.Node] = [:]
            for node in lockfile.nodes {
                nodes[NodeID(node.id, campaign: campaign)] = PreviousBuild.Node(key: node.key, keyMaterial: node.keyMaterial)
            }
            computed = PreviousBuild(nodes: nodes, pairCount: lockfile.pairs.count)
        } else {
            computed = .none
        }
        state.withLock { $0.previous = computed }
        return computed
    }

    /// One node's entry, decoded once. An entry that does not decode is remembered as the
    /// lockfile's problem (so it is never overwritten unseen) and reads as no previous node.
    private func entry(_ id: String, in index: LockfileIndex) -> PreviousBuild.Node? {
        if let known = state.withLock({ $0.entries[id] }) { return known }
        var found: PreviousBuild.Node?
        do {
            found = try index.node(id).map { PreviousBuild.Node(key: $0.key, keyMaterial: $0.keyMaterial) }
        } catch {
            state.withLock { $0.problem = $0.problem ?? "the entry of \(id) does not decode: \(error)" }
        }
        state.withLock { $0.entries[id] = .some(found) }
        return found
    }
}

/// The lockfile exists but cannot be read or parsed: it is never taken as "no lockfile", and never
/// overwritten silently.
public struct LockfileUnreadable: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String {
        "the lockfile \(path) cannot be read (\(reason)); resolve the merge conflict or fix the file "
            + "(or delete it to write a new one with the next build)"
    }
}

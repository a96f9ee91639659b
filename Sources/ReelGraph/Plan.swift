import ReelBasics

/// Whether a node's result can be taken from the cache.
public enum NodeState: String, Sendable, Equatable, Codable {
    case cached
    case stale
}

/// Why a node must run (after llbuild's `RunReason`).
public enum RunReason: Sendable, Equatable, CustomStringConvertible {
    /// Its result is in the cache and verified.
    case cached
    /// Never built: no lockfile entry and nothing in the cache.
    case neverBuilt
    /// Its key differs from the lockfile's: the listed inputs changed.
    case keyChanged([String])
    /// The lockfile has this key but the cache has no result (wiped, or another machine).
    case notInCache
    /// The cache has a record but its output blob is gone.
    case outputMissing
    /// The output blob no longer matches its digest.
    case outputCorrupt
    /// Its inputs are unknown until an upstream node runs.
    case waitingFor(NodeID)
    /// The user asked for it.
    case forced
    /// The cache could not be read, so whether the result exists is unknown (a paid node fails
    /// closed on this rather than paying again).
    case cacheUnavailable(String)
    /// The remote cache has a record for the key but no longer its output (evicted): a paid node
    /// would be paid for again.
    case remoteLost

    public var description: String {
        switch self {
        case .cached: return "cached"
        case .neverBuilt: return "never built"
        case .keyChanged(let changes):
            if changes.isEmpty { return "inputs changed" }
            let shown = changes.prefix(3).joined(separator: "; ")
            return "inputs changed: \(shown)\(changes.count > 3 ? "; +\(changes.count - 3) more" : "")"
        case .notInCache: return "not in the cache (lockfile key unchanged)"
        case .outputMissing: return "output missing from the cache"
        case .outputCorrupt: return "output in the cache is corrupt"
        case .waitingFor(let node): return "inputs come from \(node), which runs first"
        case .forced: return "forced"
        case .cacheUnavailable(let reason): return "the cache cannot be read: \(reason)"
        case .remoteLost: return "remote record lost its clip (the remote cache no longer has its output)"
        }
    }

    /// A stable one-word code for scripts.
    public var code: String {
        switch self {
        case .cached: return "cached"
        case .neverBuilt: return "never_built"
        case .keyChanged: return "key_changed"
        case .notInCache: return "not_in_cache"
        case .outputMissing: return "output_missing"
        case .outputCorrupt: return "output_corrupt"
        case .waitingFor: return "upstream_stale"
        case .forced: return "forced"
        case .cacheUnavailable: return "cache_unavailable"
        case .remoteLost: return "remote_lost"
        }
    }
}

/// A cached result as planning sees it.
public struct CachedResult: Sendable, Equatable {
    public var outputs: [String: Digest]
    public var metadata: [String: CanonicalValue]
    /// Found in the remote cache (the second tier), not yet in the local one.
    public var fromRemote: Bool

    public init(outputs: [String: Digest], metadata: [String: CanonicalValue], fromRemote: Bool = false) {
        self.outputs = outputs
        self.metadata = metadata
        self.fromRemote = fromRemote
    }
}

/// What the cache holds for a key.
public enum CacheLookup: Sendable, Equatable {
    case hit(CachedResult)
    case miss
    case outputMissing
    case outputCorrupt
    /// The cache could not be read (an I/O error, an unreadable record): neither a hit nor a miss.
    case unavailable(String)
    /// Not in the local cache, and the remote cache has a record whose blobs are gone.
    case remoteLost
}

/// Read-only access to the caches during planning (the engine adapts the real stores).
public protocol CacheView: Sendable {
    /// The verified result for `key`.
    func lookup(_ key: Digest) async -> CacheLookup
    /// The selection stored in blob `digest`; `nil` when it is not there or is in a form this
    /// version cannot decode (selecting again is then right).
    /// - Throws: when the blob cannot be read (an I/O error): never taken as "select again".
    func selection(_ digest: Digest) async throws -> Selection?
    /// Told the keys about to be looked up, so a slow tier can ask for them at once.
    func prefetch(_ keys: [Digest]) async
}

extension CacheView {
    public func prefetch(_ keys: [Digest]) async {}
}

/// What the lockfile says about the last build, for explaining rebuilds.
public struct PreviousBuild: Sendable {
    public struct Node: Sendable, Equatable {
        public var key: Digest
        public var keyMaterial: CanonicalValue?

        public init(key: Digest, keyMaterial: CanonicalValue?) {
            self.key = key
            self.keyMaterial = keyMaterial
        }
    }

    /// Nodes given up front.
    public var nodes: [NodeID: Node]
    public var pairCount: Int?
    /// Looks up a node not in `nodes` (a lockfile read one entry at a time).
    private let lookup: (@Sendable (NodeID) -> Node?)?

    public init(nodes: [NodeID: Node] = [:], pairCount: Int? = nil) {
        self.nodes = nodes
        self.pairCount = pairCount
        self.lookup = nil
    }

    /// A previous build whose nodes are found by `lookup` when asked for.
    public init(pairCount: Int?, lookup: @escaping @Sendable (NodeID) -> Node?) {
        self.nodes = [:]
        self.pairCount = pairCount
        self.lookup = lookup
    }

    /// The node `id` of the previous build, if it had one.
    public func node(_ id: NodeID) -> Node? {
        nodes[id] ?? lookup?(id)
    }

    /// No previous build.
    public static let none = PreviousBuild()
}

/// One node of a plan.
public struct PlannedNode: Sendable, Equatable {
    public var id: NodeID
    public var kind: NodeKind
    public var label: String
    public var state: NodeState
    public var reason: RunReason
    /// `nil` while the node's inputs are unknown.
    public var spec: NodeSpec?
    public var dependencies: [NodeID]
    /// The cached result, for cached nodes.
    public var cached: CachedResult?
    /// Estimated cost in USD of running it (0 when cached or free).
    public var estimatedUSD: Double

    public var key: Digest? { spec?.key }
}

/// What a build would do: every node, its state and why. A value: printing it or deciding on it
/// touches nothing.
public struct Plan: Sendable, Equatable {
    public var nodes: [PlannedNode]
    /// The selection, when known (explicit, or select is cached).
    public var selection: Selection?
    /// The clip nodes made for `selection`, for the build that runs this plan.
    public var clips: PlannedClips?

    public init(nodes: [PlannedNode], selection: Selection?, clips: PlannedClips? = nil) {
        self.nodes = nodes
        self.selection = selection
        self.clips = clips
    }

    /// Nodes that would run.
    public var staleNodes: [PlannedNode] { nodes.filter { $0.state == .stale } }

    /// The estimated cost of everything that would run.
    public var estimatedUSD: Double { nodes.reduce(0) { $0 + $1.estimatedUSD } }

    /// Each variant's estimated cost (from its `combine@<variant>` node): its stale clips and video,
    /// a clip shared with another variant counted in each. The plan's total counts it once.
    public var variantEstimates: [(variant: String, usd: Double, clips: Int)] {
        let costs = Dictionary(nodes.map { ($0.id, $0.estimatedUSD) }, uniquingKeysWith: { first, _ in first })
        return nodes.filter { $0.kind == .combine && !$0.id.variant.isEmpty }.map { combine in
            (combine.id.variant, combine.dependencies.reduce(combine.estimatedUSD) { $0 + (costs[$1] ?? 0) }, combine.dependencies.count)
        }
    }

    /// The node with `id` (a short id matches the node of that name in any campaign).
    public func node(_ id: NodeID) -> PlannedNode? {
        nodes.first { $0.id == id } ?? nodes.first { id.matches($0.id) }
    }

    /// The nodes a command-line id names: `generate/3` (any campaign) or `campaign:generate/3`.
    public func nodes(matching id: NodeID) -> [PlannedNode] {
        nodes.filter { id.matches($0.id) }
    }
}

extension NodeKind {
    /// The name of the node's main output.
    public var outputName: String {
        switch self {
        case .features: return "features"
        case .select: return "pairs"
        case .generate: return "clip"
        case .combine: return "video"
        }
    }
}

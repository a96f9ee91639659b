import Foundation
import ReelBasics
import ReelGraph
import ReelManifest

/// What a caller asks the build service for: one or several manifests and how to build them.
public struct BuildRequest: Sendable {
    /// A manifest as the user named it.
    public struct ManifestRef: Sendable, Equatable {
        public var path: AbsolutePath
        /// How diagnostics name it (what the user typed).
        public var display: String

        public init(path: AbsolutePath, display: String) {
            self.path = path
            self.display = display
        }
    }

    public var manifests: [ManifestRef]
    public var paths: ProjectPaths.Overrides
    /// Node ids to rebuild whatever the cache says: `generate/3` (every campaign) or `campaign:generate/3`.
    public var forced: [String]
    public var forceAll: Bool
    /// For CI: refuse to spend or to change a lockfile.
    public var frozen: Bool
    public var keepGoing: Bool
    /// Most local nodes at once (`nil`: the number of cores).
    public var jobs: Int?
    /// A further cap on this run's spending.
    public var maxUSD: Double?
    public var cancelOnInterrupt: Bool
    /// Write each campaign's HTML storyboard after its build.
    public var storyboard: Bool
    /// Build only this shard's clips (`--shard i/n`).
    public var shard: ShardSpec?
    /// Build features and selection only (the job before the shards, for a paid selector).
    public var selectOnly: Bool
    /// Refuse, listing the nodes, if anything paid would run (the final job of a sharded build).
    public var noSpend: Bool
    /// With `noSpend`: how many shards built the clips, to name the one that should have built a
    /// missing clip.
    public var shardCount: Int?
    /// Hosts named only in a manifest's `base_url` that may receive credentials (`--allow-host`).
    public var allowedHosts: [String]
    /// `reel reroll` / `reel pick`: change one clip's take in this build.
    public var take: TakeRequest?
    /// `reel build --variant NAME`: build only these variants (empty: all).
    public var variants: [String] = []

    public init(
        manifests: [ManifestRef], paths: ProjectPaths.Overrides = ProjectPaths.Overrides(), forced: [String] = [], forceAll: Bool = false,
        frozen: Bool = false, keepGoing: Bool = false, jobs: Int? = nil, maxUSD: Double? = nil, cancelOnInterrupt: Bool = false,
        storyboard: Bool = true, shard: ShardSpec? = nil, selectOnly: Bool = false, noSpend: Bool = false, shardCount: Int? = nil,
        allowedHosts: [String] = []
    ) {
        self.allowedHosts = allowedHosts
        self.shard = shard
        self.selectOnly = selectOnly
        self.noSpend = noSpend
        self.shardCount = shardCount
        self.manifests = manifests
        self.paths = paths
        self.forced = forced
        self.forceAll = forceAll
        self.frozen = frozen
        self.keepGoing = keepGoing
        self.jobs = jobs
        self.maxUSD = maxUSD
        self.cancelOnInterrupt = cancelOnInterrupt
        self.storyboard = storyboard
    }
}

/// A change of one generate node's take (issue 14).
public enum TakeRequest: Sendable, Equatable {
    /// `reel reroll generate/3`: a new take (the first take number not in the cache), built and paid
    /// like any other node.
    case reroll(String)
    /// `reel pick generate/3 --take N`: an earlier take, which must be in the cache ($0).
    case pick(String, take: Int)

    /// The node id as typed.
    public var node: String {
        switch self {
        case .reroll(let node), .pick(let node, _): return node
        }
    }
}

/// What the build service reports as it goes. Commands render these; the library never prints.
public enum ServiceEvent: Sendable {
    /// A manifest's diagnostics (warnings, and errors when it is invalid).
    case diagnostics([Diagnostic])
    /// Something the user should know that does not stop the build.
    case warning(String)
    /// A build event of one campaign.
    case build(BuildEvent)
    /// A campaign's storyboard was written (`path`, its `index.html`), in `seconds`.
    case storyboard(AbsolutePath, seconds: Double)
}

/// Receives service events.
public typealias ServiceEventSink = @Sendable (ServiceEvent) -> Void

/// One campaign of a build.
public struct CampaignBuild: Sendable {
    public var campaign: ResolvedCampaign
    public var workspace: Workspace
    public var plan: Plan
    public var result: BuildResult
}

/// What a build through the service did.
public struct ServiceResult: Sendable {
    public var campaigns: [CampaignBuild]

    /// Whether every campaign built.
    public var succeeded: Bool { campaigns.allSatisfy { $0.result.succeeded } }
    /// Whether the build was interrupted.
    public var interrupted: Bool { campaigns.contains { $0.result.interrupted } }
}

/// Why the service refused to build, before or instead of building. Each says what to do.
public enum BuildServiceError: Error, Sendable, CustomStringConvertible {
    /// The manifest has errors (they were reported as diagnostics).
    case invalidManifest(display: String, errors: Int)
    /// The workspace could not be opened, or a provider could not be set up.
    case setup(String)
    /// `--frozen`, and the build would spend or change a lockfile.
    case frozen([String])
    /// The plan does not fit a budget cap.
    case budget(BudgetRefusal)
    /// A manifest glob matched no file.
    case noManifests(String)
    /// `--no-spend`, and something paid would run.
    case wouldSpend([String])
    /// A shard cannot start: the pairs are not chosen yet and choosing them costs money.
    case selectionFirst([String])
    /// A node id on the command line (`--force`) names no node: a usage error.
    case unknownNode(String, nodes: String)
    /// `reel reroll`/`reel pick` cannot be done as asked (no such clip, selection not made yet,
    /// the take is not in the cache).
    case take(String)

    public var description: String {
        switch self {
        case .invalidManifest(let display, let count):
            return "\(display): \(count) error\(count == 1 ? "" : "s")"
        case .setup(let message):
            return message
        case .frozen(let problems):
            return "--frozen: this build would spend or change the lockfile:\n" + problems.map { "  \($0)" }.joined(separator: "\n")
        case .budget(let refusal):
            return "\(refusal)"
        case .wouldSpend(let nodes):
            return "--no-spend: these paid nodes are not in the cache:\n" + nodes.map { "  \($0)" }.joined(separator: "\n")
                + "\ncheck that every shard job succeeded and uploaded to the shared cache"
        case .selectionFirst(let campaigns):
            return "the pairs of \(campaigns.joined(separator: ", ")) are not chosen yet and the selector is paid: run "
                + "`reel build --select-only` once in a job before the shards, so every shard builds from the same selection"
        case .noManifests(let pattern):
            return "'\(pattern)' matches no manifest; check the pattern (quote it, so the shell leaves it to Reel)"
        case .unknownNode(let id, let nodes):
            return "--force \(id): no such node in this campaign (nodes: \(nodes))"
        case .take(let message):
            return message
        }
    }
}

import ReelBasics
import ReelGraph

/// How a node ended in a build.
public enum NodeOutcomeState: String, Sendable, Equatable, Codable {
    case cached, built, failed, skipped
    /// Left to another job of a sharded build (another shard, or the final job).
    case deferred
}

/// One node's outcome.
public struct NodeOutcome: Sendable, Equatable {
    public var id: NodeID
    public var kind: NodeKind
    public var label: String
    public var state: NodeOutcomeState
    /// Why it ran (or `.cached`).
    public var reason: RunReason
    /// The error, for failed and skipped nodes: one line naming the cause.
    public var message: String?
    /// More about a failure (the command that failed and its output), shown with `--verbose`.
    public var detail: String? = nil
    public var seconds: Double
    public var spec: NodeSpec?
    public var result: CachedResult?

    public init(
        id: NodeID, kind: NodeKind, label: String, state: NodeOutcomeState, reason: RunReason, message: String? = nil,
        seconds: Double = 0, spec: NodeSpec? = nil, result: CachedResult? = nil
    ) {
        self.id = id
        self.kind = kind
        self.label = label
        self.state = state
        self.reason = reason
        self.message = message
        self.seconds = seconds
        self.spec = spec
        self.result = result
    }

    /// The main output's digest, when there is one.
    public var outputDigest: Digest? { result?.outputs[kind.outputName] }
}

/// What a build did.
public struct BuildResult: Sendable, Equatable {
    public var nodes: [NodeOutcome]
    public var selection: Selection?
    /// The final video where the user expects it (materialised from the cache).
    public var video: AbsolutePath?
    public var videoDigest: Digest?
    /// Clips materialised beside the video, in order.
    public var clips: [AbsolutePath]
    /// Whether the lockfile was written with new content.
    public var lockfileChanged: Bool
    /// Whether the build was interrupted (Ctrl-C).
    public var interrupted: Bool
    /// Why the finished video could not be put at `output.path` (every node may have succeeded).
    public var placementError: String? = nil
    /// Why the lockfile could not be written (or compared), if it could not: the build failed.
    public var lockfileError: String? = nil
    /// Each variant's video and clips (empty for a campaign without variants, whose video and
    /// clips are `video` and `clips`).
    public var variants: [VariantResult] = []

    public init(
        nodes: [NodeOutcome], selection: Selection?, video: AbsolutePath?, videoDigest: Digest?, clips: [AbsolutePath],
        lockfileChanged: Bool, interrupted: Bool = false
    ) {
        self.nodes = nodes
        self.selection = selection
        self.video = video
        self.videoDigest = videoDigest
        self.clips = clips
        self.lockfileChanged = lockfileChanged
        self.interrupted = interrupted
    }

    /// Failed nodes, plus the video's placement when that failed: what the summary counts as failed.
    public var failureCount: Int {
        count(.failed) + (placementError == nil ? 0 : 1)
    }

    /// Whether every node is cached or built.
    public var succeeded: Bool {
        !interrupted && video != nil && variants.allSatisfy({ $0.video != nil }) && lockfileError == nil
            && nodes.indices.allSatisfy { nodes[$0].state == .cached || nodes[$0].state == .built }
    }

    /// Whether this job did all of its part: every node cached, built or left to another job of a
    /// sharded build, none failed or skipped.
    public var completedItsPart: Bool {
        !interrupted && placementError == nil && lockfileError == nil
            && nodes.indices.allSatisfy { nodes[$0].state != .failed && nodes[$0].state != .skipped }
    }

    /// Nodes in a state. (By index: a closure over the elements copies each outcome, which at
    /// 10,000 nodes showed in a no-op's profile.)
    public func count(_ state: NodeOutcomeState) -> Int {
        nodes.indices.count { nodes[$0].state == state }
    }

    /// Cached nodes whose result came from the remote cache in this build.
    public var remoteHits: Int {
        nodes.indices.count { nodes[$0].state == .cached && nodes[$0].result?.fromRemote == true }
    }
}

/// One variant's part of a build: its video and clips.
public struct VariantResult: Sendable, Equatable {
    public var name: String
    public var video: AbsolutePath?
    public var videoDigest: Digest?
    public var clips: [AbsolutePath]
    /// Its clips' nodes, in order (a clip shared with another variant is that variant's node).
    public var clipNodes: [NodeID]
    public var combineNode: NodeID
    public var placementError: String?

    public init(
        name: String, video: AbsolutePath?, videoDigest: Digest?, clips: [AbsolutePath], clipNodes: [NodeID], combineNode: NodeID,
        placementError: String? = nil
    ) {
        self.name = name
        self.video = video
        self.videoDigest = videoDigest
        self.clips = clips
        self.clipNodes = clipNodes
        self.combineNode = combineNode
        self.placementError = placementError
    }
}

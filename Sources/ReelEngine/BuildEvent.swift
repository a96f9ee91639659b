import ReelBasics
import ReelGraph

/// What happens during a build, as it happens. Commands render these (live view, plain lines or
/// NDJSON); the engine never prints.
public enum BuildEvent: Sendable, Equatable {
    /// The plan is known: how many nodes will run.
    case planned(total: Int, stale: Int)
    /// Right after `planned`, when images were decoded to check them (the first time their content
    /// was seen): how many, and how long it took. Work a changed image causes, as a node's is.
    case imagesChecked(images: Int, seconds: Double)
    /// A node started running.
    case started(NodeID, label: String)
    /// A node's result came from the cache.
    case cached(NodeID, label: String)
    /// A node's result came from the remote cache: downloaded (verified) into the local one.
    case fetched(NodeID, label: String, seconds: Double)
    /// A node finished.
    case built(NodeID, label: String, seconds: Double)
    /// A node failed.
    case failed(NodeID, label: String, message: String)
    /// A node was not run because something it needs failed.
    case skipped(NodeID, label: String, because: NodeID)
    /// Another process holds the node's lock; waiting for it.
    case waiting(NodeID, label: String)
    /// A provider call is being retried.
    case retrying(NodeID, attempt: Int, reason: String)
    /// Money was spent (or reserved and released).
    case spent(NodeID, usd: Double)
    /// Something worth telling the user.
    case note(String)
}

/// Receives build events.
public typealias BuildEventSink = @Sendable (BuildEvent) -> Void

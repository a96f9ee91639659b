import Foundation
import ReelBasics

/// A held claim on a node key: only its holder runs (and pays for) the node.
public protocol NodeClaim: Sendable {
    /// Gives the claim up (once; later calls do nothing).
    func release() async
}

/// Claims on node keys, so that two runners never create a prediction for the same node: the
/// local `flock` (one machine, through a shared cache) or leases in a shared database (any
/// machine; a crashed owner's lease expires and the next runner takes over).
public protocol NodeClaims: Sendable {
    /// Takes the claim on `key`, waiting while another runner holds it.
    /// - Parameter onWait: called once if the claim is busy, so the caller can say it is waiting.
    /// - Throws: `CancellationError` when cancelled while waiting; an error when the claim
    ///   cannot be checked (never taken as granted).
    func claim(_ key: Digest, nodeID: String, onWait: @escaping @Sendable () -> Void) async throws -> any NodeClaim
}

/// Claims as `flock` locks in the cache (`NodeLock`): the kernel drops them when a process dies.
public struct LocalNodeClaims: NodeClaims {
    public let layout: CacheLayout

    public init(layout: CacheLayout) {
        self.layout = layout
    }

    public func claim(_ key: Digest, nodeID: String, onWait: @escaping @Sendable () -> Void) async throws -> any NodeClaim {
        try await NodeLock.acquire(key, layout: layout, onWait: onWait)
    }
}

/// `NodeLock.release()` (synchronous) is the claim's release.
extension NodeLock: NodeClaim {}

import Foundation
import ReelBasics
import ReelGraph

/// `--shard i/n` (1-based, as jest, Playwright and pytest-split write it).
public struct ShardSpec: Sendable, Equatable, CustomStringConvertible {
    public let index: Int
    public let count: Int

    public init?(index: Int, count: Int) {
        guard count >= 1, (1...count).contains(index) else { return nil }
        self.index = index
        self.count = count
    }

    /// Parses `2/4`.
    public init?(parsing text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]) else { return nil }
        self.init(index: index, count: count)
    }

    public var description: String { "\(index)/\(count)" }
}

/// Which shard builds which clip. Every generate node of the whole batch whose key is known —
/// built or not — is dealt out by its key: heaviest first (estimated cost, then a unit of time per
/// clip), ties by key, each to the shard with the least load so far. The deal depends only on the
/// plans, so every shard job (and the final job that names a missing clip's shard) computes the
/// same one, and a clip two campaigns share (one key) belongs to one shard.
public struct ShardAssignment: Sendable, Equatable {
    /// Node key → shard index (1-based).
    public let owners: [Digest: Int]
    public let count: Int

    /// - Parameter plans: each plan with its campaign's cost estimator. A clip weighs its estimate
    ///   whether or not it is built yet, so the deal does not change as shards finish.
    public init(plans: [(plan: Plan, estimator: CostEstimator)], count: Int) {
        var weights: [Digest: Double] = [:]
        for (plan, estimator) in plans {
            for node in plan.nodes where node.kind == .generate {
                guard let spec = node.spec else { continue }
                weights[spec.key] = max(weights[spec.key] ?? 0, estimator.estimate(spec) + ShardAssignment.timeUnit)
            }
        }
        let ordered = weights.sorted { left, right in
            left.value != right.value ? left.value > right.value : left.key.hex < right.key.hex
        }
        var loads = [Double](repeating: 0, count: max(1, count))
        var owners: [Digest: Int] = [:]
        for (key, weight) in ordered {
            var best = 0
            for shard in loads.indices where loads[shard] < loads[best] - 1e-12 { best = shard }
            loads[best] += weight
            owners[key] = best + 1
        }
        self.owners = owners
        self.count = max(1, count)
    }

    /// A clip's weight beyond its price: one unit of work per clip, so free clips are spread too.
    static let timeUnit = 0.01

    /// The shard that builds the node with `key`.
    public func owner(of key: Digest) -> Int? {
        owners[key]
    }
}

/// What one build job does with the clips: all of them, only its shard's, or none (selection only).
public enum ClipScope: Sendable, Equatable {
    /// Every clip (an ordinary build, or the final job of a sharded one).
    case all
    /// Only the clips this shard owns; the others (and the videos) are left to other jobs.
    case shard(ShardSpec, ShardAssignment)
    /// No clips: features and selection only (the first job before shards, for a paid selector).
    case selectionOnly

    /// Whether the clip with `key` is built here; otherwise, which job builds it.
    func builds(_ key: Digest) -> (here: Bool, elsewhere: String) {
        switch self {
        case .all: return (true, "")
        case .selectionOnly: return (false, "clips are built after selection (--select-only)")
        case .shard(let shard, let assignment):
            let owner = assignment.owner(of: key) ?? shard.index
            return (owner == shard.index, "built by shard \(owner)/\(shard.count)")
        }
    }
}

import Foundation
import ReelBasics
import ReelCache
import ReelManifest
import Synchronization

/// Hashes the campaign's assets through the stat cache, on every core at once.
public struct AssetHasher: Sendable {
    public let statCache: StatCache

    public init(statCache: StatCache) {
        self.statCache = statCache
    }

    /// Digests by asset id, and how many files were actually read.
    /// - Throws: the first file that could not be read.
    public func digests(of assets: [ResolvedAsset]) throws -> (digests: [String: Digest], hashed: Int) {
        let results = Mutex<[Int: Result<(Digest, Bool), any Error>]>([:])
        let cache = statCache
        DispatchQueue.concurrentPerform(iterations: assets.count) { index in
            let outcome = Result { try cache.digest(of: assets[index].path) }
            results.withLock { $0[index] = outcome.map { ($0.digest, $0.hashed) } }
        }
        var digests: [String: Digest] = [:]
        var hashed = 0
        let collected = results.withLock { $0 }
        for (index, asset) in assets.enumerated() {
            guard let result = collected[index] else { continue }
            let (digest, wasHashed) = try result.get()
            digests[asset.id] = digest
            if wasHashed { hashed += 1 }
        }
        return (digests, hashed)
    }
}

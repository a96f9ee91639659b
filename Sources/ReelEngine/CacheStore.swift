import Foundation
import ReelBasics
import ReelCache
import ReelGraph
import ReelRemoteCache
import Synchronization

/// The project cache as the engine uses it: every access to blobs and action records goes through
/// the async, path-free cache protocols (`ContentStore`, `ActionCache`), with the local disk store
/// as the first tier. Local-only state — the stat cache, node locks, the journal, scratch space and
/// the memo of verified hits — stays explicitly local (`layout`, `statCache`).
public struct CacheStore: CacheView {
    public let layout: CacheLayout
    public let fileSystem: any FileSystem
    public let statCache: StatCache
    /// The local tier's blobs.
    public let content: DiskContentStore
    /// The local tier's action records.
    public let actions: DiskActionCache
    /// Images known to decode completely, by digest.
    public let imageChecks: ImageCheckMemo
    /// The second tier, a shared remote cache, when one is configured.
    public let remote: RemoteTier?
    /// Verified hits already seen in this process: a build plans, then assesses each node again.
    private let hits = HitMemo()

    /// Opens (creating if needed) the cache at `root`.
    public init(root: AbsolutePath, fileSystem: any FileSystem, remote: RemoteTier? = nil) throws {
        let layout = CacheLayout(root: root)
        try layout.prepare(on: fileSystem)
        self.layout = layout
        self.fileSystem = fileSystem
        self.statCache = StatCache(path: layout.statCachePath, fileSystem: fileSystem)
        self.content = DiskContentStore(layout: layout, fileSystem: fileSystem, statCache: statCache)
        self.actions = DiskActionCache(layout: layout, fileSystem: fileSystem)
        self.imageChecks = try ImageCheckMemo(path: layout.imageChecksPath, fileSystem: fileSystem)
        self.remote = remote
    }

    /// The default cache of a project: `<project>/.reel/cache`.
    public static func defaultRoot(projectRoot: AbsolutePath) -> AbsolutePath {
        projectRoot.appending(".reel/cache")
    }

    /// The local tier's answer; after a local miss (or a missing or damaged blob), the remote's.
    /// A remote hit is marked `fromRemote` and must be `pull`ed before it is used.
    public func lookup(_ key: Digest) async -> CacheLookup {
        await lookup(key, refreshRemote: false)
    }

    /// - Parameter refreshRemote: ask the remote again even after a miss earlier in this run (the
    ///   re-check after waiting on a node's claim: another runner may have just uploaded it).
    public func lookup(_ key: Digest, refreshRemote: Bool) async -> CacheLookup {
        let local = await localLookup(key)
        guard let remote else { return local }
        switch local {
        case .hit(var result):
            // Pulled from the remote earlier in this run: still counted as a remote hit.
            if remote.wasPulled(key) { result.fromRemote = true }
            return .hit(result)
        case .unavailable, .remoteLost: return local
        case .miss, .outputMissing, .outputCorrupt:
            switch await remote.lookup(key, refresh: refreshRemote) {
            case .hit(let record):
                return .hit(CachedResult(
                    outputs: Dictionary(record.outputs.map { ($0.name, $0.digest) }, uniquingKeysWith: { first, _ in first }),
                    metadata: record.metadata, fromRemote: true))
            case .lostOutputs: return .remoteLost
            case .miss, .unusable: return local
            }
        }
    }

    /// Looks the keys planning is about to walk up in the remote at once (those the local tier
    /// does not have), so a cold local cache does not wait on one round trip after another.
    public func prefetch(_ keys: [Digest]) async {
        guard let remote else { return }
        var missing: [Digest] = []
        for key in keys {
            if case .hit = await localLookup(key) { continue }
            missing.append(key)
        }
        await remote.prefetch(missing)
    }

    /// Copies a remote hit into the local tier (blobs verified, then the record).
    /// - Returns: the seconds it took; nil when the remote could not give it (the node is built).
    /// - Throws: a local I/O error while storing it (a paid node then fails closed).
    public func pull(_ key: Digest) async throws -> Double? {
        guard let remote else { return nil }
        hits.forget(key)
        return try await remote.pull(key, into: content, actions: actions)
    }

    /// Pulls every remote hit of `plan` into the local tier, at most the remote's transfer bound
    /// at once. Done before a build is set up, so the plan it is checked against (providers,
    /// budget, `--frozen`) knows which remote results could really be had.
    /// - Returns: whether anything was pulled or refused (then the plan is out of date).
    public func pullRemoteHits(of plan: Plan) async -> Bool {
        guard let remote else { return false }
        let keys = plan.nodes.compactMap { node -> Digest? in
            guard node.state == .cached, node.cached?.fromRemote == true, let key = node.key, !remote.wasPulled(key) else { return nil }
            return key
        }
        guard !keys.isEmpty else { return false }
        await forEachConcurrently(keys, limit: remote.configuration.maxConcurrentTransfers) { key in
            do {
                _ = try await self.pull(key)
            } catch {
                // Not decided here: the node pulls again when it runs, and a paid one fails closed then.
            }
        }
        return true
    }

    /// Uploads a result just recorded locally, when uploads are on.
    public func publish(_ record: ActionRecord) async {
        await remote?.publish(record, from: content)
    }

    /// This machine's cache only, never the remote: for looking around (the storyboard's search
    /// for other takes of every clip), where a round trip per clip and take would cost more than
    /// the picture is worth.
    public func lookupLocally(_ key: Digest) async -> CacheLookup {
        await localLookup(key)
    }

    private func localLookup(_ key: Digest) async -> CacheLookup {
        if let known = hits.result(for: key) { return .hit(known) }
        do {
            guard let record = try actions.outputs(for: key) else { return .miss }
            for output in record.outputs {
                switch try await content.verify(output.digest) {
                case .present: continue
                case .missing: return .outputMissing
                case .corrupt: return .outputCorrupt
                }
            }
            let result = CachedResult(
                outputs: Dictionary(record.outputs.map { ($0.name, $0.digest) }, uniquingKeysWith: { first, _ in first }),
                metadata: hits.interned(record.metadata))
            hits.remember(result, for: key)
            return .hit(result)
        } catch {
            return .unavailable("\(error)")
        }
    }

    public func selection(_ digest: Digest) async throws -> Selection? {
        let data: Data
        if try await content.verify(digest) == .present {
            data = try await content.data(digest)
        } else if let fetched = try await remote?.blobData(digest, in: content) {
            // A remote hit not pulled yet (planning): the blob read from the remote, verified.
            data = fetched
        } else {
            return nil
        }
        return Selection(decoding: data)
    }

    /// A blob's bytes, verified.
    public func data(_ digest: Digest) async throws -> Data {
        try await content.data(digest)
    }

    /// A path ffmpeg can read the blob from.
    public func readablePath(_ digest: Digest) async throws -> AbsolutePath {
        try await content.readablePath(digest)
    }

    /// The full action record for `key` (`reel explain`).
    public func record(_ key: Digest) async throws -> ActionRecord? {
        try await actions.lookup(key)
    }

    /// Records a node's result.
    public func store(_ record: ActionRecord) async throws {
        try await actions.store(record)
    }

    /// Places a blob where the user expects an output: left alone when the file there already has
    /// the digest (the same inode as the blob, or a stat-cache hit), else linked or copied.
    public func materialise(_ digest: Digest, at destination: AbsolutePath) async throws {
        if let existing = fileSystem.info(destination), existing.kind == .file {
            if let blob = fileSystem.info(content.path(for: digest)), existing.isSameFile(as: blob) { return }
            if statCache.cachedDigest(of: destination, info: existing) == digest { return }
        }
        try await content.materialise(digest, at: destination)
        if let info = fileSystem.info(destination) { statCache.remember(destination, info: info, digest: digest) }
    }

    /// Saves the stat cache (call once at the end of a command).
    public func flush() {
        try? statCache.save()
    }
}

/// Cache hits seen in this process. Only hits are remembered: a miss may become a hit when
/// another process finishes the node.
final class HitMemo: Sendable {
    private let hits = Mutex<[Digest: CachedResult]>([:])
    /// Metadata seen so far, each distinct value once: the clips of one campaign's local
    /// animatics (and many of a model's) carry the same metadata, which held 7 MB of a
    /// 10,000-pair no-op's heap as 10,000 copies.
    private let metadata = Mutex<Set<[String: CanonicalValue]>>([])

    /// `value`, or an equal one already held (sharing its storage).
    func interned(_ value: [String: CanonicalValue]) -> [String: CanonicalValue] {
        metadata.withLock { $0.insert(value).memberAfterInsert }
    }

    func result(for key: Digest) -> CachedResult? {
        hits.withLock { $0[key] }
    }

    func remember(_ result: CachedResult, for key: Digest) {
        hits.withLock { $0[key] = result }
    }

    func forget(_ key: Digest) {
        _ = hits.withLock { $0.removeValue(forKey: key) }
    }
}

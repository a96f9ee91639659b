import Foundation
import ReelBasics
import ReelCache
import ReelGraph
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
    /// Verified hits already seen in this process: a build plans, then assesses each node again.
    private let hits = HitMemo()

    /// Opens (creating if needed) the cache at `root`.
    public init(root: AbsolutePath, fileSystem: any FileSystem) throws {
        let layout = CacheLayout(root: root)
        try layout.prepare(on: fileSystem)
        self.layout = layout
        self.fileSystem = fileSystem
        self.statCache = StatCache(path: layout.statCachePath, fileSystem: fileSystem)
        self.content = DiskContentStore(layout: layout, fileSystem: fileSystem, statCache: statCache)
        self.actions = DiskActionCache(layout: layout, fileSystem: fileSystem)
    }

    /// The default cache of a project: `<project>/.reel/cache`.
    public static func defaultRoot(projectRoot: AbsolutePath) -> AbsolutePath {
        projectRoot.appending(".reel/cache")
    }

    public func lookup(_ key: Digest) async -> CacheLookup {
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
                metadata: record.metadata)
            hits.remember(result, for: key)
            return .hit(result)
        } catch {
            return .unavailable("\(error)")
        }
    }

    public func selection(_ digest: Digest) async -> Selection? {
        guard let data = try? await content.data(digest) else { return nil }
        return try? Selection(data: data)
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

    func result(for key: Digest) -> CachedResult? {
        hits.withLock { $0[key] }
    }

    func remember(_ result: CachedResult, for key: Digest) {
        hits.withLock { $0[key] = result }
    }
}

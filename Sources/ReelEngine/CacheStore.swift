import Foundation
import ReelBasics
import ReelCache
import ReelGraph
import Synchronization

/// The project cache as the engine uses it: the content store, the action cache and the stat
/// cache under one root, and the `CacheView` planning reads.
public struct CacheStore: CacheView {
    public let layout: CacheLayout
    public let fileSystem: any FileSystem
    public let statCache: StatCache
    public let content: DiskContentStore
    public let actions: DiskActionCache
    /// Images known to decode completely, by digest.
    public let imageChecks: ImageCheckMemo
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
        self.imageChecks = ImageCheckMemo(path: layout.imageChecksPath, fileSystem: fileSystem)
    }

    /// The default cache of a project: `<project>/.reel/cache`.
    public static func defaultRoot(projectRoot: AbsolutePath) -> AbsolutePath {
        projectRoot.appending(".reel/cache")
    }

    public func lookup(_ key: Digest) -> CacheLookup {
        if let known = hits.result(for: key) { return .hit(known) }
        guard let record = actions.outputs(for: key) else { return .miss }
        for output in record.outputs {
            switch content.verify(output.digest) {
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
    }

    public func selection(_ digest: Digest) -> Selection? {
        guard let data = try? content.read(digest) else { return nil }
        return try? Selection(data: data)
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

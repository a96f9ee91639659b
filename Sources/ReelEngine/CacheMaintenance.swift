import Foundation
import ReelBasics
import ReelCache

/// `reel cache verify` and `reel cache gc`.
public struct CacheMaintenance: Sendable {
    public let store: CacheStore

    public init(store: CacheStore) {
        self.store = store
    }

    var fileSystem: any FileSystem { store.fileSystem }

    /// Every blob digest in the store.
    /// - Throws: a folder that cannot be read (never taken as empty).
    func blobs() throws -> [Digest] {
        let root = store.layout.casRoot
        return try fileSystem.listIfPresent(root).flatMap { prefix in
            try fileSystem.listIfPresent(root.appending(prefix)).compactMap { Digest(prefix + $0) }
        }
    }

    /// Every action record in the cache.
    /// - Throws: `CacheUnavailable` for a record that cannot be read (gc must not guess which
    ///   blobs it keeps alive).
    func records() throws -> [ActionRecord] {
        let root = store.layout.actionCacheRoot
        var records: [ActionRecord] = []
        for prefix in try fileSystem.listIfPresent(root) {
            for name in try fileSystem.listIfPresent(root.appending(prefix)) {
                guard let key = Digest(String(name.dropLast(5))), let record = try store.actions.lookup(key) else { continue }
                records.append(record)
            }
        }
        return records
    }

    /// Files in `tmp/` that no live process owns: left by a process that was killed (`TemporaryFiles`).
    public func leftovers(now: Date = Date()) throws -> [(path: AbsolutePath, size: Int64)] {
        let temporary = store.layout.temporaryRoot
        return try fileSystem.listIfPresent(temporary).sorted().compactMap { name in
            let path = temporary.appending(name)
            guard let info = fileSystem.info(path) else { return nil }
            let modified = Date(timeIntervalSince1970: Double(info.modificationNanos) / 1e9)
            return TemporaryFiles.isLeftover(name, modified: modified, now: now) ? (path, info.size) : nil
        }
    }

    /// Rehashes every blob (removing corrupt ones) and drops records whose blobs are gone.
    public func verify(now: Date = Date()) throws -> (blobs: Int, corrupt: Int, records: Int, brokenRecords: Int, leftovers: Int, leftoverBytes: Int64) {
        let all = try blobs()
        var corrupt = 0
        for digest in all where try store.content.verifyThoroughly(digest) == .corrupt {
            corrupt += 1
            try store.content.remove(digest)
        }
        let records = try records()
        var broken = 0
        for record in records where try record.outputs.contains(where: { try store.content.verify($0.digest) != .present }) {
            broken += 1
            try store.actions.remove(record.key)
        }
        store.flush()
        let leftovers = try leftovers(now: now)
        return (all.count, corrupt, records.count, broken, leftovers.count, leftovers.reduce(0) { $0 + $1.size })
    }

    /// Removes old records (when asked), unreferenced blobs and leftover temporary files.
    public func collect(olderThanDays days: Int?, now: Date = Date()) throws -> (records: Int, blobs: Int, temporaryFiles: Int, bytes: Int64) {
        var removedRecords = 0
        var live: Set<Digest> = []
        let cutoff = days.map { now.addingTimeInterval(-Double($0) * 86_400) }
        for record in try records() {
            if let cutoff, let created = Timestamp.parse(record.createdAt), created < cutoff {
                try store.actions.remove(record.key)
                removedRecords += 1
                continue
            }
            for output in record.outputs { live.insert(output.digest) }
        }
        var removedBlobs = 0
        var bytes: Int64 = 0
        for digest in try blobs() where !live.contains(digest) {
            let path = store.content.path(for: digest)
            // A blob younger than an hour may belong to a build that has not written its record yet.
            if let info = fileSystem.info(path), Double(info.modificationNanos) / 1e9 > now.timeIntervalSince1970 - 3_600 { continue }
            bytes += fileSystem.info(path)?.size ?? 0
            try store.content.remove(digest)
            removedBlobs += 1
        }
        var removedTemporary = 0
        for leftover in try leftovers(now: now) {
            try fileSystem.remove(leftover.path)
            bytes += leftover.size
            removedTemporary += 1
        }
        store.flush()
        return (removedRecords, removedBlobs, removedTemporary, bytes)
    }
}

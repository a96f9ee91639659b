import Foundation
import ReelBasics

/// A content-addressed store of blobs (swift-build's `CASProtocol`, Bazel's CAS).
public protocol ContentStore: Sendable {
    /// Where the blob for `digest` lives (whether or not it is there).
    func path(for digest: Digest) -> AbsolutePath
    /// Moves `file` into the store and returns its digest. `file` is consumed.
    func insert(movingFile file: AbsolutePath) throws -> Digest
    /// Stores `data` and returns its digest.
    func insert(_ data: Data) throws -> Digest
    /// Whether the blob is present and its content still has `digest`.
    func verify(_ digest: Digest) -> BlobState
    /// The blob's bytes (not verified).
    func read(_ digest: Digest) throws -> Data
    /// Deletes a blob (a damaged one, or by garbage collection).
    func remove(_ digest: Digest) throws
}

/// What `verify` found.
public enum BlobState: Sendable, Equatable {
    case present
    case missing
    /// Present but its content no longer hashes to its name.
    case corrupt
}

/// The on-disk store under `CacheLayout.casRoot`. Blobs are written to a temporary file, fsynced,
/// renamed into place and made read-only. Verification trusts the stat cache (size, mtime, inode)
/// and rehashes when the file's stat changed.
public struct DiskContentStore: ContentStore {
    public let layout: CacheLayout
    public let fileSystem: any FileSystem
    public let statCache: StatCache

    public init(layout: CacheLayout, fileSystem: any FileSystem, statCache: StatCache) {
        self.layout = layout
        self.fileSystem = fileSystem
        self.statCache = statCache
    }

    public func path(for digest: Digest) -> AbsolutePath {
        layout.blobPath(digest)
    }

    public func insert(movingFile file: AbsolutePath) throws -> Digest {
        let (digest, _) = try fileSystem.hash(file)
        let destination = path(for: digest)
        if verify(digest) == .present {
            try fileSystem.remove(file)
            return digest
        }
        try DiskContentStore.sync(file)
        try fileSystem.createDirectory(destination.parent)
        try fileSystem.rename(file, to: destination)
        try fileSystem.makeReadOnly(destination)
        try LocalFileSystem.syncDirectory(destination.parent)
        if let info = fileSystem.info(destination) { statCache.remember(destination, info: info, digest: digest) }
        return digest
    }

    public func insert(_ data: Data) throws -> Digest {
        let digest = Digest.of(data)
        if verify(digest) == .present { return digest }
        let destination = path(for: digest)
        if fileSystem.exists(destination) { try fileSystem.remove(destination) }
        try fileSystem.writeAtomically(data, to: destination)
        try fileSystem.makeReadOnly(destination)
        if let info = fileSystem.info(destination) { statCache.remember(destination, info: info, digest: digest) }
        return digest
    }

    public func verify(_ digest: Digest) -> BlobState {
        let file = path(for: digest)
        guard let info = fileSystem.info(file), info.kind == .file else { return .missing }
        if statCache.cachedDigest(of: file, info: info) == digest { return .present }
        guard let (actual, _) = try? fileSystem.hash(file) else { return .missing }
        guard actual == digest else {
            statCache.forget(file)
            return .corrupt
        }
        statCache.remember(file, info: info, digest: digest)
        return .present
    }

    /// Rehashes the blob whatever the stat cache says (`reel cache verify`).
    public func verifyThoroughly(_ digest: Digest) -> BlobState {
        let file = path(for: digest)
        guard fileSystem.info(file)?.kind == .file else { return .missing }
        guard let (actual, _) = try? fileSystem.hash(file) else { return .missing }
        return actual == digest ? .present : .corrupt
    }

    public func read(_ digest: Digest) throws -> Data {
        try fileSystem.read(path(for: digest))
    }

    public func remove(_ digest: Digest) throws {
        let file = path(for: digest)
        statCache.forget(file)
        try fileSystem.remove(file)
    }

    /// A fresh temporary path on the store's file system, for an action to write into.
    public func temporaryPath(named name: String) throws -> AbsolutePath {
        try fileSystem.createDirectory(layout.temporaryRoot)
        return layout.temporaryRoot.appending("\(UUID().uuidString.lowercased())-\(name)")
    }

    static func sync(_ file: AbsolutePath) throws {
        let fd = open(file.pathString, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystemError.posix(op: "open", path: file.pathString, errno: errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw FileSystemError.posix(op: "fsync", path: file.pathString, errno: errno) }
    }
}

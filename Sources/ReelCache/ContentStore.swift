import Foundation
import ReelBasics

/// A content-addressed store of blobs (swift-build's `CASProtocol`, Bazel's CAS). Path-free:
/// blobs are handed out by digest and put at a path only on request, so a tier that is not a local
/// folder (a remote cache) fits behind the same protocol.
public protocol ContentStore: Sendable {
    /// Moves `file` into the store and returns its digest. `file` is consumed.
    func insert(movingFile file: AbsolutePath) async throws -> Digest
    /// Stores `data` and returns its digest.
    func insert(_ data: Data) async throws -> Digest
    /// Whether the blob is present and its content still has `digest`.
    /// - Throws: `CacheUnavailable` when that cannot be told (an I/O error): never a guessed miss.
    func verify(_ digest: Digest) async throws -> BlobState
    /// The blob's bytes, checked against `digest`.
    /// - Throws: `CacheUnavailable` when it is missing, damaged or unreadable.
    func data(_ digest: Digest) async throws -> Data
    /// A path a tool (ffmpeg) can read the blob from, valid for this process's lifetime.
    func readablePath(_ digest: Digest) async throws -> AbsolutePath
    /// Places the blob at `destination` (a hard link to the read-only blob, or a copy).
    func materialise(_ digest: Digest, at destination: AbsolutePath) async throws
    /// Deletes a blob (a damaged one, or by garbage collection).
    func remove(_ digest: Digest) async throws
}

/// The cache could not be read: neither a hit nor a miss. Paid work fails closed on it.
public struct CacheUnavailable: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String {
        "the cache entry '\(path)' cannot be read (\(reason)); check the file's permissions and the disk, "
            + "or run `reel cache verify`"
    }
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

    /// Where the blob for `digest` lives in this local tier (whether or not it is there).
    public func path(for digest: Digest) -> AbsolutePath {
        layout.blobPath(digest)
    }

    public func insert(movingFile file: AbsolutePath) throws -> Digest {
        let (digest, _) = try fileSystem.hash(file)
        let destination = path(for: digest)
        if try verify(digest) == .present {
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
        if try verify(digest) == .present { return digest }
        let destination = path(for: digest)
        if fileSystem.exists(destination) { try fileSystem.remove(destination) }
        try fileSystem.writeAtomically(data, to: destination)
        try fileSystem.makeReadOnly(destination)
        if let info = fileSystem.info(destination) { statCache.remember(destination, info: info, digest: digest) }
        return digest
    }

    public func verify(_ digest: Digest) throws -> BlobState {
        let file = path(for: digest)
        guard let info = fileSystem.info(file), info.kind == .file else { return .missing }
        if statCache.cachedDigest(of: file, info: info) == digest { return .present }
        let actual = try hashOrUnavailable(file)
        guard actual == digest else {
            statCache.forget(file)
            return .corrupt
        }
        statCache.remember(file, info: info, digest: digest)
        return .present
    }

    /// Rehashes the blob whatever the stat cache says (`reel cache verify`).
    public func verifyThoroughly(_ digest: Digest) throws -> BlobState {
        let file = path(for: digest)
        guard fileSystem.info(file)?.kind == .file else { return .missing }
        return try hashOrUnavailable(file) == digest ? .present : .corrupt
    }

    /// The file's digest; a read error is `CacheUnavailable`, never a miss.
    private func hashOrUnavailable(_ file: AbsolutePath) throws -> Digest {
        do {
            return try fileSystem.hash(file).digest
        } catch {
            throw CacheUnavailable(path: file.pathString, reason: "\(error)")
        }
    }

    public func data(_ digest: Digest) throws -> Data {
        let file = path(for: digest)
        let bytes: Data
        do {
            bytes = try fileSystem.read(file)
        } catch {
            throw CacheUnavailable(path: file.pathString, reason: fileSystem.exists(file) ? "\(error)" : "the blob is missing")
        }
        guard Digest.of(bytes) == digest else { throw CacheUnavailable(path: file.pathString, reason: "its content does not match its digest") }
        return bytes
    }

    public func readablePath(_ digest: Digest) throws -> AbsolutePath {
        let file = path(for: digest)
        guard fileSystem.info(file)?.kind == .file else { throw CacheUnavailable(path: file.pathString, reason: "the blob is missing") }
        return file
    }

    /// Links (or copies) the blob to `destination`, replacing what is there.
    public func materialise(_ digest: Digest, at destination: AbsolutePath) throws {
        try fileSystem.linkOrCopy(try readablePath(digest), to: destination)
    }

    public func remove(_ digest: Digest) throws {
        let file = path(for: digest)
        statCache.forget(file)
        try fileSystem.remove(file)
    }

    /// A fresh temporary path on the store's file system, for an action to write into.
    public func temporaryPath(named name: String) throws -> AbsolutePath {
        try fileSystem.createDirectory(layout.temporaryRoot)
        return layout.temporaryRoot.appending(TemporaryFiles.name(name))
    }

    static func sync(_ file: AbsolutePath) throws {
        let fd = open(file.pathString, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystemError.posix(op: "open", path: file.pathString, errno: errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw FileSystemError.posix(op: "fsync", path: file.pathString, errno: errno) }
    }
}

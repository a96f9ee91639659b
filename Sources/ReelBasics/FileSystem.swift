import Foundation

/// What `lstat` says about a path.
public struct FileInfo: Sendable, Equatable {
    /// The kind of entry.
    public enum Kind: Sendable, Equatable { case file, directory, symlink, other }
    public var kind: Kind
    public var size: Int64
    /// Modification time in nanoseconds since the epoch.
    public var modificationNanos: Int64
    public var inode: UInt64
    public var device: UInt64
    /// Number of hard links to the inode.
    public var linkCount: UInt64

    public init(kind: Kind, size: Int64, modificationNanos: Int64, inode: UInt64, device: UInt64, linkCount: UInt64 = 1) {
        self.kind = kind
        self.size = size
        self.modificationNanos = modificationNanos
        self.inode = inode
        self.device = device
        self.linkCount = linkCount
    }
}

/// The file system seam. Everything Reel reads or writes on disk goes through it, so tests can
/// substitute an in-memory implementation (`InMemoryFileSystem` in ReelTestSupport).
public protocol FileSystem: Sendable {
    /// Information about `path` without following a final symlink; `nil` when nothing is there.
    func info(_ path: AbsolutePath) -> FileInfo?
    /// Information about `path`, following symlinks; `nil` when nothing is there.
    func infoFollowingSymlinks(_ path: AbsolutePath) -> FileInfo?
    /// The whole contents of a file.
    func read(_ path: AbsolutePath) throws -> Data
    /// Writes `data` to `path` atomically: a temporary file beside it, rename. With `durable`,
    /// the file and its folder are fsynced so the write survives a crash (cache records, the
    /// journal, the lockfile); without, it only never leaves a torn file (derived, rebuildable data).
    func writeAtomically(_ data: Data, to path: AbsolutePath, durable: Bool) throws
    /// Creates a directory and its parents; succeeds when it already exists.
    func createDirectory(_ path: AbsolutePath) throws
    /// The names in a directory (no `.`/`..`), sorted.
    func list(_ path: AbsolutePath) throws -> [String]
    /// The path with every symlink resolved.
    func resolvingSymlinks(_ path: AbsolutePath) throws -> AbsolutePath
    /// Removes a file, or a directory tree; succeeds when nothing is there.
    func remove(_ path: AbsolutePath) throws
    /// Renames `source` to `destination` atomically, replacing it.
    func rename(_ source: AbsolutePath, to destination: AbsolutePath) throws
    /// Makes `destination` a hard link to `source`, or a copy when linking is impossible.
    func linkOrCopy(_ source: AbsolutePath, to destination: AbsolutePath) throws
    /// SHA-256 of a file's contents.
    func hash(_ path: AbsolutePath) throws -> (digest: Digest, size: Int64)
    /// Marks a file read-only (cache blobs are never edited in place).
    func makeReadOnly(_ path: AbsolutePath) throws
}

extension FileSystem {
    /// Writes atomically and durably (fsynced).
    public func writeAtomically(_ data: Data, to path: AbsolutePath) throws {
        try writeAtomically(data, to: path, durable: true)
    }

    /// Whether anything exists at `path` (a dangling symlink counts).
    public func exists(_ path: AbsolutePath) -> Bool { info(path) != nil }

    /// Whether `path` is a directory (following symlinks).
    public func isDirectory(_ path: AbsolutePath) -> Bool { infoFollowingSymlinks(path)?.kind == .directory }

    /// Reads a UTF-8 text file.
    public func readText(_ path: AbsolutePath) throws -> String {
        let data = try read(path)
        guard let text = String(data: data, encoding: .utf8) else { throw FileSystemError.notUTF8(path: path.pathString) }
        return text
    }
}

/// Failures of file system operations, with the path and what to do.
public enum FileSystemError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A system call failed.
    case posix(op: String, path: String, errno: Int32)
    /// A file that should be text is not valid UTF-8.
    case notUTF8(path: String)

    public var description: String {
        switch self {
        case .posix(let op, let path, let code):
            let reason = String(cString: strerror(code))
            return "cannot \(op) '\(path)': \(reason)"
        case .notUTF8(let path):
            return "'\(path)' is not UTF-8 text"
        }
    }
}

extension FileSystem {
    /// The names in a directory, or none when it does not exist; any other error is thrown (a
    /// directory that cannot be read is never taken as empty).
    public func listIfPresent(_ path: AbsolutePath) throws -> [String] {
        do {
            return try list(path)
        } catch FileSystemError.posix(_, _, let code) where code == ENOENT || (code == ENOTDIR && !exists(path)) {
            return []
        }
    }

    /// A file's contents, or nil when it does not exist; any other error is thrown.
    public func readIfPresent(_ path: AbsolutePath) throws -> Data? {
        do {
            return try read(path)
        } catch FileSystemError.posix(_, _, let code) where code == ENOENT {
            return nil
        }
    }
}

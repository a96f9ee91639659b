import Foundation
import ReelBasics
import Synchronization

/// A file system in memory: files, directories and symlinks, with inodes and modification times,
/// for tests of resolution, globbing and confinement that need no disk.
public final class InMemoryFileSystem: FileSystem {
    enum Entry {
        case file(Data, inode: UInt64, mtime: Int64)
        case directory(inode: UInt64)
        case symlink(String, inode: UInt64)
    }

    private struct State {
        var entries: [String: Entry] = ["/": .directory(inode: 1)]
        var nextInode: UInt64 = 2
        var clock: Int64 = 1_000_000_000
    }

    private let state = Mutex(State())

    public init() {}

    /// Adds a file (and its parent folders).
    public func addFile(_ path: String, _ contents: String = "") {
        addFile(path, data: Data(contents.utf8))
    }

    /// Adds a file with raw bytes.
    public func addFile(_ path: String, data: Data) {
        guard let absolute = AbsolutePath(path) else { return }
        try? createDirectory(absolute.parent)
        state.withLock { state in
            state.clock += 1
            state.entries[absolute.pathString] = .file(data, inode: state.nextInode, mtime: state.clock)
            state.nextInode += 1
        }
    }

    /// Adds a symlink at `path` pointing to `target` (absolute or relative to its folder).
    public func addSymlink(_ path: String, to target: String) {
        guard let absolute = AbsolutePath(path) else { return }
        try? createDirectory(absolute.parent)
        state.withLock { state in
            state.entries[absolute.pathString] = .symlink(target, inode: state.nextInode)
            state.nextInode += 1
        }
    }

    private func entry(_ path: String) -> Entry? {
        state.withLock { $0.entries[path] }
    }

    private func resolve(_ path: AbsolutePath, depth: Int = 0) -> AbsolutePath? {
        guard depth < 32 else { return nil }
        var current = AbsolutePath("/") ?? path
        for component in path.components {
            let next = current.appending(component)
            if case .symlink(let target, _)? = entry(next.pathString) {
                let destination = AbsolutePath(target, relativeTo: current)
                guard let resolved = resolve(destination, depth: depth + 1) else { return nil }
                current = resolved
            } else {
                current = next
            }
        }
        return current
    }

    public func info(_ path: AbsolutePath) -> FileInfo? {
        guard let parent = resolve(path.parent) else { return nil }
        return makeInfo(entry(parent.appending(path.basename).pathString))
    }

    public func infoFollowingSymlinks(_ path: AbsolutePath) -> FileInfo? {
        guard let resolved = resolve(path) else { return nil }
        return makeInfo(entry(resolved.pathString))
    }

    private func makeInfo(_ entry: Entry?) -> FileInfo? {
        switch entry {
        case .file(let data, let inode, let mtime)?:
            return FileInfo(kind: .file, size: Int64(data.count), modificationNanos: mtime, inode: inode, device: 1)
        case .directory(let inode)?:
            return FileInfo(kind: .directory, size: 0, modificationNanos: 0, inode: inode, device: 1)
        case .symlink(_, let inode)?:
            return FileInfo(kind: .symlink, size: 0, modificationNanos: 0, inode: inode, device: 1)
        case nil:
            return nil
        }
    }

    public func read(_ path: AbsolutePath) throws -> Data {
        guard let resolved = resolve(path), case .file(let data, _, _)? = entry(resolved.pathString) else {
            throw FileSystemError.posix(op: "open", path: path.pathString, errno: ENOENT)
        }
        return data
    }

    public func writeAtomically(_ data: Data, to path: AbsolutePath, durable: Bool) throws {
        try createDirectory(path.parent)
        addFile(path.pathString, data: data)
    }

    public func createDirectory(_ path: AbsolutePath) throws {
        var current = AbsolutePath("/") ?? path
        for component in path.components {
            current = current.appending(component)
            let key = current.pathString
            try state.withLock { state in
                switch state.entries[key] {
                case nil:
                    state.entries[key] = .directory(inode: state.nextInode)
                    state.nextInode += 1
                case .file?:
                    throw FileSystemError.posix(op: "create directory", path: key, errno: EEXIST)
                default:
                    break
                }
            }
        }
    }

    public func list(_ path: AbsolutePath) throws -> [String] {
        guard let resolved = resolve(path), case .directory? = entry(resolved.pathString) else {
            throw FileSystemError.posix(op: "list", path: path.pathString, errno: ENOTDIR)
        }
        let prefix = resolved.pathString == "/" ? "/" : resolved.pathString + "/"
        return state.withLock { state in
            state.entries.keys.filter { $0.hasPrefix(prefix) && $0 != prefix && !$0.dropFirst(prefix.count).contains("/") }
                .map { String($0.dropFirst(prefix.count)) }.sorted()
        }
    }

    public func resolvingSymlinks(_ path: AbsolutePath) throws -> AbsolutePath {
        guard let resolved = resolve(path), entry(resolved.pathString) != nil else {
            throw FileSystemError.posix(op: "resolve", path: path.pathString, errno: ENOENT)
        }
        return resolved
    }

    public func remove(_ path: AbsolutePath) throws {
        state.withLock { state in
            let prefix = path.pathString + "/"
            state.entries = state.entries.filter { $0.key != path.pathString && !$0.key.hasPrefix(prefix) }
        }
    }

    public func rename(_ source: AbsolutePath, to destination: AbsolutePath) throws {
        try state.withLock { state in
            guard let moved = state.entries.removeValue(forKey: source.pathString) else {
                throw FileSystemError.posix(op: "rename", path: source.pathString, errno: ENOENT)
            }
            state.entries[destination.pathString] = moved
        }
    }

    public func linkOrCopy(_ source: AbsolutePath, to destination: AbsolutePath) throws {
        try writeAtomically(try read(source), to: destination)
    }

    public func hash(_ path: AbsolutePath) throws -> (digest: Digest, size: Int64) {
        let data = try read(path)
        return (Digest.of(data), Int64(data.count))
    }

    public func makeReadOnly(_ path: AbsolutePath) throws {}
}

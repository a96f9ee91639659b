import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The real file system, through POSIX calls.
public struct LocalFileSystem: FileSystem {
    public init() {}

    public func info(_ path: AbsolutePath) -> FileInfo? {
        var buffer = stat()
        guard lstat(path.pathString, &buffer) == 0 else { return nil }
        return LocalFileSystem.makeInfo(buffer)
    }

    public func infoFollowingSymlinks(_ path: AbsolutePath) -> FileInfo? {
        var buffer = stat()
        guard stat(path.pathString, &buffer) == 0 else { return nil }
        return LocalFileSystem.makeInfo(buffer)
    }

    static func makeInfo(_ buffer: stat) -> FileInfo {
        let kind: FileInfo.Kind
        switch buffer.st_mode & S_IFMT {
        case S_IFREG: kind = .file
        case S_IFDIR: kind = .directory
        case S_IFLNK: kind = .symlink
        default: kind = .other
        }
        #if canImport(Darwin)
        let nanos = Int64(buffer.st_mtimespec.tv_sec) * 1_000_000_000 + Int64(buffer.st_mtimespec.tv_nsec)
        #else
        let nanos = Int64(buffer.st_mtim.tv_sec) * 1_000_000_000 + Int64(buffer.st_mtim.tv_nsec)
        #endif
        return FileInfo(
            kind: kind, size: Int64(buffer.st_size), modificationNanos: nanos,
            inode: UInt64(buffer.st_ino), device: UInt64(buffer.st_dev), linkCount: UInt64(buffer.st_nlink))
    }

    public func read(_ path: AbsolutePath) throws -> Data {
        let fd = open(path.pathString, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystemError.posix(op: "open", path: path.pathString, errno: errno) }
        defer { close(fd) }
        var result = Data()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc_read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw FileSystemError.posix(op: "read", path: path.pathString, errno: errno)
            }
            if count == 0 { break }
            result.append(contentsOf: buffer[0..<count])
        }
        return result
    }

    public func writeAtomically(_ data: Data, to path: AbsolutePath, durable: Bool) throws {
        let directory = path.parent
        try createDirectory(directory)
        let temporary = directory.appending(".\(path.basename).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        let fd = open(temporary.pathString, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileSystemError.posix(op: "create", path: temporary.pathString, errno: errno) }
        var closed = false
        defer {
            if !closed { close(fd) }
        }
        do {
            try data.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let written = Glibc_write(fd, raw.baseAddress?.advanced(by: offset), raw.count - offset)
                    if written < 0 {
                        if errno == EINTR { continue }
                        throw FileSystemError.posix(op: "write", path: temporary.pathString, errno: errno)
                    }
                    offset += written
                }
            }
            if durable {
                guard fsync(fd) == 0 else { throw FileSystemError.posix(op: "fsync", path: temporary.pathString, errno: errno) }
            }
            close(fd)
            closed = true
            try rename(temporary, to: path)
            if durable { try LocalFileSystem.syncDirectory(directory) }
        } catch {
            unlink(temporary.pathString)
            throw error
        }
    }

    /// Flushes a directory entry so a rename survives a crash.
    /// - Throws: when the directory cannot be opened or flushed (the rename may not survive a crash).
    public static func syncDirectory(_ directory: AbsolutePath) throws {
        let fd = open(directory.pathString, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystemError.posix(op: "open directory for fsync", path: directory.pathString, errno: errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw FileSystemError.posix(op: "fsync", path: directory.pathString, errno: errno) }
    }

    public func createDirectory(_ path: AbsolutePath) throws {
        if mkdir(path.pathString, 0o755) == 0 { return }
        let code = errno
        if code == EEXIST, isDirectory(path) { return }
        if code == ENOENT, path.pathString != "/" {
            try createDirectory(path.parent)
            if mkdir(path.pathString, 0o755) == 0 || (errno == EEXIST && isDirectory(path)) { return }
        }
        throw FileSystemError.posix(op: "create directory", path: path.pathString, errno: code == ENOENT ? errno : code)
    }

    public func list(_ path: AbsolutePath) throws -> [String] {
        guard let dir = opendir(path.pathString) else {
            throw FileSystemError.posix(op: "list", path: path.pathString, errno: errno)
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    public func resolvingSymlinks(_ path: AbsolutePath) throws -> AbsolutePath {
        guard let resolved = realpath(path.pathString, nil) else {
            throw FileSystemError.posix(op: "resolve", path: path.pathString, errno: errno)
        }
        defer { free(resolved) }
        return AbsolutePath(String(cString: resolved)) ?? path
    }

    public func remove(_ path: AbsolutePath) throws {
        guard let info = info(path) else { return }
        if info.kind == .directory {
            for name in try list(path) { try remove(path.appending(name)) }
            if rmdir(path.pathString) != 0 && errno != ENOENT {
                throw FileSystemError.posix(op: "remove", path: path.pathString, errno: errno)
            }
        } else if unlink(path.pathString) != 0 && errno != ENOENT {
            throw FileSystemError.posix(op: "remove", path: path.pathString, errno: errno)
        }
    }

    public func rename(_ source: AbsolutePath, to destination: AbsolutePath) throws {
        guard posixRename(source.pathString, destination.pathString) == 0 else {
            throw FileSystemError.posix(op: "rename", path: "\(source) -> \(destination)", errno: errno)
        }
    }

    public func linkOrCopy(_ source: AbsolutePath, to destination: AbsolutePath) throws {
        try createDirectory(destination.parent)
        let temporary = destination.parent.appending(".\(destination.basename).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        if link(source.pathString, temporary.pathString) != 0 {
            try copyFile(source, to: temporary)
        }
        do {
            try rename(temporary, to: destination)
        } catch {
            unlink(temporary.pathString)
            throw error
        }
    }

    private func copyFile(_ source: AbsolutePath, to destination: AbsolutePath) throws {
        let input = open(source.pathString, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw FileSystemError.posix(op: "open", path: source.pathString, errno: errno) }
        defer { close(input) }
        let output = open(destination.pathString, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard output >= 0 else { throw FileSystemError.posix(op: "create", path: destination.pathString, errno: errno) }
        defer { close(output) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc_read(input, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw FileSystemError.posix(op: "read", path: source.pathString, errno: errno)
            }
            if count == 0 { break }
            var offset = 0
            while offset < count {
                let written = buffer.withUnsafeBytes { Glibc_write(output, $0.baseAddress?.advanced(by: offset), count - offset) }
                if written < 0 {
                    if errno == EINTR { continue }
                    throw FileSystemError.posix(op: "write", path: destination.pathString, errno: errno)
                }
                offset += written
            }
        }
        guard fsync(output) == 0 else { throw FileSystemError.posix(op: "fsync", path: destination.pathString, errno: errno) }
    }

    public func hash(_ path: AbsolutePath) throws -> (digest: Digest, size: Int64) {
        try FileHasher.hash(path: path.pathString)
    }

    public func makeReadOnly(_ path: AbsolutePath) throws {
        guard chmod(path.pathString, 0o444) == 0 else {
            throw FileSystemError.posix(op: "chmod", path: path.pathString, errno: errno)
        }
    }
}

// Free functions named to avoid clashing with FileSystem.read/write inside the struct.
@inline(__always) func Glibc_read(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(fd, buffer, count)
}

@inline(__always) func Glibc_write(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
    write(fd, buffer, count)
}

@inline(__always) func posixRename(_ source: String, _ destination: String) -> Int32 {
    rename(source, destination)
}

import Foundation
import ReelBasics

/// Writes a download to a file and hashes it on the way, so a blob is verified without being
/// read back. Chunks arrive one at a time, in order (the transport's contract), so its state needs
/// no lock. The file is created (or truncated) with mode 0644.
final class HashingFileWriter: DownloadSink, @unchecked Sendable {
    /// The download grew past the size the blob should have: it cannot be the blob.
    struct LimitExceeded: Error {
        var received: Int64
    }

    let path: AbsolutePath
    let limit: Int64?
    private var fd: Int32
    private var builder = DigestBuilder()

    init(path: AbsolutePath, limit: Int64?) throws {
        self.path = path
        self.limit = limit
        fd = open(path.pathString, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileSystemError.posix(op: "create", path: path.pathString, errno: errno) }
    }

    deinit {
        if fd >= 0 { Glibc.close(fd) }
    }

    var count: Int64 { builder.count }
    var digest: Digest { builder.finalize() }

    func receive(_ chunk: UnsafeRawBufferPointer) throws {
        if let limit, builder.count + Int64(chunk.count) > limit {
            throw LimitExceeded(received: builder.count + Int64(chunk.count))
        }
        builder.update(chunk)
        var offset = 0
        while offset < chunk.count {
            let written = write(fd, chunk.baseAddress! + offset, chunk.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw FileSystemError.posix(op: "write", path: path.pathString, errno: errno)
            }
            offset += written
        }
    }

    /// Closes the file (idempotent).
    func close() throws {
        guard fd >= 0 else { return }
        let result = Glibc.close(fd)
        fd = -1
        if result != 0 { throw FileSystemError.posix(op: "close", path: path.pathString, errno: errno) }
    }
}

/// Keeps a small download in memory, up to a limit (action records and metadata are a few
/// hundred bytes; a server sending more is not sending Reel's entry).
final class MemorySink: DownloadSink, @unchecked Sendable {
    struct LimitExceeded: Error, CustomStringConvertible {
        var limit: Int64
        var description: String { "the entry is larger than \(limit) bytes" }
    }

    let limit: Int64
    private(set) var data = Data()

    init(limit: Int64) {
        self.limit = limit
    }

    func receive(_ chunk: UnsafeRawBufferPointer) throws {
        guard Int64(data.count + chunk.count) <= limit else { throw LimitExceeded(limit: limit) }
        data.append(contentsOf: chunk)
    }
}

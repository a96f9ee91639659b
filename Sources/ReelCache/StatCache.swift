import Foundation
import ReelBasics
import Synchronization

/// Remembers the digest of each file by (path, size, mtime, inode, device), so an unchanged file is
/// never hashed twice (DVC's state database, Ninja's restat). Stored as one TSV file; a concurrent
/// writer may drop the other's new entries, which only costs a rehash later.
public final class StatCache: Sendable {
    struct Entry: Equatable {
        var size: Int64
        var modificationNanos: Int64
        var inode: UInt64
        var device: UInt64
        var digest: Digest
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var dirty = false
    }

    private let path: AbsolutePath
    private let fileSystem: any FileSystem
    private let state = Mutex(State())
    /// Most entries kept; the file is rewritten without the oldest half beyond this.
    public static let capacity = 200_000

    /// Loads the stat cache at `path` (empty when absent or unreadable).
    public init(path: AbsolutePath, fileSystem: any FileSystem) {
        self.path = path
        self.fileSystem = fileSystem
        let entries = StatCache.load(path, fileSystem: fileSystem)
        state.withLock { $0.entries = entries }
    }

    /// Hits and misses since this instance was created.
    public var count: Int { state.withLock { $0.entries.count } }

    /// The digest of `file`, from the cache when its stat matches, else by hashing it.
    /// - Returns: the digest and whether it was hashed now.
    public func digest(of file: AbsolutePath) throws -> (digest: Digest, hashed: Bool) {
        guard let info = fileSystem.infoFollowingSymlinks(file) else {
            throw FileSystemError.posix(op: "stat", path: file.pathString, errno: ENOENT)
        }
        if let known = cachedDigest(of: file, info: info) { return (known, false) }
        let (digest, _) = try fileSystem.hash(file)
        // Only remember it if the file did not change while we read it.
        if let after = fileSystem.infoFollowingSymlinks(file), after == info {
            remember(file, info: info, digest: digest)
        }
        return (digest, true)
    }

    /// The cached digest when the entry matches `info`.
    public func cachedDigest(of file: AbsolutePath, info: FileInfo) -> Digest? {
        state.withLock { state in
            guard let entry = state.entries[file.pathString], entry.size == info.size,
                entry.modificationNanos == info.modificationNanos, entry.inode == info.inode, entry.device == info.device
            else { return nil }
            return entry.digest
        }
    }

    /// Records that `file`, as described by `info`, has `digest`.
    public func remember(_ file: AbsolutePath, info: FileInfo, digest: Digest) {
        guard !file.pathString.contains("\t"), !file.pathString.contains("\n") else { return }
        let entry = Entry(size: info.size, modificationNanos: info.modificationNanos, inode: info.inode, device: info.device, digest: digest)
        state.withLock { state in
            if state.entries[file.pathString] != entry {
                state.entries[file.pathString] = entry
                state.dirty = true
            }
        }
    }

    /// Forgets `file` (after it was found damaged or removed).
    public func forget(_ file: AbsolutePath) {
        state.withLock { state in
            if state.entries.removeValue(forKey: file.pathString) != nil { state.dirty = true }
        }
    }

    /// Writes the cache back if anything changed.
    public func save() throws {
        let text: String? = state.withLock { state in
            guard state.dirty else { return nil }
            state.dirty = false
            var lines: [String] = ["# reel stat cache v1: digest size mtime_ns inode device path"]
            lines.reserveCapacity(state.entries.count + 1)
            for (path, entry) in state.entries.sorted(by: { $0.key < $1.key }).suffix(StatCache.capacity) {
                lines.append("\(entry.digest.hex)\t\(entry.size)\t\(entry.modificationNanos)\t\(entry.inode)\t\(entry.device)\t\(path)")
            }
            return lines.joined(separator: "\n") + "\n"
        }
        guard let text else { return }
        try fileSystem.writeAtomically(Data(text.utf8), to: path, durable: false)
    }

    private static func load(_ path: AbsolutePath, fileSystem: any FileSystem) -> [String: Entry] {
        guard let data = try? fileSystem.read(path) else { return [:] }
        var entries: [String: Entry] = [:]
        let bytes = [UInt8](data)  // split as an array: slices of `Data` cost more on Linux
        entries.reserveCapacity(bytes.count / 150)
        for line in bytes.split(separator: UInt8(ascii: "\n")) where line.first != UInt8(ascii: "#") {
            let fields = line.split(separator: UInt8(ascii: "\t"), maxSplits: 5, omittingEmptySubsequences: false)
            guard fields.count == 6,
                let digest = Digest(hexDigits: fields[0]),
                let size = signed(fields[1]), let mtime = signed(fields[2]), let inode = unsigned(fields[3]), let device = unsigned(fields[4])
            else { continue }
            let filePath = String(decoding: fields[5], as: UTF8.self)
            entries[filePath] = Entry(size: size, modificationNanos: mtime, inode: inode, device: device, digest: digest)
        }
        return entries
    }

    /// Decimal digits read from bytes, without a `String` per field: 35,000 lines of a
    /// 10,000-pair cache made 140,000 of them at every start. `nil` when it is not one, or does
    /// not fit in 64 bits.
    static func unsigned(_ bytes: ArraySlice<UInt8>) -> UInt64? {
        guard !bytes.isEmpty else { return nil }
        var value: UInt64 = 0
        for byte in bytes {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let (shifted, overflowA) = value.multipliedReportingOverflow(by: 10)
            let (next, overflowB) = shifted.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
            guard !overflowA, !overflowB else { return nil }
            value = next
        }
        return value
    }

    /// An optional `-`, then decimal digits (see `unsigned`).
    static func signed(_ bytes: ArraySlice<UInt8>) -> Int64? {
        if bytes.first == UInt8(ascii: "-") {
            guard let magnitude = unsigned(bytes.dropFirst()), magnitude <= UInt64(Int64.max) + 1 else { return nil }
            return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        }
        return unsigned(bytes).flatMap { Int64(exactly: $0) }
    }
}

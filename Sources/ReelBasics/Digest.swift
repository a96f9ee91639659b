import Crypto
import Foundation

/// A SHA-256 content digest, the identity of every blob, asset and action key in Reel.
///
/// Textual form is `sha256:<64 lowercase hex digits>`; `hex` is the bare digits, used for
/// file names in the content store.
public struct Digest: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The 64 lowercase hexadecimal digits.
    public let hex: String

    /// Creates a digest from 64 hex digits, with or without the `sha256:` prefix.
    /// - Returns: `nil` when the text is not a SHA-256 digest.
    public init?(_ text: String) {
        let bare = text.hasPrefix("sha256:") ? String(text.dropFirst(7)) : text
        guard bare.utf8.count == 64, bare.utf8.allSatisfy({ Digest.isHexDigit($0) }) else { return nil }
        self.hex = bare.lowercased()
    }

    init(hashed: SHA256.Digest) {
        self.hex = Digest.hexString(hashed)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// Lowercase hex of `bytes` (String(format:) per byte is ~50x slower on Linux).
    static func hexString(_ bytes: some Sequence<UInt8>) -> String {
        var utf8: [UInt8] = []
        utf8.reserveCapacity(64)
        for byte in bytes {
            utf8.append(hexDigits[Int(byte >> 4)])
            utf8.append(hexDigits[Int(byte & 0x0f)])
        }
        return String(decoding: utf8, as: UTF8.self)
    }

    /// The digest of `data`.
    public static func of(_ data: some DataProtocol) -> Digest {
        Digest(hashed: SHA256.hash(data: data))
    }

    /// The digest of a UTF-8 string.
    public static func of(string: String) -> Digest {
        of(Data(string.utf8))
    }

    /// `sha256:<hex>`.
    public var description: String { "sha256:" + hex }

    /// The first 12 hex digits, for humans.
    public var short: String { String(hex.prefix(12)) }

    public static func < (lhs: Digest, rhs: Digest) -> Bool { lhs.hex < rhs.hex }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (byte >= 48 && byte <= 57) || (byte >= 97 && byte <= 102) || (byte >= 65 && byte <= 70)
    }
}

extension Digest: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let digest = Digest(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(text)' is not a sha256 digest")
        }
        self = digest
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// Streaming SHA-256 over a file, read in large chunks straight from the descriptor.
public enum FileHasher {
    /// Size of each read: large enough that syscalls do not dominate, small enough to stay in cache.
    public static let chunkSize = 1 << 20

    /// Hashes the file at `path`.
    /// - Returns: the digest and the number of bytes read.
    /// - Throws: `FileSystemError` when the file cannot be opened or read.
    public static func hash(path: String) throws -> (digest: Digest, size: Int64) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystemError.posix(op: "open", path: path, errno: errno) }
        defer { close(fd) }
        var hasher = SHA256()
        var total: Int64 = 0
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 64)
        defer { buffer.deallocate() }
        while true {
            let count = read(fd, buffer.baseAddress, chunkSize)
            if count < 0 {
                if errno == EINTR { continue }
                throw FileSystemError.posix(op: "read", path: path, errno: errno)
            }
            if count == 0 { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            total += Int64(count)
        }
        return (Digest(hashed: hasher.finalize()), total)
    }
}

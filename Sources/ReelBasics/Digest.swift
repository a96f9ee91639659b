import Crypto
import Foundation

/// A SHA-256 content digest, the identity of every blob, asset and action key in Reel.
///
/// Textual form is `sha256:<64 lowercase hex digits>`; `hex` is the bare digits, used for
/// file names in the content store.
public struct Digest: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The 32 bytes as four big-endian words: a digest is a plain value (no heap allocation), and
    /// comparing the words in order compares the hex text. A campaign holds several digests per
    /// node (key, inputs, outputs); as 64-character strings they were a tenth of a no-op's heap.
    private let w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64

    /// The 64 lowercase hexadecimal digits.
    public var hex: String {
        String(unsafeUninitializedCapacity: 64) { buffer in
            func put(_ word: UInt64, at start: Int) {
                for nibble in 0..<16 {
                    buffer[start + nibble] = Digest.hexDigits[Int(truncatingIfNeeded: (word >> UInt64(60 - 4 * nibble)) & 0x0f)]
                }
            }
            put(w0, at: 0)
            put(w1, at: 16)
            put(w2, at: 32)
            put(w3, at: 48)
            return 64
        }
    }

    /// Creates a digest from 64 hex digits (either case), with or without the `sha256:` prefix.
    /// - Returns: `nil` when the text is not a SHA-256 digest.
    public init?(_ text: String) {
        var text = text
        let words = text.withUTF8 { bytes -> (UInt64, UInt64, UInt64, UInt64)? in
            if bytes.count == 71, bytes.starts(with: Digest.prefix) { return Digest.words(UnsafeBufferPointer(rebasing: bytes[7...])) }
            return Digest.words(bytes)
        }
        guard let words else { return nil }
        (w0, w1, w2, w3) = words
    }

    /// Creates a digest from exactly 64 hex digits given as UTF-8 bytes (no prefix), without making
    /// a string first: for readers of large tab-separated files.
    public init?(hexDigits utf8: ArraySlice<UInt8>) {
        guard let words = utf8.withUnsafeBufferPointer({ Digest.words($0) }) else { return nil }
        (w0, w1, w2, w3) = words
    }

    /// The four words of 64 hex digits (either case); `nil` for anything else.
    private static func words(_ bytes: UnsafeBufferPointer<UInt8>) -> (UInt64, UInt64, UInt64, UInt64)? {
        guard bytes.count == 64 else { return nil }
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        for word in 0..<4 {
            var value: UInt64 = 0
            for offset in (word * 16)..<(word * 16 + 16) {
                guard let digit = nibble(bytes[offset]) else { return nil }
                value = value << 4 | UInt64(digit)
            }
            switch word {
            case 0: words.0 = value
            case 1: words.1 = value
            case 2: words.2 = value
            default: words.3 = value
            }
        }
        return words
    }

    init(hashed: SHA256.Digest) {
        (w0, w1, w2, w3) = hashed.withUnsafeBytes { bytes in
            func word(_ offset: Int) -> UInt64 { UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) }
            return (word(0), word(8), word(16), word(24))
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
    private static let prefix = Array("sha256:".utf8)

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

    public static func < (lhs: Digest, rhs: Digest) -> Bool { (lhs.w0, lhs.w1, lhs.w2, lhs.w3) < (rhs.w0, rhs.w1, rhs.w2, rhs.w3) }

    /// The value of one hex digit, either case.
    private static func nibble(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 48...57: return byte - 48
        case 97...102: return byte - 87
        case 65...70: return byte - 55
        default: return nil
        }
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

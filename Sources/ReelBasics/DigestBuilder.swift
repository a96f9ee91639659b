import Crypto
import Foundation

/// SHA-256 over bytes that arrive in pieces (a download being written to disk), so content is
/// verified while it streams instead of being read back afterwards.
public struct DigestBuilder: Sendable {
    private var hasher = SHA256()
    /// Bytes hashed so far.
    public private(set) var count: Int64 = 0

    public init() {}

    /// Adds the next piece.
    public mutating func update(_ data: Data) {
        hasher.update(data: data)
        count += Int64(data.count)
    }

    /// Adds the next piece, from memory the caller owns.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        hasher.update(bufferPointer: bytes)
        count += Int64(bytes.count)
    }

    /// Adds the UTF-8 bytes of `text` (without copying a native string).
    public mutating func update(_ text: String) {
        var text = text
        text.withUTF8 { update(UnsafeRawBufferPointer($0)) }
    }

    /// The digest of everything added.
    public func finalize() -> Digest {
        Digest(hashed: hasher.finalize())
    }
}

import Foundation
import ReelBasics
import Synchronization

/// Remembers which image contents decoded completely (by content digest, with their size in
/// pixels), so each image is decoded once, not on every plan: a no-op build reads this one small
/// file. Only good images are remembered; a bad one is checked again until it is fixed. Stored as
/// TSV beside the stat cache; a concurrent writer may drop the other's entries, which only costs a
/// decode later.
public final class ImageCheckMemo: Sendable {
    /// Bumped when what the check looks for changes, so older answers are not trusted.
    public static let version = "1"

    private struct State {
        var entries: [Digest: (width: Int, height: Int)] = [:]
        var dirty = false
    }

    private let path: AbsolutePath
    private let fileSystem: any FileSystem
    private let state = Mutex(State())

    /// Loads the memo at `path` (empty when absent).
    /// - Throws: when it exists but cannot be read.
    public init(path: AbsolutePath, fileSystem: any FileSystem) throws {
        self.path = path
        self.fileSystem = fileSystem
        var entries: [Digest: (width: Int, height: Int)] = [:]
        if let data = try fileSystem.readIfPresent(path) {
            for line in data.split(separator: UInt8(ascii: "\n")) where line.first != UInt8(ascii: "#") {
                let fields = line.split(separator: UInt8(ascii: "\t")).map { String(decoding: $0, as: UTF8.self) }
                guard fields.count == 4, fields[0] == ImageCheckMemo.version, let digest = Digest(fields[1]),
                    let width = Int(fields[2]), let height = Int(fields[3])
                else { continue }
                entries[digest] = (width, height)
            }
        }
        state.withLock { $0.entries = entries }
    }

    /// The remembered size of a good image with `digest`.
    public func size(of digest: Digest) -> (width: Int, height: Int)? {
        state.withLock { $0.entries[digest] }
    }

    /// Records that the image with `digest` decoded completely.
    public func rememberGood(_ digest: Digest, width: Int, height: Int) {
        state.withLock { state in
            if state.entries[digest] == nil {
                state.entries[digest] = (width, height)
                state.dirty = true
            }
        }
    }

    /// Writes the memo back if anything changed.
    public func save() throws {
        let text: String? = state.withLock { state in
            guard state.dirty else { return nil }
            state.dirty = false
            var lines = ["# reel image checks: version digest width height"]
            for (digest, size) in state.entries.sorted(by: { $0.key.hex < $1.key.hex }) {
                lines.append("\(ImageCheckMemo.version)\t\(digest.hex)\t\(size.width)\t\(size.height)")
            }
            return lines.joined(separator: "\n") + "\n"
        }
        guard let text else { return }
        try fileSystem.writeAtomically(Data(text.utf8), to: path, durable: false)
    }
}

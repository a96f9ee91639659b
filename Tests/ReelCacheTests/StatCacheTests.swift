import Foundation
import ReelBasics
import ReelCache
import ReelTestSupport
import Testing

/// The stat cache file is read back exactly, at the edges of its numbers too; lines that are not
/// entries are skipped, never misread.
@Suite struct StatCacheTests {
    @Test func entriesRoundTripThroughTheFile() async throws {
        try await withTemporaryDirectory { directory in
            let fileSystem = LocalFileSystem()
            let path = directory.appending("stat-cache.tsv")
            let infos: [(String, FileInfo)] = [
                ("plain", FileInfo(kind: .file, size: 710, modificationNanos: 1_795_930_852_506_672_944, inode: 5_704_001, device: 65_024)),
                ("before-1970", FileInfo(kind: .file, size: 0, modificationNanos: -1_000_000_123, inode: 1, device: 0)),
                ("largest", FileInfo(kind: .file, size: Int64.max, modificationNanos: Int64.min, inode: UInt64.max, device: UInt64.max)),
            ]
            let cache = StatCache(path: path, fileSystem: fileSystem)
            for (name, info) in infos { cache.remember(directory.appending(name), info: info, digest: Digest.of(string: name)) }
            try cache.save()

            var text = try String(contentsOfFile: path.pathString, encoding: .utf8)
            // Damaged lines: skipped.
            text += "\(Digest.of(string: "x").hex)\t12a\t1\t1\t1\t\(directory.appending("letters").pathString)\n"
            text += "\(Digest.of(string: "x").hex)\t1\t1\t18446744073709551616\t1\t\(directory.appending("too-large").pathString)\n"
            text += "\(Digest.of(string: "x").hex)\t1\t1\t-1\t1\t\(directory.appending("negative-inode").pathString)\n"
            text += "not a line\n"
            try Data(text.utf8).write(to: URL(fileURLWithPath: path.pathString))

            let reread = StatCache(path: path, fileSystem: fileSystem)
            for (name, info) in infos {
                #expect(reread.cachedDigest(of: directory.appending(name), info: info) == Digest.of(string: name), "\(name)")
            }
            let any = FileInfo(kind: .file, size: 1, modificationNanos: 1, inode: 1, device: 1)
            for name in ["letters", "too-large", "negative-inode"] {
                #expect(reread.cachedDigest(of: directory.appending(name), info: any) == nil, "\(name)")
            }
        }
    }
}

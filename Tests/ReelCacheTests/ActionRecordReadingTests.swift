import Foundation
import ReelBasics
import ReelCache
import ReelTestSupport
import Testing

/// Planning reads each record's key, outputs and metadata (`DiskActionCache.outputs(for:)`):
/// every JSON kind comes back as it was stored, also when a key's kind changes from one record
/// to the next (the decoder guesses a key's kind from the last record), and a damaged record is
/// an error, never a miss.
@Suite struct ActionRecordReadingTests {
    func record(_ name: String, metadata: [String: CanonicalValue], outputs: Int = 1) -> ActionRecord {
        ActionRecord(
            key: Digest.of(string: name), kind: "generate",
            outputs: (0..<outputs).map { ActionOutput(name: $0 == 0 ? "clip" : "extra\($0)", digest: Digest.of(string: "\(name) \($0)"), size: 1_000 + Int64($0)) },
            metadata: metadata, keyMaterial: .object(["kind": "generate", "inputs": .array([1, .decimal(2.5), true, .null])]),
            createdAt: "2026-11-29T00:00:00.000Z", durationSeconds: 1.25)
    }

    func makeCache(_ directory: AbsolutePath) throws -> (DiskActionCache, CacheLayout) {
        let layout = CacheLayout(root: directory.appending("cache"))
        let fileSystem = LocalFileSystem()
        try layout.prepare(on: fileSystem)
        return (DiskActionCache(layout: layout, fileSystem: fileSystem), layout)
    }

    @Test func everyKindRoundTripsWhateverTheLastRecordHad() async throws {
        try await withTemporaryDirectory { directory in
            let (cache, _) = try makeCache(directory)
            let first: [String: CanonicalValue] = [
                "model": "animatic", "cost_usd": .decimal(0.25), "frames": 48, "has_audio": false, "note": .null,
                "pairs": .array(["a", 1, .object(["x": 1])]),
                "media": .object(["width": 1280, "frame_rate": "24/1", "duration": .decimal(8.5), "tags": .array([])]),
            ]
            // The same keys with other kinds: each guess from the first record is wrong once.
            let second: [String: CanonicalValue] = [
                "model": 7, "cost_usd": "free", "frames": .decimal(47.5), "has_audio": "no", "note": .object(["n": true]),
                "pairs": "none", "media": .array([.object(["width": "wide"])]),
            ]
            for (name, metadata) in [("one", first), ("two", second), ("three", first), ("four", [:])] {
                let stored = record(name, metadata: metadata, outputs: name == "three" ? 3 : 1)
                try cache.store(stored)
                let read = try #require(try cache.outputs(for: stored.key))
                #expect(read.outputs == stored.outputs)
                #expect(read.metadata == metadata, "\(name)")
            }
            #expect(try cache.outputs(for: Digest.of(string: "absent")) == nil)
        }
    }

    @Test func aDamagedOrMisfiledRecordIsAnErrorNotAMiss() async throws {
        try await withTemporaryDirectory { directory in
            let (cache, layout) = try makeCache(directory)
            let stored = record("damaged", metadata: ["model": "m"])
            try cache.store(stored)
            let path = layout.actionPath(stored.key)
            let text = try String(contentsOfFile: path.pathString, encoding: .utf8)
            for broken in [String(text.prefix(text.count / 2)), text.replacingOccurrences(of: "\"outputs\"", with: "\"outputz\""), "[]", ""] {
                try FileManager.default.removeItem(atPath: path.pathString)
                try Data(broken.utf8).write(to: URL(fileURLWithPath: path.pathString))
                #expect(throws: CacheUnavailable.self) { _ = try cache.outputs(for: stored.key) }
            }
            // A record filed under another key.
            let other = record("other", metadata: [:])
            try cache.store(other)
            try FileManager.default.removeItem(atPath: path.pathString)
            try FileManager.default.copyItem(atPath: layout.actionPath(other.key).pathString, toPath: path.pathString)
            #expect(throws: CacheUnavailable.self) { _ = try cache.outputs(for: stored.key) }
        }
    }
}

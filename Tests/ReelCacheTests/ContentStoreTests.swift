import Foundation
import ReelBasics
import ReelCache
import ReelTestSupport
import Testing

@Suite struct ContentStoreTests {
    func makeStore(_ directory: AbsolutePath) throws -> DiskContentStore {
        let layout = CacheLayout(root: directory.appending("cache"))
        let fileSystem = LocalFileSystem()
        try layout.prepare(on: fileSystem)
        return DiskContentStore(layout: layout, fileSystem: fileSystem, statCache: StatCache(path: layout.statCachePath, fileSystem: fileSystem))
    }

    @Test func storesReadOnlyBlobsByDigest() async throws {
        try await withTemporaryDirectory { directory in
            let store = try makeStore(directory)
            let digest = try store.insert(Data("hello".utf8))
            #expect(digest == Digest.of(string: "hello"))
            let path = store.path(for: digest)
            #expect(path.pathString.hasSuffix("/cas/sha256/2c/f24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"))
            let attributes = try FileManager.default.attributesOfItem(atPath: path.pathString)
            #expect((attributes[.posixPermissions] as? Int) == 0o444)
            #expect(try store.verify(digest) == .present)
            #expect(FileManager.default.fileExists(atPath: directory.appending("cache/CACHEDIR.TAG").pathString))
        }
    }

    @Test func detectsDamageAndMissingBlobs() async throws {
        try await withTemporaryDirectory { directory in
            let store = try makeStore(directory)
            let digest = try store.insert(Data("precious".utf8))
            let path = store.path(for: digest).pathString
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
            try Data("tampered".utf8).write(to: URL(fileURLWithPath: path))
            #expect(try store.verify(digest) == .corrupt)
            try FileManager.default.removeItem(atPath: path)
            #expect(try store.verify(digest) == .missing)
        }
    }

    @Test func actionCacheRoundTrips() async throws {
        try await withTemporaryDirectory { directory in
            let layout = CacheLayout(root: directory)
            let cache = DiskActionCache(layout: layout, fileSystem: LocalFileSystem())
            let key = Digest.of(string: "key")
            let record = ActionRecord(
                key: key, kind: "generate", outputs: [ActionOutput(name: "clip", digest: Digest.of(string: "clip"), size: 4)],
                metadata: ["provider": "local"], keyMaterial: .object(["kind": "generate"]), createdAt: "2026-11-25T00:00:00Z",
                durationSeconds: 1.5)
            #expect(try cache.lookup(key) == nil)
            try cache.store(record)
            #expect(try cache.lookup(key) == record)
            try cache.remove(key)
            #expect(try cache.lookup(key) == nil)
        }
    }

    @Test func statCacheAvoidsRehashing() async throws {
        try await withTemporaryDirectory { directory in
            let file = directory.appending("asset.jpg")
            try writeFile("pixels", to: file)
            let statPath = directory.appending("stat.tsv")
            let cache = StatCache(path: statPath, fileSystem: LocalFileSystem())
            #expect(try cache.digest(of: file).hashed)
            #expect(try !cache.digest(of: file).hashed)
            try cache.save()
            let reloaded = StatCache(path: statPath, fileSystem: LocalFileSystem())
            #expect(try !reloaded.digest(of: file).hashed)
            try writeFile("other pixels", to: file)
            let (digest, hashed) = try reloaded.digest(of: file)
            #expect(hashed)
            #expect(digest == Digest.of(string: "other pixels"))
        }
    }
}

import Foundation
import ReelBasics
import ReelCache
import ReelRemoteCache
import ReelTestSupport
import Testing

/// The reference server: nginx's WebDAV module, configured as Bazel's docs configure it.
@Suite(.serialized) struct NginxRemoteCacheTests {
    @Test func roundTripBetweenTwoRunners() async throws {
        let nginx = try await CacheServerProcess.startNginx()
        defer { Task { await nginx.stop() } }
        try await withTemporaryDirectory { directory in
            let clip = try TestBlob(in: directory, size: 3 * 1024 * 1024 + 17, seed: 1)
            let key = Digest.of(string: "node key 1")
            let record = makeRecord(key: key, clip: clip)

            let runnerA = try makeClient(nginx.baseURL, uploads: true)
            #expect(try await runnerA.actionRecord(for: key) == nil)
            try await publish(record, clip: clip, with: runnerA)

            // The entries are where the Bazel protocol puts them, under the salted key.
            let acHex = RemoteCacheClient.actionKey(for: key).hex
            #expect(acHex != key.hex)
            #expect(LocalFileSystem().exists(nginx.entryPath("ac", acHex)))
            #expect(try LocalFileSystem().read(nginx.entryPath("cas", clip.digest.hex)) == clip.data)

            let runnerB = try makeClient(nginx.baseURL, uploads: false)
            #expect(try await runnerB.actionRecord(for: key) == record)
            let destination = directory.appending("fetched")
            #expect(try await runnerB.fetchBlob(clip.digest, size: clip.size, to: destination))
            #expect(try LocalFileSystem().read(destination) == clip.data)
            #expect(try LocalFileSystem().list(directory).sorted() == ["blob-1", "fetched"])

            // A missing blob is a plain miss, with nothing left behind.
            let absent = directory.appending("absent")
            #expect(try await !runnerB.fetchBlob(Digest.of(string: "nope"), size: nil, to: absent))
            #expect(!LocalFileSystem().exists(absent))
        }
        // Every PUT carried Content-Length and none was chunked.
        let puts = nginx.accessLog().filter { $0.hasPrefix("PUT ") }
        #expect(puts.count == 3)  // clip, metadata, action record
        for line in puts {
            #expect(line.contains("te=- "), "chunked upload: \(line)")
            #expect(!line.contains("cl=- "), "no Content-Length: \(line)")
        }
        await nginx.stop()
    }

    @Test func largeBlobsAreLookedForBeforeTheyAreUploaded() async throws {
        let nginx = try await CacheServerProcess.startNginx()
        defer { Task { await nginx.stop() } }
        try await withTemporaryDirectory { directory in
            let clip = try TestBlob(in: directory, size: 2 * 1024 * 1024, seed: 2)
            let small = try TestBlob(in: directory, size: 1000, seed: 3)
            let client = try makeClient(nginx.baseURL)
            try await client.uploadBlob(clip.digest, from: clip.path, size: clip.size)
            try await client.uploadBlob(clip.digest, from: clip.path, size: clip.size)
            try await client.uploadBlob(small.digest, from: small.path, size: small.size)
            #expect(try await client.containsBlob(clip.digest))
            #expect(try await client.containsBlob(small.digest))
            #expect(try await !client.containsBlob(Digest.of(string: "absent")))
        }
        let requests = nginx.accessLog().map { $0.split(separator: " ").prefix(3).joined(separator: " ") }
        #expect(requests.filter { $0.hasPrefix("PUT") }.count == 2)
        #expect(requests.filter { $0.hasPrefix("HEAD") && $0.contains("/cas/") }.count == 5)
        await nginx.stop()
    }

    @Test func aRecordWhoseClipWasEvictedIsAMissThatSaysSo() async throws {
        let nginx = try await CacheServerProcess.startNginx()
        defer { Task { await nginx.stop() } }
        try await withTemporaryDirectory { directory in
            let clip = try TestBlob(in: directory, size: 5000, seed: 4)
            let key = Digest.of(string: "node key 4")
            let warnings = Warnings()
            let client = try makeClient(nginx.baseURL, warnings: warnings)
            try await publish(makeRecord(key: key, clip: clip), clip: clip, with: client)
            try LocalFileSystem().remove(nginx.entryPath("cas", clip.digest.hex))

            #expect(try await client.lookup(key) == .lostOutputs(missing: [clip.digest]))
            #expect(try await client.actionRecord(for: key) == nil)
            #expect(client.lostOutputs(for: key) == [clip.digest])
            #expect(warnings.all.contains(.lostOutputs(key: key, missing: [clip.digest])))
            #expect(warnings.all.map(\.description).contains { $0.hasPrefix("remote record lost its clip") })

            // Uploading the clip again heals it.
            try await client.uploadBlob(clip.digest, from: clip.path, size: clip.size)
            #expect(try await client.actionRecord(for: key) != nil)
            #expect(client.lostOutputs(for: key) == nil)
        }
        await nginx.stop()
    }

    @Test func aBlobCorruptedOnTheServerIsDiscarded() async throws {
        let nginx = try await CacheServerProcess.startNginx()
        defer { Task { await nginx.stop() } }
        try await withTemporaryDirectory { directory in
            let clip = try TestBlob(in: directory, size: 2 * 1024 * 1024, seed: 5)
            let warnings = Warnings()
            let client = try makeClient(nginx.baseURL, warnings: warnings)
            try await client.uploadBlob(clip.digest, from: clip.path, size: clip.size)
            // Same size, one byte flipped: only the hash can tell.
            var damaged = clip.data
            damaged[damaged.count / 2] ^= 0xff
            try damaged.write(to: URL(fileURLWithPath: nginx.entryPath("cas", clip.digest.hex).pathString))

            let destination = directory.appending("fetched")
            #expect(try await !client.fetchBlob(clip.digest, size: clip.size, to: destination))
            #expect(!LocalFileSystem().exists(destination))
            #expect(try LocalFileSystem().list(directory) == ["blob-5"])
            guard case .corruptBlob(let digest, _, let received, let receivedDigest)? = warnings.all.last else {
                Issue.record("no corrupt-blob warning: \(warnings.all)")
                return
            }
            #expect(digest == clip.digest && received == clip.size && receivedDigest == Digest.of(damaged))
        }
        await nginx.stop()
    }

    @Test func aLocalBlobThatNoLongerMatchesIsNeverUploaded() async throws {
        let nginx = try await CacheServerProcess.startNginx()
        defer { Task { await nginx.stop() } }
        try await withTemporaryDirectory { directory in
            let clip = try TestBlob(in: directory, size: 2 * 1024 * 1024, seed: 6)
            try Data(repeating: 7, count: clip.data.count).write(to: URL(fileURLWithPath: clip.path.pathString))
            let client = try makeClient(nginx.baseURL)
            await #expect(throws: RemoteCacheError.localBlobDamaged(digest: clip.digest, path: clip.path.pathString)) {
                try await client.uploadBlob(clip.digest, from: clip.path, size: clip.size)
            }
            #expect(!LocalFileSystem().exists(nginx.entryPath("cas", clip.digest.hex)))
        }
        await nginx.stop()
    }
}

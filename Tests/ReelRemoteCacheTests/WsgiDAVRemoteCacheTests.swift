import Foundation
import ReelBasics
import ReelCache
import ReelRemoteCache
import ReelTestSupport
import Testing

/// wsgidav: a WebDAV server that keeps a truncated upload and serves it with 200.
@Suite(.serialized) struct WsgiDAVRemoteCacheTests {
    @Test func aTruncatedUploadIsDetectedAndNotStored() async throws {
        let dav = try await CacheServerProcess.startWsgiDAV()
        defer { Task { await dav.stop() } }
        try await withTemporaryDirectory { directory in
            let clip = try TestBlob(in: directory, size: 100_000, seed: 7)
            // A runner killed mid-upload: 5,000 of 100,000 bytes, then the connection closes.
            try await sendInterruptedPut(port: dav.port, path: "/cas/\(clip.digest.hex)", declaredLength: 100_000, body: clip.data.prefix(5000))
            let kept = try LocalFileSystem().read(dav.entryPath("cas", clip.digest.hex))
            #expect(kept.count < clip.data.count, "wsgidav no longer keeps truncated uploads; the hostile case is gone")

            let warnings = Warnings()
            let client = try makeClient(dav.baseURL, uploads: false, warnings: warnings)
            #expect(try await client.containsBlob(clip.digest))  // the server believes it has it
            let destination = directory.appending("fetched")
            #expect(try await !client.fetchBlob(clip.digest, size: clip.size, to: destination))
            #expect(!LocalFileSystem().exists(destination))
            #expect(try LocalFileSystem().list(directory) == ["blob-7"])
            #expect(warnings.all == [.corruptBlob(digest: clip.digest, expectedSize: clip.size, receivedSize: Int64(kept.count), receivedDigest: Digest.of(kept))])
            // Without a size to compare, the hash alone catches it.
            #expect(try await !client.fetchBlob(clip.digest, size: nil, to: destination))
            #expect(!LocalFileSystem().exists(destination))
        }
        await dav.stop()
    }

    @Test func roundTripThroughPlainWebDAV() async throws {
        let dav = try await CacheServerProcess.startWsgiDAV()
        defer { Task { await dav.stop() } }
        try await withTemporaryDirectory { directory in
            let clip = try TestBlob(in: directory, size: 1_500_000, seed: 8)
            let key = Digest.of(string: "node key 8")
            let record = makeRecord(key: key, clip: clip)
            try await publish(record, clip: clip, with: try makeClient(dav.baseURL))
            let reader = try makeClient(dav.baseURL, uploads: false)
            #expect(try await reader.actionRecord(for: key) == record)
            let destination = directory.appending("fetched")
            #expect(try await reader.fetchBlob(clip.digest, size: clip.size, to: destination))
            #expect(try LocalFileSystem().read(destination) == clip.data)
        }
        await dav.stop()
    }
}

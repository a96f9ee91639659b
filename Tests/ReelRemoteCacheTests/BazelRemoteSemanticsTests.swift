import Foundation
import ReelBasics
import ReelCache
import ReelProviders
import ReelRemoteCache
import ReelTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Against a fake with bazel-remote's documented semantics: validated action records, the
/// dependency check, 507, Content-Length, credentials.
@Suite(.serialized) struct BazelRemoteSemanticsTests {
    @Test func ourActionRecordsParseAsActionResults() async throws {
        let server = FakeBazelRemote()
        try await server.start()
        defer { Task { await server.stop() } }
        try await withTemporaryDirectory { directory in
            let clip = try TestBlob(in: directory, size: 2 * 1024 * 1024, seed: 10)
            let key = Digest.of(string: "node key 10")
            let record = makeRecord(key: key, clip: clip)
            let client = try makeClient(server.baseURL)
            try await publish(record, clip: clip, with: client)

            // Accepted (a body that did not parse would have been 400) and re-marshalled.
            let acHex = RemoteCacheClient.actionKey(for: key).hex
            let stored = try #require(server.actionEntry(acHex))
            let puts = server.requests.filter { $0.method == "PUT" }
            #expect(puts.map(\.responseStatus) == [200, 200, 200])
            let sent = try #require(puts.last?.body)
            #expect(stored != sent)
            #expect(try await makeClient(server.baseURL, uploads: false).actionRecord(for: key) == record)

            // Every PUT said how long it was, and none was chunked.
            for put in puts {
                #expect(put.header("content-length") == String(put.body.count))
                #expect(put.header("transfer-encoding") == nil)
            }
        }
    }

    @Test func aBodyThatIsNotAnActionResultIsRejected() async throws {
        let server = FakeBazelRemote()
        try await server.start()
        defer { Task { await server.stop() } }
        // What a tool that writes its own JSON to /ac/ gets (moon, ccache layout=bazel).
        var request = URLRequest(url: server.baseURL.appendingPathComponent("ac/\(Digest.of(string: "x").hex)"))
        request.httpMethod = "PUT"
        request.httpBody = Data(#"{"key":"sha256:00","outputs":[]}"#.utf8)
        let (_, response) = try await URLSession.shared.data(for: request)
        #expect((response as? HTTPURLResponse)?.statusCode == 400)
    }

    @Test func aRecordWhoseBlobIsGoneIsAMiss() async throws {
        let server = FakeBazelRemote()
        try await server.start()
        defer { Task { await server.stop() } }
        try await withTemporaryDirectory { directory in
            let clip = try TestBlob(in: directory, size: 4000, seed: 11)
            let key = Digest.of(string: "node key 11")
            let client = try makeClient(server.baseURL)
            try await publish(makeRecord(key: key, clip: clip), clip: clip, with: client)
            #expect(try await client.actionRecord(for: key) != nil)
            server.evictBlob(clip.digest.hex)
            // bazel-remote's dependency check answers 404 for the record itself.
            #expect(try await client.lookup(key) == .miss)
            #expect(try await client.actionRecord(for: key) == nil)
            #expect(server.requests.last?.responseStatus == 404)
        }
    }

    @Test func fullServerIsRetriedThenReportedAsUnavailable() async throws {
        let server = FakeBazelRemote(capacity: 10_000)
        try await server.start()
        defer { Task { await server.stop() } }
        try await withTemporaryDirectory { directory in
            let clip = try TestBlob(in: directory, size: 20_000, seed: 12)
            let clock = ImmediateClock()
            let warnings = Warnings()
            let client = try makeClient(server.baseURL, warnings: warnings, clock: clock)
            do {
                try await client.uploadBlob(clip.digest, from: clip.path, size: clip.size)
                Issue.record("a full server accepted the upload")
            } catch let error as RemoteCacheError {
                guard case .unavailable(let method, _, let attempts, let last) = error else {
                    Issue.record("unexpected \(error)")
                    return
                }
                #expect(method == "PUT" && attempts == RemoteCacheClient.defaultPolicy.maxAttempts && last == "HTTP 507 (server full)")
                #expect(error.degradesToLocal)
            }
            #expect(server.requests.map(\.responseStatus) == Array(repeating: 507, count: RemoteCacheClient.defaultPolicy.maxAttempts))
            #expect(clock.sleeps.count == RemoteCacheClient.defaultPolicy.maxAttempts - 1)
            #expect(warnings.all.count == RemoteCacheClient.defaultPolicy.maxAttempts - 1)
        }
    }

    @Test func transientErrorsAreRetried() async throws {
        let server = FakeBazelRemote()
        try await server.start()
        defer { Task { await server.stop() } }
        try await withTemporaryDirectory { directory in
            let clip = try TestBlob(in: directory, size: 3000, seed: 13)
            let key = Digest.of(string: "node key 13")
            let client = try makeClient(server.baseURL)
            server.inject(.serverError(status: 503), times: 2)
            try await publish(makeRecord(key: key, clip: clip), clip: clip, with: client)
            server.inject(.serverError(status: 507))
            server.inject(.serverError(status: 502))
            #expect(try await client.actionRecord(for: key) != nil)
            #expect(server.requests.map(\.responseStatus).filter { $0 != 200 } == [503, 503, 507, 502])
        }
    }

    @Test func refusedCredentialsNameTheSettingAndNeverShowTheValue() async throws {
        let server = FakeBazelRemote(authorization: "Bearer right-token-123")
        try await server.start()
        defer { Task { await server.stop() } }
        let key = Digest.of(string: "node key 14")

        // No credentials at all.
        await #expect {
            try await makeClient(server.baseURL).actionRecord(for: key)
        } throws: { error in
            let text = "\(error)"
            return (error as? RemoteCacheError).map { if case .unauthorized = $0 { true } else { false } } == true
                && text.contains("401") && text.contains("REEL_REMOTE_CACHE_HEADER_AUTHORIZATION")
        }

        // Wrong ones, from a header variable and from the URL.
        let wrongHeader = try makeClient(server.baseURL, environment: ["REEL_REMOTE_CACHE_HEADER_AUTHORIZATION": "Bearer wrong-token-456"])
        let basic = URL(string: "http://ci:pa55word-xyz@127.0.0.1:\(server.port)/instance")!
        let wrongBasic = try makeClient(basic, environment: ["REEL_REMOTE_CACHE": basic.absoluteString])
        for (client, setting, secret) in [
            (wrongHeader, "REEL_REMOTE_CACHE_HEADER_AUTHORIZATION", "wrong-token-456"), (wrongBasic, "REEL_REMOTE_CACHE", "pa55word-xyz"),
        ] {
            do {
                _ = try await client.actionRecord(for: key)
                Issue.record("no error")
            } catch {
                let text = "\(error)" + String(reflecting: error)
                #expect(text.contains(setting) && text.contains("401"), "\(text)")
                #expect(!text.contains(secret) && !text.contains(Data("ci:pa55word-xyz".utf8).base64EncodedString()), "\(text)")
                #expect((error as? RemoteCacheError)?.degradesToLocal == false)
            }
        }

        // The right one works.
        let right = try makeClient(server.baseURL, environment: ["REEL_REMOTE_CACHE_HEADER_AUTHORIZATION": "Bearer right-token-123"])
        #expect(try await right.actionRecord(for: key) == nil)
        #expect(server.requests.last?.responseStatus == 404)
    }

    @Test func anUnreachableServerIsOneTypedErrorAtOnce() async throws {
        let port = try freeLoopbackPort()
        let clock = ImmediateClock()
        let client = try makeClient(URL(string: "http://127.0.0.1:\(port)/cache")!, clock: clock)
        do {
            _ = try await client.actionRecord(for: Digest.of(string: "k"))
            Issue.record("no error")
        } catch let error as RemoteCacheError {
            guard case .unreachable(let url, _) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(url == "http://127.0.0.1:\(port)/cache" && error.degradesToLocal)
        }
        #expect(clock.sleeps.isEmpty)
    }

    @Test func readOnlyClientsNeverWrite() async throws {
        let server = FakeBazelRemote()
        try await server.start()
        defer { Task { await server.stop() } }
        try await withTemporaryDirectory { directory in
            let clip = try TestBlob(in: directory, size: 3000, seed: 15)
            let client = try makeClient(server.baseURL, uploads: false)
            await #expect(throws: RemoteCacheError.readOnly) { try await client.uploadBlob(clip.digest, from: clip.path, size: clip.size) }
            await #expect(throws: RemoteCacheError.readOnly) {
                try await client.storeActionRecord(makeRecord(key: Digest.of(string: "k"), clip: clip))
            }
            #expect(server.requests.isEmpty)
        }
    }

    @Test func aRecordFromAnotherToolIsAMissNotACrash() async throws {
        let server = FakeBazelRemote()
        try await server.start()
        defer { Task { await server.stop() } }
        try await withTemporaryDirectory { directory in
            let clip = try TestBlob(in: directory, size: 3000, seed: 16)
            let key = Digest.of(string: "node key 16")
            let client = try makeClient(server.baseURL)
            try await client.uploadBlob(clip.digest, from: clip.path, size: clip.size)
            // A Bazel-style result under Reel's salted key: outputs but no Reel metadata.
            let foreign = RemoteActionResult(outputFiles: [RemoteOutputFile(path: "bazel-out/k8/bin/foo", digest: clip.digest, size: clip.size)])
            var request = URLRequest(url: server.baseURL.appendingPathComponent("ac/\(RemoteCacheClient.actionKey(for: key).hex)"))
            request.httpMethod = "PUT"
            request.httpBody = foreign.encoded()
            _ = try await URLSession.shared.data(for: request)
            guard case .unusable(let reason) = try await client.lookup(key) else {
                Issue.record("a foreign record was not reported unusable")
                return
            }
            #expect(reason.contains("reel-action-record.json"))
            #expect(try await client.actionRecord(for: key) == nil)
        }
    }
}

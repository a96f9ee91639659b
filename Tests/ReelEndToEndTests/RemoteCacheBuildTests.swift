import Foundation
import ReelBasics
import ReelTestSupport
import Testing

/// Two CI runners sharing a remote cache, with the real `reel` binary, real ffmpeg, the fake
/// providers and a real remote cache server (nginx or wsgidav) on 127.0.0.1.
@Suite(.enabled(if: Fixtures.hasFFmpeg, "needs ffmpeg"), .serialized)
struct RemoteCacheBuildTests {
    /// A header credential the remote must never see echoed anywhere Reel writes.
    static let headerSecret = "remote-header-secret-7f3a9c"

    /// Runner A (its own project and cache) builds the paid campaign; runner B is a fresh checkout
    /// of the same project: manifest, assets and A's lockfile, no `.reel/`.
    func withRunners(
        server: CacheServerProcess, _ body: (_ runnerA: ProviderHarness, _ runnerB: AbsolutePath, _ remote: [String: String]) async throws -> Void
    ) async throws {
        try await withTemporaryDirectory { directory in
            let runnerA = ProviderHarness(directory: directory.appending("runner-a"))
            try FileManager.default.createDirectory(atPath: runnerA.directory.pathString, withIntermediateDirectories: true)
            try await runnerA.start()
            let remote = [
                "REEL_REMOTE_CACHE": server.baseURL.absoluteString, "REEL_REMOTE_CACHE_HEADER_X_REEL_TOKEN": Self.headerSecret,
            ]
            do {
                try await body(runnerA, directory.appending("runner-b"), remote)
            } catch {
                await runnerA.stop()
                throw error
            }
            await runnerA.stop()
        }
    }

    /// A fresh checkout of runner A's project.
    func checkout(_ runnerA: ProviderHarness, to runnerB: AbsolutePath) throws {
        try FileManager.default.createDirectory(atPath: runnerB.pathString, withIntermediateDirectories: true)
        for name in ["reel.yaml", "reel.lock", "assets"] {
            try FileManager.default.copyItem(atPath: runnerA.directory.appending(name).pathString, toPath: runnerB.appending(name).pathString)
        }
    }

    @Test func aSecondRunnerRebuildsFromTheRemoteWithoutPaying() async throws {
        let nginx = try await CacheServerProcess.startNginx()
        defer { Task { await nginx.stop() } }
        try await withRunners(server: nginx) { runnerA, runnerB, remote in
            let environment = runnerA.environment.merging(remote) { $1 }
            let first = try await ReelBinary.run(["build", "reel.yaml", "--json", "--remote-upload"], in: runnerA.directory, environment: environment)
            #expect(first.exitCode == 0, "\(first.stderr)")
            #expect(runnerA.replicate.createCount == 2 && runnerA.chat.completionCount == 1)
            #expect(first.lastJSON?["remote_hits"] as? Int == 0)
            let uploads = nginx.accessLog().filter { $0.hasPrefix("PUT ") }
            #expect(uploads.contains { $0.contains("/cache/ac/") } && uploads.allSatisfy { $0.contains("te=- ") && !$0.contains("cl=- ") })
            #expect(first.stdout.contains("\"event\":\"built\""))

            try checkout(runnerA, to: runnerB)
            let lockBefore = try Data(contentsOf: URL(fileURLWithPath: runnerB.appending("reel.lock").pathString))
            let creates = runnerA.replicate.createCount
            let providerCalls = runnerA.replicate.requests.count + runnerA.chat.requests.count

            // The plan says where each result would come from, and that this runner only reads.
            let plan = try await ReelBinary.run(["plan", "reel.yaml", "--no-remote-upload"], in: runnerB, environment: environment)
            #expect(plan.exitCode == 0, "\(plan.stderr)")
            #expect(plan.stdout.contains("Remote cache: \(nginx.baseURL.absoluteString) (read-only: --no-remote-upload)"))
            #expect(plan.stdout.contains("generate/0") && plan.stdout.contains("cached (remote)"))
            #expect(plan.stdout.contains("Nothing to do"))

            let second = try await ReelBinary.run(["build", "reel.yaml", "--json", "--no-remote-upload"], in: runnerB, environment: environment)
            #expect(second.exitCode == 0, "\(second.stderr)")
            #expect(runnerA.replicate.createCount == creates, "runner B created no prediction")
            #expect(runnerA.replicate.requests.count + runnerA.chat.requests.count == providerCalls, "runner B called no provider")
            let nodes = second.lastJSON?["nodes"] as? [[String: Any]] ?? []
            #expect(!nodes.isEmpty && nodes.allSatisfy { $0["state"] as? String == "cached" && $0["source"] as? String == "remote" })
            #expect(second.lastJSON?["remote_hits"] as? Int == nodes.count)
            #expect(second.lastJSON?["lockfile_changed"] as? Bool == false)
            #expect(try Data(contentsOf: URL(fileURLWithPath: runnerB.appending("reel.lock").pathString)) == lockBefore)
            let videoA = try Data(contentsOf: URL(fileURLWithPath: runnerA.directory.appending("out/paid.mp4").pathString))
            let videoB = try Data(contentsOf: URL(fileURLWithPath: runnerB.appending("out/paid.mp4").pathString))
            #expect(videoA == videoB, "byte-identical video")

            // A no-op with a warm local cache makes no request to the remote at all.
            let requestsBefore = nginx.accessLog().count
            let third = try await ReelBinary.run(["build", "reel.yaml", "--json", "--no-remote-upload"], in: runnerB, environment: environment)
            #expect(third.exitCode == 0)
            #expect(third.lastJSON?["remote_hits"] as? Int == 0)
            #expect(nginx.accessLog().count == requestsBefore, "no-op build asked the remote")
            #expect(nginx.accessLog().filter { $0.hasPrefix("PUT ") }.count == uploads.count, "read-only runner B uploaded")

            // The server evicts the clip: a third runner's plan says the paid clip would be made again.
            let clip = try #require((first.lastJSON?["nodes"] as? [[String: Any]])?.first { $0["id"] as? String == "generate/0" }?["output_digest"] as? String)
            try FileManager.default.removeItem(atPath: nginx.entryPath("cas", String(clip.dropFirst("sha256:".count))).pathString)
            let runnerC = runnerB.parent.appending("runner-c")
            try checkout(runnerA, to: runnerC)
            let lost = try await ReelBinary.run(["plan", "reel.yaml"], in: runnerC, environment: environment)
            #expect(lost.exitCode == 0, "\(lost.stderr)")
            #expect(lost.stdout.contains("generate/0  remote record lost its clip"), "\(lost.stdout)")
            #expect(lost.stdout.contains("select      cached (remote)"), "\(lost.stdout)")
            #expect(lost.stderr.contains("warning: remote record lost its clip"), "\(lost.stderr)")

            // The credential went only to the remote: not into any file or output of either runner.
            for directory in [runnerA.directory, runnerB] {
                for file in ProviderHarness(directory: directory).allFiles() {
                    let data = (try? Data(contentsOf: URL(fileURLWithPath: file))) ?? Data()
                    #expect(data.range(of: Data(Self.headerSecret.utf8)) == nil, "credential in \(file)")
                }
            }
            for output in [first.stdout, first.stderr, plan.stdout, plan.stderr, second.stdout, second.stderr] {
                #expect(!output.contains(Self.headerSecret))
            }
        }
        await nginx.stop()
    }

    @Test func aTruncatedClipOnAHostileServerIsCaughtAndRebuilt() async throws {
        let dav = try await CacheServerProcess.startWsgiDAV()
        defer { Task { await dav.stop() } }
        try await withRunners(server: dav) { runnerA, runnerB, remote in
            let environment = runnerA.environment.merging(remote) { $1 }
            let first = try await ReelBinary.run(["build", "reel.yaml", "--json", "--remote-upload"], in: runnerA.directory, environment: environment)
            #expect(first.exitCode == 0, "\(first.stderr)")
            let nodes = first.lastJSON?["nodes"] as? [[String: Any]] ?? []
            let clip = try #require(nodes.first { $0["id"] as? String == "generate/0" }?["output_digest"] as? String)
            let hex = String(clip.dropFirst("sha256:".count))
            let full = try Data(contentsOf: URL(fileURLWithPath: dav.entryPath("cas", hex).pathString))
            // A CI runner killed while re-uploading the clip: wsgidav keeps what arrived.
            try await sendInterruptedPut(port: dav.port, path: "/cas/\(hex)", declaredLength: full.count, body: full.prefix(full.count / 2))
            #expect(try Data(contentsOf: URL(fileURLWithPath: dav.entryPath("cas", hex).pathString)).count < full.count)

            try checkout(runnerA, to: runnerB)
            let creates = runnerA.replicate.createCount
            let second = try await ReelBinary.run(["build", "reel.yaml", "--json", "--no-remote-upload"], in: runnerB, environment: environment)
            #expect(second.exitCode == 0, "\(second.stderr)")
            #expect(second.stderr.contains("corrupt blob"), "\(second.stderr)")
            let states = Dictionary(uniqueKeysWithValues: (second.lastJSON?["nodes"] as? [[String: Any]] ?? []).compactMap { node in
                (node["id"] as? String).map { ($0, node["state"] as? String ?? "?") }
            })
            // The fake provider returns the same video for every prediction, so both clips are that blob.
            let sharing = nodes.filter { $0["output_digest"] as? String == clip }.compactMap { $0["id"] as? String }
            #expect(sharing.sorted() == ["generate/0", "generate/1"])
            #expect(states["generate/0"] == "built" && states["generate/1"] == "built", "the clips whose blob was corrupt were rebuilt")
            #expect(states["select"] == "cached" && states["combine"] == "cached", "\(second.stderr)")
            #expect(runnerA.replicate.createCount == creates + sharing.count)
            // Nothing corrupt reached runner B's cache.
            let verify = try await ReelBinary.run(["cache", "verify"], in: runnerB, environment: environment)
            #expect(verify.exitCode == 0, "\(verify.stdout)\(verify.stderr)")
        }
        await dav.stop()
    }

    @Test func anUnreachableRemoteIsOneWarningAndALocalBuild() async throws {
        try await withTemporaryDirectory { directory in
            let runner = ProviderHarness(directory: directory)
            try await runner.start()
            let port = try freeLoopbackPort()
            let environment = runner.environment.merging(["REEL_REMOTE_CACHE": "http://127.0.0.1:\(port)/cache"]) { $1 }
            let result = try await ReelBinary.run(["build", "reel.yaml", "--json", "--remote-upload"], in: directory, environment: environment)
            await runner.stop()
            #expect(result.exitCode == 0, "\(result.stderr)")
            let warnings = result.stderr.split(separator: "\n").filter { $0.contains("remote cache") }
            #expect(warnings.count == 1, "\(result.stderr)")
            #expect(warnings.first?.contains("cannot be reached") == true && warnings.first?.contains("local cache only") == true)
            #expect(runner.replicate.createCount == 2)
        }
    }
}

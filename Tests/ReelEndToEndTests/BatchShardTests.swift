import Foundation
import ReelBasics
import ReelTestSupport
import Testing

/// A CI batch: three paid campaigns of eight clips each (four clips shared by two of them) built by
/// four shard jobs at once, then a final job that assembles the videos and spends nothing.
@Suite(.enabled(if: Fixtures.hasFFmpeg, "needs ffmpeg"), .serialized)
struct BatchShardTests {
    static let photos = ["astronaut", "chelsea", "coffee", "hubble_deep_field", "rocket"]

    /// Every ordered pair of the five photos: twenty distinct clips.
    static var allPairs: [(String, String)] {
        photos.flatMap { first in photos.filter { $0 != first }.map { (first, $0) } }
    }

    static func write(_ id: String, pairs: [(String, String)], in directory: AbsolutePath) throws {
        let list = pairs.map { "[\($0.0), \($0.1)]" }.joined(separator: ", ")
        try writeFile("""
            version: 1
            campaign: {id: \(id)}
            assets:
              - glob: ../../assets/*.jpg
            select:
              pairs: [\(list)]
            generate: {duration: 4}
            output: {path: out/\(id).mp4, resolution: 320x180, fps: 24, transition: none}
            budget: {max_usd: 10}
            quality: balanced
            """, to: directory.appending("campaigns/\(id)/reel.yaml"))
    }

    @Test(.enabled(if: PostgresServer.isAvailable, "needs PostgreSQL (scripts/install-deps.sh --test)"))
    func fourShardsThenAFinalJobBuildEachUniqueClipOnceAndSpendNothingMore() async throws {
        try await withTemporaryDirectory { directory in
            let harness = ProviderHarness(directory: directory)
            try await harness.start()
            defer { Task { await harness.stop() } }
            try Fixtures.copyPhotos(Self.photos.map { "\($0).jpg" }, to: directory.appending("assets"))
            try FileManager.default.createDirectory(atPath: directory.appending(".reel").pathString, withIntermediateDirectories: true)
            let pairs = Self.allPairs
            try Self.write("spring", pairs: Array(pairs[0..<8]), in: directory)
            try Self.write("summer", pairs: Array(pairs[0..<4]) + Array(pairs[8..<12]), in: directory)
            try Self.write("autumn", pairs: Array(pairs[12..<20]), in: directory)
            let unique = 20
            let glob = "campaigns/**/reel.yaml"
            // As in CI: every job is its own runner with an empty local cache, sharing a remote cache
            // (nginx, WebDAV) and the ledger (PostgreSQL), both started here on 127.0.0.1.
            let remote = try await CacheServerProcess.startNginx()
            let database = try await PostgresServer.shared()
            let ledger = database.url(database: try await database.makeDatabase())
            func runner(_ name: String) -> [String: String] {
                harness.environment.merging([
                    "REEL_CACHE_DIR": directory.appending(".runners/\(name)/cache").pathString,
                    "REEL_REMOTE_CACHE": remote.baseURL.absoluteString, "REEL_LEDGER_URL": ledger, "REEL_RUNNER": name, "CI": "true",
                ]) { $1 }
            }
            let environment = runner("planner")

            // What shard 1 will do, for the CI log.
            let plan = try await ReelBinary.run(["plan", glob, "--shard", "1/4", "--json"], in: directory, environment: environment)
            #expect(plan.exitCode == 0, "\(plan.stderr)")
            let planned = try #require(plan.lastJSON)
            let shardNodes = try #require(planned["shard_nodes"] as? [[String: Any]])
            #expect(shardNodes.count == 5, "twenty clips dealt to four shards: five each")

            // Four shard jobs at once, each its own runner.
            let shards = await withTaskGroup(of: (Int, ReelBinary.Result?).self) { group in
                for index in 1...4 {
                    let shared = runner("shard-\(index)")
                    group.addTask {
                        (index, try? await ReelBinary.run(["build", glob, "--shard", "\(index)/4", "--json"], in: directory, environment: shared))
                    }
                }
                var results: [Int: ReelBinary.Result] = [:]
                for await (index, result) in group { results[index] = result }
                return results
            }
            for index in 1...4 {
                let result = try #require(shards[index] ?? nil)
                #expect(result.exitCode == 0, "shard \(index): \(result.stderr)")
                #expect(result.lastJSON?["shard"] as? String == "\(index)/4")
            }
            #expect(harness.replicate.createCount == unique)

            // The final job, on a fresh runner, assembles every video from the remote cache and must not spend.
            let final = try await ReelBinary.run(["build", glob, "--no-spend", "--shards", "4", "--json"], in: directory, environment: runner("final"))
            #expect(final.exitCode == 0, "\(final.stderr)")
            #expect(harness.replicate.createCount == unique, "the final job created nothing")
            let campaigns = try #require(final.lastJSON?["campaigns"] as? [[String: Any]])
            #expect(campaigns.count == 3)
            for campaign in campaigns {
                let output = try #require(campaign["output"] as? String)
                let video = try await probeVideo(try #require(AbsolutePath(output)))
                // The fake returns a 2 s clip for every prediction: eight of them, no transitions.
                #expect(video.width == 320 && abs(video.duration - 8 * 2) < 0.5, "\(output)")
            }
            // A page links the three storyboards.
            let index = try String(contentsOfFile: directory.appending(".reel/storyboards.html").pathString, encoding: .utf8)
            #expect(index.components(separatedBy: ">storyboard</a>").count - 1 == 3, "\(index)")
            // The ledger holds exactly what the provider billed.
            let spend = try await ReelBinary.run(["spend", "--json"], in: directory, environment: runner("final"))
            await remote.stop()
            let total = try #require(spend.lastJSON?["total_usd"] as? Double)
            let billed = NSDecimalNumber(decimal: harness.replicate.totalBilled).doubleValue
            #expect(billed > 0 && abs(total - billed) < 0.005)
        }
    }

    @Test func theFinalJobNamesTheShardThatShouldHaveBuiltAMissingClip() async throws {
        try await withTemporaryDirectory { directory in
            let harness = ProviderHarness(directory: directory)
            try await harness.start()
            defer { Task { await harness.stop() } }
            try Fixtures.copyPhotos(Self.photos.map { "\($0).jpg" }, to: directory.appending("assets"))
            try FileManager.default.createDirectory(atPath: directory.appending(".reel").pathString, withIntermediateDirectories: true)
            try Self.write("spring", pairs: Array(Self.allPairs[0..<4]), in: directory)
            var environment = harness.environment
            environment["REEL_CACHE_DIR"] = directory.appending(".reel/cache").pathString
            let glob = "campaigns/*/reel.yaml"
            // Only shard 1 of 2 runs.
            let one = try await ReelBinary.run(["build", glob, "--shard", "1/2"], in: directory, environment: environment)
            #expect(one.exitCode == 0, "\(one.stderr)")
            #expect(harness.replicate.createCount == 2)
            let final = try await ReelBinary.run(["build", glob, "--no-spend", "--shards", "2"], in: directory, environment: environment)
            #expect(final.exitCode == 1)
            #expect(final.stderr.contains("--no-spend"), "\(final.stderr)")
            #expect(final.stderr.components(separatedBy: "shard 2/2 should have built it").count - 1 == 2, "\(final.stderr)")
            #expect(harness.replicate.createCount == 2, "the final job spent nothing")
        }
    }

    @Test func validateGraphPlanAndReportTakeAQuotedGlob() async throws {
        try await withTemporaryDirectory { directory in
            try Fixtures.copyPhotos(Self.photos.map { "\($0).jpg" }, to: directory.appending("assets"))
            try FileManager.default.createDirectory(atPath: directory.appending(".reel").pathString, withIntermediateDirectories: true)
            for (index, id) in ["north", "south"].enumerated() {
                try writeFile("""
                    version: 1
                    campaign: {id: \(id)}
                    assets:
                      - glob: ../../assets/*.jpg
                    select:
                      pairs: [[\(Self.photos[index]), \(Self.photos[index + 1])]]
                    generate: {duration: 1}
                    output: {path: out/\(id).mp4, resolution: 320x180, fps: 12, transition: none}
                    """, to: directory.appending("campaigns/\(id)/reel.yaml"))
            }
            let glob = "campaigns/*/reel.yaml"
            let validate = try await ReelBinary.run(["validate", glob, "--json"], in: directory)
            #expect(validate.exitCode == 0, "\(validate.stderr)")
            let graph = try await ReelBinary.run(["graph", glob, "--format", "json"], in: directory)
            let campaigns = try #require(graph.lastJSON?["campaigns"] as? [[String: Any]])
            #expect(campaigns.compactMap { $0["campaign"] as? String }.sorted() == ["north", "south"])
            let ids = campaigns.flatMap { ($0["nodes"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String } }
            #expect(ids.contains("north:generate/0") && ids.contains("south:generate/0"))
            let dot = try await ReelBinary.run(["graph", glob], in: directory)
            #expect(dot.stdout.contains("subgraph \"cluster_north\"") && dot.stdout.contains("subgraph \"cluster_south\""))
            let plan = try await ReelBinary.run(["plan", glob, "--json"], in: directory)
            #expect((plan.lastJSON?["campaigns"] as? [[String: Any]])?.count == 2)
            let build = try await ReelBinary.run(["build", glob, "-q"], in: directory)
            #expect(build.exitCode == 0, "\(build.stderr)")
            let report = try await ReelBinary.run(["report", glob, "--json"], in: directory)
            #expect((report.lastJSON?["reports"] as? [[String: Any]])?.count == 2, "\(report.stderr)")
            let none = try await ReelBinary.run(["build", "nowhere/*/reel.yaml"], in: directory)
            #expect(none.exitCode == 1 && none.stderr.contains("matches no manifest"), "\(none.stderr)")
        }
    }
}

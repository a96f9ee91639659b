import Foundation
import ReelBasics
import ReelCache
import ReelEngine
import ReelGraph
import ReelManifest
import ReelProviders
import ReelTestSupport
import Testing

/// A paid clip is never generated from bytes other than those its key names.
@Suite(.enabled(if: Fixtures.hasFFmpeg, "needs ffmpeg"))
struct AssetChangeTests {
    @Test func anImageThatChangesDuringTheBuildIsNotSent() async throws {
        try await withTemporaryDirectory { project in
            try FileManager.default.createDirectory(atPath: project.appending(".reel").pathString, withIntermediateDirectories: true)
            try Fixtures.copyPhotos(["rocket.jpg", "coffee.jpg"], to: project)
            try writeFile("""
                version: 1
                campaign: {id: changed}
                assets: [rocket.jpg, coffee.jpg]
                select: {pairs: [[rocket, coffee]]}
                generate: {model: google/veo-3.1-fast, prompt: move}
                """, to: project.appending("reel.yaml"))
            let loaded = ManifestLoader(fileSystem: LocalFileSystem()).load(project.appending("reel.yaml"), displayPath: "reel.yaml")
            let campaign = try #require(loaded.campaign, "\(loaded.diagnostics)")
            let store = try CacheStore(root: project.appending(".reel/cache"), fileSystem: LocalFileSystem())
            let (digests, _) = try AssetHasher(statCache: store.statCache).digests(of: campaign.assets)
            // Someone edits the image after the digests were taken.
            try Fixtures.copyPhotos(["astronaut.jpg"], to: project)
            try FileManager.default.removeItem(atPath: project.appending("rocket.jpg").pathString)
            try FileManager.default.moveItem(atPath: project.appending("astronaut.jpg").pathString, toPath: project.appending("rocket.jpg").pathString)

            let fake = FakeReplicate(token: "r8_change_token_000")
            try await fake.start()
            let client = ReplicateClient(
                http: HTTPClient(transport: URLSessionTransport(), policy: RetryPolicy(maxAttempts: 2, baseDelay: .milliseconds(5))),
                baseURL: fake.baseURL, token: Secret(variable: "REPLICATE_API_TOKEN", value: fake.token))
            let workspace = Workspace(campaign: campaign, environment: .live(), store: store, assetDigests: digests, toolVersion: "ffmpeg test", registry: campaign.registry)
            let result = await BuildEngine(
                workspace: workspace, executors: ExecutorSet(generators: ["replicate": RemoteGenerationExecutor(provider: ReplicateGeneration(client: client), pollInterval: .milliseconds(5))]),
                options: BuildOptions(jobs: 1), events: { _ in }
            ).run()
            await fake.stop()
            let node = try #require(result.nodes.first { $0.id.local == .generate(0) })
            #expect(node.state == .failed)
            #expect(node.message?.contains("rocket.jpg' changed during the build") == true)
            #expect(fake.createCount == 0)
        }
    }
}

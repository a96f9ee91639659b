import Foundation
import ReelBasics
import ReelCache
import ReelEngine
import ReelGraph
import ReelManifest
import ReelProviders
import ReelTestSupport
import Testing

/// Issue 14, the current models: every first+last-frame model added to the registry builds a clip
/// against the fake Replicate, which checks each request against the model's input schema as the
/// reference gives it (`FakeModelSchema.reference`), not as the registry describes it.
@Suite(.enabled(if: Fixtures.hasFFmpeg, "needs ffmpeg"), .serialized)
struct CurrentModelsTests {
    static let models = [
        "kwaivgi/kling-v3-video", "bytedance/seedance-2.0", "bytedance/seedance-2.0-fast", "bytedance/seedance-1-lite",
        "pixverse/pixverse-v5", "luma/ray-2-720p", "luma/ray-2-540p", "luma/ray-flash-2-720p", "luma/ray-flash-2-540p",
        "wan-video/wan-2.2-i2v-fast",
    ]

    @Test func everyNewModelIsInTheRegistryWithAPriceSource() throws {
        for model in Self.models {
            let spec = try #require(ModelRegistry.builtIn.models[model], "\(model) missing from models.json")
            #expect(spec.provider == "replicate")
            #expect(spec.priceSource.contains("not confirmed"), "\(model): an unconfirmed price must say so")
            #expect(FakeModelSchema.reference[model] != nil)
        }
    }

    @Test(arguments: models)
    func oneClipBuildsAgainstTheReferenceSchema(_ model: String) async throws {
        try await withTemporaryDirectory { project in
            try FileManager.default.createDirectory(atPath: project.appending(".reel").pathString, withIntermediateDirectories: true)
            try Fixtures.copyPhotos(["rocket.jpg", "coffee.jpg"], to: project)
            let clip = project.appending("model-output.mp4")
            try await Fixtures.makeClip(at: clip, seconds: 1, width: 160, height: 90)
            try writeFile("""
                version: 1
                campaign: {id: models}
                assets: [rocket.jpg, coffee.jpg]
                select: {pairs: [[rocket, coffee]]}
                generate: {model: \(model), prompt: slow push in}
                output: {transition: none}
                """, to: project.appending("reel.yaml"))
            let loaded = ManifestLoader(fileSystem: LocalFileSystem()).load(project.appending("reel.yaml"), displayPath: "reel.yaml")
            let campaign = try #require(loaded.campaign, "\(loaded.diagnostics)")
            let store = try CacheStore(root: project.appending(".reel/cache"), fileSystem: LocalFileSystem())
            let (digests, _) = try AssetHasher(statCache: store.statCache).digests(of: campaign.assets)
            let fake = FakeReplicate(token: "r8_models_token_0000")
            try await fake.start()
            fake.outputVideo = URL(fileURLWithPath: clip.pathString)
            fake.defaultScript = .succeeds(afterPolls: 1)
            fake.inputValidator = FakeModelSchema.referenceValidator
            let client = ReplicateClient(
                http: HTTPClient(transport: URLSessionTransport(), policy: RetryPolicy(maxAttempts: 2, baseDelay: .milliseconds(5), maxDelay: .milliseconds(20))),
                baseURL: fake.baseURL, token: Secret(variable: "REPLICATE_API_TOKEN", value: fake.token))
            let workspace = Workspace(
                campaign: campaign, environment: .live(), store: store, assetDigests: digests, toolVersion: "ffmpeg test", registry: campaign.registry)
            let executors = ExecutorSet(
                generators: ["replicate": RemoteGenerationExecutor(provider: ReplicateGeneration(client: client), pollInterval: .milliseconds(5))],
                combine: RecordingExecutor.contentAddressed())
            let result = await BuildEngine(workspace: workspace, executors: executors, options: BuildOptions(jobs: 1), events: { _ in }).run()
            let prediction = fake.predictions.first
            let attempts = fake.createAttempts
            await fake.stop()

            let node = try #require(result.nodes.first { $0.id.local == .generate(0) })
            #expect(node.state == .built, "\(model): \(node.message ?? "")")
            #expect(attempts == 1, "\(model): one create, accepted the first time")
            let input = try #require(prediction?.input, "\(model): no prediction was created")
            #expect(prediction?.model == model)
            let spec = try #require(campaign.registry.models[model])
            #expect(input[spec.firstFrameField]?.stringValue?.isEmpty == false, "\(model): first frame sent")
            #expect(input[spec.lastFrameField]?.stringValue?.isEmpty == false, "\(model): last frame sent")
            #expect(FakeModelSchema.reference[model]?.validate(input) == [])
        }
    }

    /// The schemas can fail: what a model does not take is refused.
    @Test func theReferenceSchemasRefuseWhatTheModelsDoNotTake() {
        let lite = FakeModelSchema.reference["bytedance/seedance-1-lite"]!
        let good: FakeJSON = ["prompt": "x", "image": "https://a/b.jpg", "last_frame_image": "https://a/c.jpg", "duration": 5, "resolution": "720p"]
        #expect(lite.validate(good) == [])
        #expect(lite.validate(["prompt": "x", "image": "https://a/b.jpg", "duration": 13]).map(\.type) == ["number_lte"])
        #expect(lite.validate(["prompt": "x", "last_frame_image": "https://a/c.jpg"]).map(\.type) == ["required"])
        #expect(lite.validate(["prompt": "x", "seed": 3]).map(\.type) == ["additional_property_not_allowed"])
        let wan = FakeModelSchema.reference["wan-video/wan-2.2-i2v-fast"]!
        #expect(wan.validate(["prompt": "x", "image": "data:image/png;base64,AA", "num_frames": 5]).map(\.type) == ["number_gte"])
        let pixverse = FakeModelSchema.reference["pixverse/pixverse-v5"]!
        #expect(pixverse.validate(["prompt": "x", "image": "https://a", "duration": 6]).map(\.type) == ["enum"])
    }
}

import Foundation
import ReelBasics
import ReelCache
import ReelEngine
import ReelGraph
import ReelLedger
import ReelManifest
import ReelProviders
import ReelTestSupport
import Testing

/// Issue 9 item 3: a create whose reply was lost is found again only when Reel is sure; when the
/// match is uncertain, or the provider cannot list recent predictions, it stops and says what to
/// check, naming the journal entry — it never creates again.
@Suite(.enabled(if: Fixtures.hasFFmpeg, "needs ffmpeg"), .serialized)
struct ReconcileTests {
    struct Setup {
        let project: AbsolutePath
        let fake: FakeReplicate
        let campaign: ResolvedCampaign
        let store: CacheStore
        let digests: [String: Digest]

        func build(keepGoing: Bool = false) async -> BuildResult {
            let client = ReplicateClient(
                http: HTTPClient(transport: URLSessionTransport(), policy: RetryPolicy(maxAttempts: 2, baseDelay: .milliseconds(5), maxDelay: .milliseconds(20))),
                baseURL: fake.baseURL, token: Secret(variable: "REPLICATE_API_TOKEN", value: fake.token))
            let workspace = Workspace(
                campaign: campaign, environment: .live(), store: store, assetDigests: digests, toolVersion: "ffmpeg test", registry: campaign.registry)
            let executors = ExecutorSet(
                generators: ["replicate": RemoteGenerationExecutor(provider: ReplicateGeneration(client: client), pollInterval: .milliseconds(5))],
                combine: RecordingExecutor.contentAddressed())
            return await BuildEngine(workspace: workspace, executors: executors, options: BuildOptions(jobs: 1, keepGoing: keepGoing), events: { _ in }).run()
        }

        var journalPath: AbsolutePath? {
            let builder = GraphBuilder(campaign: campaign, assetDigests: digests, toolVersion: "ffmpeg test", selectorRequest: LLMSelectExecutor.requestShape)
            return builder.explicitSelection().flatMap { builder.generateNodes(for: $0).first }.map { store.layout.journalPath($0.key) }
        }
    }

    func withSetup(pairs: String = "[[rocket, coffee]]", _ body: (Setup) async throws -> Void) async throws {
        try await withTemporaryDirectory { project in
            try FileManager.default.createDirectory(atPath: project.appending(".reel").pathString, withIntermediateDirectories: true)
            try Fixtures.copyPhotos(["rocket.jpg", "coffee.jpg", "astronaut.jpg"], to: project)
            let clip = project.appending("model-output.mp4")
            try await Fixtures.makeClip(at: clip, seconds: 1, width: 160, height: 90)
            try writeFile("""
                version: 1
                campaign: {id: reconcile}
                assets: [rocket.jpg, coffee.jpg, astronaut.jpg]
                select: {pairs: \(pairs)}
                generate: {model: google/veo-3.1-fast, prompt: move}
                output: {transition: none}
                """, to: project.appending("reel.yaml"))
            let loaded = ManifestLoader(fileSystem: LocalFileSystem()).load(project.appending("reel.yaml"), displayPath: "reel.yaml")
            let campaign = try #require(loaded.campaign, "\(loaded.diagnostics)")
            let store = try CacheStore(root: project.appending(".reel/cache"), fileSystem: LocalFileSystem())
            let (digests, _) = try AssetHasher(statCache: store.statCache).digests(of: campaign.assets)
            let fake = FakeReplicate(token: "r8_reconcile_token_00")
            try await fake.start()
            fake.outputVideo = URL(fileURLWithPath: clip.pathString)
            fake.defaultScript = .succeeds(afterPolls: 1)
            do {
                try await body(Setup(project: project, fake: fake, campaign: campaign, store: store, digests: digests))
            } catch {
                await fake.stop()
                throw error
            }
            await fake.stop()
        }
    }

    @Test func anUncertainMatchStopsAndSaysWhatToCheckInsteadOfCreatingAgain() async throws {
        try await withSetup { setup in
            // The create takes effect but its reply is garbled; the list does not echo the frames as sent.
            setup.fake.inject(.malformedJSON, times: 1, on: .createPrediction)
            setup.fake.echoesFileInputs = false
            let journal = try #require(setup.journalPath)
            for run in 1...2 {
                let result = await setup.build()
                let node = try #require(result.nodes.first { $0.id.local == .generate(0) })
                #expect(node.state == .failed, "run \(run)")
                #expect(node.message?.contains("cannot compare their frames") == true, "run \(run): \(node.message ?? "")")
                #expect(node.message?.contains(journal.pathString) == true)
                #expect(setup.fake.createCount == 1, "run \(run): never created again on an uncertain match")
            }
            // Following the message: the user names the prediction in the journal entry, and it resumes.
            let id = try #require(setup.fake.predictions.first?.id)
            var entry = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: journal.pathString))) as? [String: Any])
            entry["predictionID"] = id
            entry["state"] = "created"
            try JSONSerialization.data(withJSONObject: entry).write(to: URL(fileURLWithPath: journal.pathString))
            let resumed = await setup.build()
            #expect(resumed.succeeded, "\(resumed.nodes.map { "\($0.id): \($0.message ?? "")" })")
            #expect(setup.fake.createCount == 1)
        }
    }

    @Test func withoutAListEndpointTheMessageNamesTheJournalEntry() async throws {
        try await withSetup { setup in
            setup.fake.inject(.malformedJSON, times: 1, on: .createPrediction)
            setup.fake.inject(.notFound, times: 20, on: .listPredictions)
            let journal = try #require(setup.journalPath)
            for run in 1...2 {
                let result = await setup.build()
                let node = try #require(result.nodes.first { $0.id.local == .generate(0) })
                #expect(node.state == .failed)
                let message = node.message ?? ""
                #expect(message.contains("cannot look for the prediction"), "run \(run): \(message)")
                #expect(message.contains(journal.pathString))
                #expect(!message.contains("check the model name and base URL"))
                #expect(setup.fake.createCount == 1)
            }
        }
    }

    /// Another node's prediction with the same prompt and settings, whose frames are echoed as
    /// sent, is certainly not this node's: a create that provably made nothing is made again.
    @Test func anotherNodesPredictionWithTheSamePromptIsNotMistakenForOurs() async throws {
        try await withSetup(pairs: "[[rocket, coffee], [coffee, astronaut]]") { setup in
            setup.fake.inject(.serverError(status: 503), times: 1, on: .createPrediction)
            let first = await setup.build(keepGoing: true)
            #expect(setup.fake.createCount == 1, "the 503 created nothing; the other node's clip was created")
            #expect(first.nodes.contains { $0.message?.contains("may or may not have reached") == true }, "\(first.nodes.map { $0.message ?? "" })")
            let second = await setup.build()
            #expect(second.succeeded, "\(second.nodes.map { "\($0.id): \($0.message ?? "")" })")
            #expect(setup.fake.createCount == 2)
        }
    }
}

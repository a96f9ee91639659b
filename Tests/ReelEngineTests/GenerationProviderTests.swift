import Foundation
import ReelBasics
import ReelCache
import ReelEngine
import ReelGraph
import ReelLedger
import ReelManifest
import ReelTestSupport
import Testing

/// A provider written against `GenerationProvider` (in-process Swift, not Replicate's wire
/// format), chosen by the model registry's `provider` field, goes through the journal, a resume
/// after an interrupted run and spend settlement with no change to the engine.
@Suite(.enabled(if: Fixtures.hasFFmpeg, "needs ffmpeg"))
struct GenerationProviderTests {
    @Test func aFakeProviderIsJournaledResumedWithoutASecondCreateAndSettled() async throws {
        try await withTemporaryDirectory { project in
            try FileManager.default.createDirectory(atPath: project.appending(".reel").pathString, withIntermediateDirectories: true)
            try Fixtures.copyPhotos(["rocket.jpg", "coffee.jpg"], to: project)
            let clip = project.appending("model-output.mp4")
            try await Fixtures.makeClip(at: clip, seconds: 1, width: 160, height: 90)
            try writeFile("""
                version: 1
                campaign: {id: neutral}
                assets: [rocket.jpg, coffee.jpg]
                select: {pairs: [[rocket, coffee]]}
                generate: {model: google/veo-3.1-fast, duration: 4, audio: false, prompt: move}
                output: {transition: none}
                """, to: project.appending("reel.yaml"))
            let loaded = ManifestLoader(fileSystem: LocalFileSystem()).load(project.appending("reel.yaml"), displayPath: "reel.yaml")
            var campaign = try #require(loaded.campaign, "\(loaded.diagnostics)")
            // The registry says which provider serves the model: here, the in-process fake.
            campaign.registry.models["google/veo-3.1-fast"]?.provider = "fakegen"
            campaign.generator.modelSpec?.provider = "fakegen"
            let store = try CacheStore(root: project.appending(".reel/cache"), fileSystem: LocalFileSystem())
            let (digests, _) = try AssetHasher(statCache: store.statCache).digests(of: campaign.assets)
            let ledger = try Ledger(path: project.appending(".reel/ledger.sqlite"))
            let fake = FakeGenerationProvider(output: clip)
            let executors = ExecutorSet(
                generators: ["fakegen": RemoteGenerationExecutor(provider: fake, pollInterval: .milliseconds(5))],
                combine: RecordingExecutor.contentAddressed())
            func engine(_ run: String) -> BuildEngine {
                let workspace = Workspace(
                    campaign: campaign, environment: .live(), store: store, assetDigests: digests, toolVersion: "ffmpeg test", registry: campaign.registry)
                let gate = SpendGate(ledger: ledger, campaign: "neutral", runID: run, caps: BudgetCaps(campaign: 1.0))
                return BuildEngine(workspace: workspace, executors: executors, options: BuildOptions(jobs: 1), spend: gate, events: { _ in })
            }
            let journal = PredictionJournal(layout: store.layout, fileSystem: LocalFileSystem())

            // Run 1 is interrupted while the generation runs (as Ctrl-C, or a crash, would leave it).
            fake.hold = true
            let first = engine("run-1")
            let running = Task { await first.run() }
            let deadline = Date().addingTimeInterval(30)
            while fake.statusCount < 2, Date() < deadline { try await Task.sleep(for: .milliseconds(10)) }
            running.cancel()
            let interrupted = await running.value
            #expect(interrupted.interrupted)
            #expect(fake.createCount == 1)
            let entries = journal.all()
            #expect(entries.count == 1)
            #expect(entries.first?.provider == "fakegen")
            #expect(entries.first?.predictionID == "fg-1")
            #expect(try ledger.rows().map(\.status) == ["reserved"], "the reservation stays while the generation may run")

            // Run 2 resumes the journaled generation: no second create, one settled row.
            fake.hold = false
            let result = await engine("run-2").run()
            #expect(result.succeeded, "\(result.nodes.map { "\($0.id): \($0.message ?? "")" })")
            #expect(fake.createCount == 1, "a journaled generation is resumed, never created again")
            #expect(fake.downloadCount == 1)
            #expect(journal.all().isEmpty)
            let rows = try ledger.rows()
            #expect(rows.count == 1)
            #expect(rows.first?.status == "settled")
            #expect(rows.first?.predictionID == "fg-1")
            #expect(rows.first?.provider == "fakegen")
            #expect(abs((rows.first?.actualUSD ?? 0) - 0.40) < 1e-9, "4 s at $0.10/s")
            let node = try #require(result.nodes.first { $0.id.local == .generate(0) })
            #expect(node.state == .built)
            #expect(node.spec?.keyMaterial.provider == "fakegen")
            #expect(node.spec?.keyMaterial.engineVersion == "fakegen/1")
            #expect(node.result?.metadata["prediction_id"]?.stringValue == "fg-1")

            // Run 3: everything cached, the provider is not called at all.
            let calls = fake.statusCount
            let again = await engine("run-3").run()
            #expect(again.succeeded)
            #expect(fake.statusCount == calls && fake.createCount == 1)
        }
    }
}

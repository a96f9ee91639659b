import Foundation
import ReelBasics
import ReelCache
import ReelEngine
import ReelGraph
import ReelLedger
import ReelManifest
import ReelTestSupport
import Testing

/// A one-clip campaign whose model the registry assigns to an in-process `FakeGenerationProvider`.
struct FakeProviderProject {
    let project: AbsolutePath
    let campaign: ResolvedCampaign
    let store: CacheStore
    let digests: [String: Digest]
    let ledger: Ledger
    let fake: FakeGenerationProvider
    var caps = BudgetCaps(campaign: 1.0)
    var journal: PredictionJournal { PredictionJournal(layout: store.layout, fileSystem: LocalFileSystem()) }

    init(_ project: AbsolutePath, pairs: String = "[[rocket, coffee]]") async throws {
        self.project = project
        try FileManager.default.createDirectory(atPath: project.appending(".reel").pathString, withIntermediateDirectories: true)
        try Fixtures.copyPhotos(["rocket.jpg", "coffee.jpg", "astronaut.jpg"], to: project)
        let clip = project.appending("model-output.mp4")
        try await Fixtures.makeClip(at: clip, seconds: 1, width: 160, height: 90)
        try writeFile("""
            version: 1
            campaign: {id: neutral}
            assets: [rocket.jpg, coffee.jpg, astronaut.jpg]
            select: {pairs: \(pairs)}
            generate: {model: google/veo-3.1-fast, duration: 4, audio: false, prompt: move}
            output: {transition: none}
            """, to: project.appending("reel.yaml"))
        let loaded = ManifestLoader(fileSystem: LocalFileSystem()).load(project.appending("reel.yaml"), displayPath: "reel.yaml")
        var campaign = try #require(loaded.campaign, "\(loaded.diagnostics)")
        // The registry says which provider serves the model: here, the in-process fake.
        campaign.registry.models["google/veo-3.1-fast"]?.provider = "fakegen"
        campaign.generator.modelSpec?.provider = "fakegen"
        self.campaign = campaign
        store = try CacheStore(root: project.appending(".reel/cache"), fileSystem: LocalFileSystem())
        (digests, _) = try AssetHasher(statCache: store.statCache).digests(of: campaign.assets)
        ledger = try Ledger(path: project.appending(".reel/ledger.sqlite"))
        fake = FakeGenerationProvider(output: clip)
    }

    var workspace: Workspace {
        Workspace(campaign: campaign, environment: .live(), store: store, assetDigests: digests, toolVersion: "ffmpeg test", registry: campaign.registry)
    }

    /// The generate nodes' specs (keys), from the explicit pairs.
    var generateSpecs: [NodeSpec] {
        let builder = workspace.builder
        return builder.explicitSelection().map(builder.generateNodes(for:)) ?? []
    }

    func engine(
        _ run: String, ledger: (any SpendLedger)? = nil, keepGoing: Bool = false, cancelOnInterrupt: Bool = false,
        pollDeadline: Duration = .seconds(60), events: @escaping BuildEventSink = { _ in }
    ) -> BuildEngine {
        let executor = RemoteGenerationExecutor(
            provider: fake, pollInterval: .milliseconds(5), pollDeadline: pollDeadline, cancelOnInterrupt: cancelOnInterrupt)
        let executors = ExecutorSet(
            generators: ["fakegen": executor],
            combine: RecordingExecutor.contentAddressed())
        let gate = SpendGate(ledger: ledger ?? self.ledger, campaign: "neutral", runID: run, caps: caps)
        return BuildEngine(workspace: workspace, executors: executors, options: BuildOptions(jobs: 1, keepGoing: keepGoing), spend: gate, events: events)
    }
}

/// A provider written against `GenerationProvider` (in-process Swift, not Replicate's wire
/// format), chosen by the model registry's `provider` field, goes through the journal, a resume
/// after an interrupted run and spend settlement with no change to the engine.
@Suite(.enabled(if: Fixtures.hasFFmpeg, "needs ffmpeg"))
struct GenerationProviderTests {
    @Test func aFakeProviderIsJournaledResumedWithoutASecondCreateAndSettled() async throws {
        try await withTemporaryDirectory { directory in
            let setup = try await FakeProviderProject(directory)
            let fake = setup.fake
            let ledger = setup.ledger

            // Run 1 is interrupted while the generation runs (as Ctrl-C, or a crash, would leave it).
            fake.hold = true
            let first = setup.engine("run-1")
            let running = Task { await first.run() }
            let deadline = Date().addingTimeInterval(30)
            while fake.statusCount < 2, Date() < deadline { try await Task.sleep(for: .milliseconds(10)) }
            running.cancel()
            let interrupted = await running.value
            #expect(interrupted.interrupted)
            #expect(fake.createCount == 1)
            let entries = try setup.journal.all()
            #expect(entries.count == 1)
            #expect(entries.first?.provider == "fakegen")
            #expect(entries.first?.predictionID == "fg-1")
            #expect(try ledger.rows().map(\.status) == ["reserved"], "the reservation stays while the generation may run")

            // Run 2 resumes the journaled generation: no second create, one settled row.
            fake.hold = false
            let result = await setup.engine("run-2").run()
            #expect(result.succeeded, "\(result.nodes.map { "\($0.id): \($0.message ?? "")" })")
            #expect(fake.createCount == 1, "a journaled generation is resumed, never created again")
            #expect(fake.downloadCount == 1)
            #expect(try setup.journal.all().isEmpty)
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
            let again = await setup.engine("run-3").run()
            #expect(again.succeeded)
            #expect(fake.statusCount == calls && fake.createCount == 1)
        }
    }

    /// Issue 9 item 2: an unreadable or older-format journal entry is *unavailable*, not "nothing
    /// in flight": the paid node fails closed, naming the file, and nothing is created or reserved.
    @Test(arguments: ["{not json", #"{"nodeKey": "abc", "state": "creating"}"#])
    func anUnreadableJournalEntryFailsTheNodeClosed(_ contents: String) async throws {
        try await withTemporaryDirectory { directory in
            let setup = try await FakeProviderProject(directory)
            let spec = try #require(setup.generateSpecs.first)
            let path = setup.store.layout.journalPath(spec.key)
            try FileManager.default.createDirectory(atPath: path.parent.pathString, withIntermediateDirectories: true)
            try writeFile(contents, to: path)

            let result = await setup.engine("run-1").run()
            #expect(!result.succeeded)
            let node = try #require(result.nodes.first { $0.id.local == .generate(0) })
            #expect(node.state == .failed)
            #expect(node.message?.contains(path.pathString) == true, "\(node.message ?? "")")
            #expect(node.message?.contains("nothing new was created") == true)
            #expect(setup.fake.createCount == 0, "never pays again for what the journal may hold")
            #expect(try setup.ledger.rows().isEmpty)
            #expect(FileManager.default.fileExists(atPath: path.pathString), "the entry is kept for the user to check")
            #expect(throws: JournalUnavailable.self) { try setup.journal.all() }
        }
    }

    /// Issue 9 item 5: a generation cancelled while it runs may be billed for the part that ran;
    /// it is recorded at its estimate, flagged, never at $0.
    @Test func aGenerationCancelledWhileRunningIsCountedAtAFlaggedEstimate() async throws {
        try await withTemporaryDirectory { directory in
            let setup = try await FakeProviderProject(directory)
            setup.fake.hold = true
            let engine = setup.engine("run-1", cancelOnInterrupt: true)
            let running = Task { await engine.run() }
            let deadline = Date().addingTimeInterval(30)
            while setup.fake.statusCount < 2, Date() < deadline { try await Task.sleep(for: .milliseconds(10)) }
            running.cancel()
            let result = await running.value
            #expect(result.interrupted)
            #expect(setup.fake.generations.first?.status == .canceled, "cancelled through the provider")
            #expect(try setup.journal.all().isEmpty, "the provider confirmed it stopped: nothing to resume")
            let rows = try setup.ledger.rows()
            #expect(rows.map(\.status) == ["canceled-estimate"])
            #expect(abs((rows.first?.actualUSD ?? 0) - 0.40) < 1e-9, "counted at the estimate, not $0: \(rows)")
            #expect(try setup.ledger.committed(campaign: "neutral") > 0.39, "it counts against budget.max_usd")
        }
    }

    /// Issue 9 item 4: polling has a deadline; the generation stays journaled and its reservation
    /// open, and the next build resumes it without creating another.
    @Test func pollingStopsAtItsDeadlineAndTheNextBuildResumes() async throws {
        try await withTemporaryDirectory { directory in
            let setup = try await FakeProviderProject(directory)
            setup.fake.hold = true
            let result = await setup.engine("run-1", pollDeadline: .milliseconds(200)).run()
            let node = try #require(result.nodes.first { $0.id.local == .generate(0) })
            #expect(node.state == .failed)
            #expect(node.message?.contains("did not finish within") == true, "\(node.message ?? "")")
            #expect(node.message?.contains("stays journaled") == true)
            #expect(try setup.journal.all().map(\.predictionID) == ["fg-1"])
            #expect(try setup.ledger.rows().map(\.status) == ["reserved"])
            setup.fake.hold = false
            #expect(await setup.engine("run-2").run().succeeded)
            #expect(setup.fake.createCount == 1)
            #expect(try setup.ledger.rows().map(\.status) == ["settled"])
        }
    }

    /// Issue 9 item 4: a status this version does not know is an error (it used to poll for ever as
    /// "processing"); the generation stays journaled.
    @Test func anUnknownStatusIsAnErrorNotRunning() async throws {
        try await withTemporaryDirectory { directory in
            let setup = try await FakeProviderProject(directory)
            setup.fake.reportedStatus = .unknown("paused_for_review")
            let result = await setup.engine("run-1").run()
            let node = try #require(result.nodes.first { $0.id.local == .generate(0) })
            #expect(node.state == .failed)
            #expect(node.message?.contains("reports status 'paused_for_review'") == true, "\(node.message ?? "")")
            #expect(setup.fake.statusCount == 1, "no endless polling")
            #expect(try setup.journal.all().count == 1)
            #expect(try setup.ledger.rows().map(\.status) == ["reserved"])
        }
    }
}

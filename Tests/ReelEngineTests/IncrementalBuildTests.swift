import Foundation
import ReelBasics
import ReelCache
import ReelEngine
import ReelGraph
import ReelManifest
import ReelTestSupport
import Synchronization
import Testing

/// Engine behaviour with recording executors: what runs, what is cached, and early cutoff.
@Suite struct IncrementalBuildTests {
    /// A campaign using the LLM selector (so brand text is part of the select key).
    static let llmCampaign = """
        version: 1
        campaign: {id: engine, goal: sell coffee}
        brand: {voice: calm}
        assets:
          - glob: assets/*.jpg
        select: {selector: openai-compatible, count: 2}
        """

    struct Harness {
        let directory: AbsolutePath
        let store: CacheStore
        let generator = RecordingExecutor.contentAddressed()
        let combiner = RecordingExecutor.contentAddressed()
        let selector: RecordingExecutor

        init(directory: AbsolutePath, selector: RecordingExecutor = .fixedSelector([("a", "b"), ("b", "c")])) throws {
            self.directory = directory
            self.store = try CacheStore(root: directory.appending("cache"), fileSystem: LocalFileSystem())
            self.selector = selector
        }

        func build(_ yaml: String, digests: [String: String] = [:], forced: Set<NodeID> = []) async throws -> BuildResult {
            let campaign = try CampaignFixtures.resolve(yaml)
            var environment = BuildEnvironment.live()
            environment.fileSystem = LocalFileSystem()
            let workspace = Workspace(
                campaign: relocated(campaign), environment: environment, store: store,
                assetDigests: CampaignFixtures.digests(campaign, overriding: digests), toolVersion: "ffmpeg test")
            let executors = ExecutorSet(llmSelect: selector, animatic: generator, generators: ["replicate": generator], combine: combiner)
            return await BuildEngine(workspace: workspace, executors: executors, options: BuildOptions(jobs: 2, forced: forced), events: { _ in }).run()
        }

        /// Moves the in-memory campaign's outputs into the real temporary directory.
        func relocated(_ campaign: ResolvedCampaign) -> ResolvedCampaign {
            var copy = campaign
            copy.output.path = directory.appending("out/video.mp4")
            copy.manifestPath = directory.appending("reel.yaml")
            copy.projectRoot = directory
            return copy
        }

        func reset() {
            generator.reset()
            combiner.reset()
            selector.reset()
        }
    }

    func states(_ result: BuildResult) -> [String: NodeOutcomeState] {
        Dictionary(uniqueKeysWithValues: result.nodes.map { ($0.id.rawValue, $0.state) })
    }

    @Test func secondBuildRunsNothing() async throws {
        try await withTemporaryDirectory { directory in
            let harness = try Harness(directory: directory)
            let first = try await harness.build(Self.llmCampaign)
            #expect(first.succeeded)
            #expect(harness.generator.ran.count == 2 && harness.combiner.ran.map(\.local) == [.combine] && harness.selector.ran.map(\.local) == [.select])
            harness.reset()
            let second = try await harness.build(Self.llmCampaign)
            #expect(second.succeeded)
            #expect(harness.generator.ran.isEmpty && harness.combiner.ran.isEmpty && harness.selector.ran.isEmpty)
            #expect(states(second).values.allSatisfy { $0 == .cached })
            #expect(second.videoDigest == first.videoDigest)
        }
    }

    @Test func brandEditRerunsSelectionOnlyWhenPairsComeBackTheSame() async throws {
        try await withTemporaryDirectory { directory in
            let harness = try Harness(directory: directory)
            _ = try await harness.build(Self.llmCampaign)
            harness.reset()
            let edited = Self.llmCampaign.replacingOccurrences(of: "voice: calm", with: "voice: bold")
            let result = try await harness.build(edited)
            #expect(result.succeeded)
            #expect(harness.selector.ran.map(\.local) == [.select])  // its key changed
            #expect(harness.generator.ran.isEmpty)  // early cutoff: same pairs, same clips
            #expect(harness.combiner.ran.isEmpty)
            #expect(states(result)["select"] == .built && states(result)["generate/0"] == .cached)
        }
    }

    @Test func changingOneAssetRebuildsOnlyItsClipsAndCombine() async throws {
        try await withTemporaryDirectory { directory in
            let harness = try Harness(directory: directory)
            let yaml = CampaignFixtures.explicitPairs
            _ = try await harness.build(yaml)
            harness.reset()
            // c appears only in the second pair (b -> c).
            let result = try await harness.build(yaml, digests: ["c": "c, retouched"])
            #expect(result.succeeded)
            #expect(harness.generator.ran.map(\.local) == [.generate(1)])
            #expect(harness.combiner.ran.map(\.local) == [.combine])
            #expect(states(result)["generate/0"] == .cached)
        }
    }

    @Test func changingTheTransitionRebuildsOnlyCombine() async throws {
        try await withTemporaryDirectory { directory in
            let harness = try Harness(directory: directory)
            _ = try await harness.build(CampaignFixtures.explicitPairs)
            harness.reset()
            let result = try await harness.build(CampaignFixtures.explicitPairs + "\noutput: {transition: {type: wipeleft, duration: 0.5}}")
            #expect(result.succeeded)
            #expect(harness.generator.ran.isEmpty)
            #expect(harness.combiner.ran.map(\.local) == [.combine])
        }
    }

    @Test func damagedBlobIsDetectedAndRebuilt() async throws {
        try await withTemporaryDirectory { directory in
            let harness = try Harness(directory: directory)
            let first = try await harness.build(CampaignFixtures.explicitPairs)
            let clip = try #require(first.nodes.first { $0.id.local == .generate(0) }?.outputDigest)
            let blob = harness.store.content.path(for: clip).pathString
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: blob)
            try Data("bit rot".utf8).write(to: URL(fileURLWithPath: blob))
            harness.reset()
            let second = try await harness.build(CampaignFixtures.explicitPairs)
            #expect(second.succeeded)
            #expect(harness.generator.ran.map(\.local) == [.generate(0)])
            // The clip came back byte-identical, so the video is still cached (early cutoff).
            #expect(harness.combiner.ran.isEmpty)
            #expect(try harness.store.content.verify(clip) == .present)
        }
    }

    @Test func failedClipFailsTheBuildAndKeepsTheOthers() async throws {
        try await withTemporaryDirectory { directory in
            let failing = RecordingExecutor { spec, _ in
                if spec.id.local == .generate(0) { throw GenerationError.predictionEnded(id: "p1", status: "failed", message: "NSFW") }
                return (Data("clip \(spec.id)".utf8), [:])
            }
            let store = try CacheStore(root: directory.appending("cache"), fileSystem: LocalFileSystem())
            let campaign = try CampaignFixtures.resolve(CampaignFixtures.explicitPairs)
            var relocatedCampaign = campaign
            relocatedCampaign.output.path = directory.appending("out/video.mp4")
            relocatedCampaign.manifestPath = directory.appending("reel.yaml")
            let workspace = Workspace(
                campaign: relocatedCampaign, environment: .live(), store: store, assetDigests: CampaignFixtures.digests(campaign),
                toolVersion: "ffmpeg test")
            let events = Mutex<[BuildEvent]>([])
            let result = await BuildEngine(
                workspace: workspace, executors: ExecutorSet(animatic: failing, combine: RecordingExecutor.contentAddressed()),
                options: BuildOptions(jobs: 1, keepGoing: true), events: { event in events.withLock { $0.append(event) } }
            ).run()
            #expect(!result.succeeded)
            let byID = Dictionary(uniqueKeysWithValues: result.nodes.map { ($0.id.local, $0) })
            #expect(byID[.generate(0)]?.state == .failed)
            #expect(byID[.generate(0)]?.message?.contains("NSFW") == true)
            #expect(byID[.generate(1)]?.state == .built)  // --keep-going
            #expect(byID[.combine]?.state == .skipped)
            #expect(result.video == nil)
            #expect(events.withLock { $0 }.contains { if case .failed(let id, _, _) = $0 { return id.local == .generate(0) } else { return false } })
        }
    }
}

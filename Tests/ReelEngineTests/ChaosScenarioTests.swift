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

/// Issue 9's standing randomised scenario test: 50 seeded scenarios (150+ builds) against the fake Replicate
/// (real wire format) mixing interruptions at random moments (the build task is cancelled mid-way
/// with no cancel through the API: what a kill leaves — journaled predictions, open reservations,
/// creates whose reply never arrived), faults (5xx and 429 on create, garbled create replies,
/// 5xx and garbled polls, truncated downloads), failed and cancelled-after-start predictions, and
/// budget caps. After the scenario's runs and a final uncapped run: every clip was paid for once,
/// the ledger equals the fake's bill to the cent, and no reservation or journal entry is open.
@Suite(.enabled(if: Fixtures.hasFFmpeg, "needs ffmpeg"), .serialized)
struct ChaosScenarioTests {
    static let images = ["a", "b", "c", "d", "e"]
    static let rate = 0.10

    struct Scenario: CustomStringConvertible {
        var seed: UInt64
        var pairs: [(String, String)]
        var duration: Int
        var concurrency: Int
        var caps: BudgetCaps
        var scripts: [FakeReplicate.Script]
        var faults: [(FakeFault, FakeReplicate.Route)]
        var interruptAfter: Duration?

        var description: String {
            "seed \(seed): \(pairs.count) clips of \(duration) s, concurrency \(concurrency), caps \(caps), "
                + "\(scripts.count) scripts, faults \(faults.map { "\($0.0)@\($0.1)" }), interrupt \(interruptAfter.map { "\($0)" } ?? "none")"
        }

        static func make(seed: UInt64) -> Scenario {
            var random = SeededGenerator(state: seed &* 7919)
            let count = Int.random(in: 1...3, using: &random)
            var pairs: [(String, String)] = []
            while pairs.count < count {
                let first = images.randomElement(using: &random) ?? "a"
                let last = images.randomElement(using: &random) ?? "b"
                if first != last, !pairs.contains(where: { $0 == (first, last) }) { pairs.append((first, last)) }
            }
            let duration = [4, 6, 8].randomElement(using: &random) ?? 4
            let clip = Double(duration) * rate
            func cap(_ probability: Double, _ range: ClosedRange<Double>) -> Double? {
                Double.random(in: 0...1, using: &random) < probability ? (Double.random(in: range, using: &random) * 100).rounded() / 100 : nil
            }
            let caps = BudgetCaps(
                campaign: cap(0.3, 0...(Double(count) * clip * 1.5)), run: cap(0.3, 0...(Double(count) * clip)), node: cap(0.15, (clip * 0.5)...(clip * 1.5)))
            let scripts: [FakeReplicate.Script] = (0..<count).map { _ in
                switch Double.random(in: 0...1, using: &random) {
                case ..<0.15: return .fails("chaos failure", afterPolls: 2)
                case ..<0.3: return FakeReplicate.Script(.polls(2), outcome: .canceled)
                default: return .succeeds(afterPolls: Int.random(in: 1...3, using: &random))
                }
            }
            let menu: [(FakeFault, FakeReplicate.Route)] = [
                (.serverError(status: 503), .createPrediction), (.rateLimited(retryAfter: 0), .createPrediction),
                (.malformedJSON, .createPrediction), (.serverError(status: 500), .getPrediction), (.malformedJSON, .getPrediction),
                (.truncatedBody, .download),
            ]
            let faults = menu.filter { _ in Double.random(in: 0...1, using: &random) < 0.25 }
            let interrupt: Duration? = Bool.random(using: &random) ? .milliseconds(Int.random(in: 0...250, using: &random)) : nil
            return Scenario(
                seed: seed, pairs: pairs, duration: duration, concurrency: Int.random(in: 1...3, using: &random), caps: caps, scripts: scripts,
                faults: faults, interruptAfter: interrupt)
        }
    }

    /// 50 scenarios of at least three builds each (150+ runs), bounded to about a minute.
    @Test func chaoticScenariosPayOnceAndLeaveTheLedgerEqualToTheBill() async throws {
        try await withTemporaryDirectory { root in
            let clip = root.appending("model-output.mp4")
            try await Fixtures.makeClip(at: clip, seconds: 1, width: 160, height: 90)
            try FileManager.default.createDirectory(atPath: root.appending("frames").pathString, withIntermediateDirectories: true)
            // Distinct small frames (inline as data URLs), so every pair is its own clip.
            for (index, name) in Self.images.enumerated() {
                let color = ["red", "green", "blue", "yellow", "purple"][index]
                _ = try await runProcess("ffmpeg", ["-nostdin", "-y", "-v", "error", "-f", "lavfi", "-i", "color=c=\(color):s=64x36",
                    "-frames:v", "1", root.appending("frames/\(name).jpg").pathString])
            }
            let fake = FakeReplicate(token: "r8_chaos_token_00000")
            try await fake.start()
            fake.outputVideo = URL(fileURLWithPath: clip.pathString)
            fake.prices = .init(perSecond: ["google/veo-3.1-fast": Decimal(Self.rate)], billsCanceledAfterStart: true)
            var interrupted = 0
            var faulted = 0
            for seed in UInt64(1)...50 {
                let scenario = Scenario.make(seed: seed)
                if scenario.interruptAfter != nil { interrupted += 1 }
                faulted += scenario.faults.count
                try await run(scenario, fake: fake, root: root)
            }
            await fake.stop()
            #expect(interrupted >= 15 && faulted >= 30, "the scenarios exercise interruptions (\(interrupted)) and faults (\(faulted))")
        }
    }

    func run(_ scenario: Scenario, fake: FakeReplicate, root: AbsolutePath) async throws {
        fake.reset()
        fake.clearFaults()
        for (fault, route) in scenario.faults { fake.inject(fault, times: 1, on: route) }
        for script in scenario.scripts { fake.enqueue(script) }
        fake.defaultScript = .succeeds(afterPolls: 1)
        let project = root.appending("s\(scenario.seed)")
        try FileManager.default.createDirectory(atPath: project.appending(".reel").pathString, withIntermediateDirectories: true)
        for name in Self.images {
            try? FileManager.default.copyItem(atPath: root.appending("frames/\(name).jpg").pathString, toPath: project.appending("\(name).jpg").pathString)
        }
        let pairs = scenario.pairs.map { "[\($0.0), \($0.1)]" }.joined(separator: ", ")
        try writeFile("""
            version: 1
            campaign: {id: chaos-\(scenario.seed)}
            assets: [\(Self.images.map { "\($0).jpg" }.joined(separator: ", "))]
            select: {pairs: [\(pairs)]}
            generate: {model: google/veo-3.1-fast, duration: \(scenario.duration), audio: false, concurrency: \(scenario.concurrency), prompt: move}
            output: {transition: none}
            """, to: project.appending("reel.yaml"))
        let loaded = ManifestLoader(fileSystem: LocalFileSystem()).load(project.appending("reel.yaml"), displayPath: "reel.yaml")
        let campaign = try #require(loaded.campaign, "\(loaded.diagnostics)")
        let store = try CacheStore(root: project.appending(".reel/cache"), fileSystem: LocalFileSystem())
        let (digests, _) = try AssetHasher(statCache: store.statCache).digests(of: campaign.assets)
        let ledger = try Ledger(path: project.appending(".reel/ledger.sqlite"))
        let http = HTTPClient(transport: URLSessionTransport(), policy: RetryPolicy(maxAttempts: 4, baseDelay: .milliseconds(5), maxDelay: .milliseconds(20)))
        let client = ReplicateClient(http: http, baseURL: fake.baseURL, token: Secret(variable: "REPLICATE_API_TOKEN", value: fake.token))
        let executor = RemoteGenerationExecutor(
            provider: ReplicateGeneration(client: client), pollInterval: .milliseconds(5), reconcileDelay: .milliseconds(20))
        func engine(_ run: String, caps: BudgetCaps) -> BuildEngine {
            let workspace = Workspace(
                campaign: campaign, environment: .live(), store: store, assetDigests: digests, toolVersion: "ffmpeg test", registry: campaign.registry)
            return BuildEngine(
                workspace: workspace, executors: ExecutorSet(generators: ["replicate": executor], combine: RecordingExecutor.contentAddressed()),
                options: BuildOptions(jobs: scenario.concurrency, keepGoing: true),
                spend: SpendGate(ledger: ledger, campaign: campaign.campaign.id, runID: run, caps: caps), events: { _ in })
        }

        // Run 1, under the caps, perhaps interrupted at a random moment; run 2 under the caps.
        let first = engine("run-1", caps: scenario.caps)
        let task = Task { await first.run() }
        if let after = scenario.interruptAfter {
            try await Task.sleep(for: after)
            task.cancel()
        }
        _ = await task.value
        _ = await engine("run-2", caps: scenario.caps).run()
        // Then uncapped runs until the campaign is built (failed or cancelled predictions are made again).
        fake.clearFaults()
        var final = await engine("final-1", caps: BudgetCaps()).run()
        for attempt in 2...4 where !final.succeeded {
            final = await engine("final-\(attempt)", caps: BudgetCaps()).run()
        }
        #expect(final.succeeded, "\(scenario): \(final.nodes.map { "\($0.id): \($0.message ?? "")" })")

        let predictions = fake.predictions
        #expect(predictions.allSatisfy { $0.status.isTerminal }, "nothing left running at the provider: \(scenario)")
        #expect(predictions.filter { $0.status == .succeeded }.count == scenario.pairs.count, "each clip paid for once: \(scenario)")
        let rows = try ledger.rows()
        #expect(rows.allSatisfy { $0.status != "reserved" }, "no reservation left open: \(scenario) \(rows.filter { $0.status == "reserved" })")
        let leftInJournal = try PredictionJournal(layout: store.layout, fileSystem: LocalFileSystem()).all()
        #expect(leftInJournal.isEmpty, "no journal entry left: \(scenario)")
        let ledgerTotal = rows.reduce(0.0) { $0 + ($1.actualUSD ?? 0) }
        let billed = NSDecimalNumber(decimal: fake.totalBilled).doubleValue
        #expect(abs(ledgerTotal - billed) < 0.005, "ledger \(ledgerTotal) vs billed \(billed): \(scenario) \(rows.map { "\($0.nodeID) \($0.status) \($0.actualUSD ?? -1)" })")
    }
}

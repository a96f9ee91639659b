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

/// A small deterministic generator (SplitMix64), so every scenario can be replayed from its seed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Randomised budget scenarios against the fake Replicate: caps, concurrency, failed predictions,
/// throttling and server errors. Never a cent over any cap, and the ledger's spend equals what
/// the fake provider billed.
@Suite(.enabled(if: Fixtures.hasFFmpeg, "needs ffmpeg"), .serialized)
struct BudgetScenarioTests {
    static let images = ["a", "b", "c", "d", "e", "f", "g"]
    static let rate = 0.10  // google/veo-3.1-fast without audio, per second (registry and fake agree)

    struct Scenario: CustomStringConvertible {
        var seed: UInt64
        var pairs: [(String, String)]
        var duration: Int
        var concurrency: Int
        var caps: BudgetCaps
        var failing: Set<Int>
        var faults: [(FakeFault, FakeReplicate.Route)]
        var runs: Int

        var description: String {
            "seed \(seed): \(pairs.count) clips of \(duration) s, concurrency \(concurrency), caps \(caps), failing \(failing.sorted()), \(faults.count) faults, \(runs) runs"
        }

        static func make(seed: UInt64) -> Scenario {
            var random = SeededGenerator(state: seed)
            let count = Int.random(in: 1...6, using: &random)
            var pairs: [(String, String)] = []
            while pairs.count < count {
                let first = images.randomElement(using: &random) ?? "a"
                let last = images.randomElement(using: &random) ?? "b"
                if first != last, !pairs.contains(where: { $0 == (first, last) }) { pairs.append((first, last)) }
            }
            let duration = [4, 6, 8].randomElement(using: &random) ?? 6
            let clip = Double(duration) * rate
            func cap(_ probability: Double, _ range: ClosedRange<Double>) -> Double? {
                Double.random(in: 0...1, using: &random) < probability ? (Double.random(in: range, using: &random) * 100).rounded() / 100 : nil
            }
            let caps = BudgetCaps(
                campaign: cap(0.7, 0...(Double(count) * clip * 1.2)), run: cap(0.5, 0...(Double(count) * clip)),
                node: cap(0.2, (clip * 0.5)...(clip * 1.5)))
            let failing = Set((0..<count).filter { _ in Double.random(in: 0...1, using: &random) < 0.2 })
            var faults: [(FakeFault, FakeReplicate.Route)] = []
            if Bool.random(using: &random) { faults.append((.rateLimited(retryAfter: nil), .createPrediction)) }
            if Bool.random(using: &random) { faults.append((.serverError(status: 503), .getPrediction)) }
            if Double.random(in: 0...1, using: &random) < 0.3 { faults.append((.rateLimited(retryAfter: 0), .getPrediction)) }
            return Scenario(
                seed: seed, pairs: pairs, duration: duration, concurrency: Int.random(in: 1...4, using: &random), caps: caps,
                failing: failing, faults: faults, runs: Int.random(in: 1...2, using: &random))
        }
    }

    @Test func hundredRandomScenariosNeverOvershootAndMatchTheBill() async throws {
        try await withTemporaryDirectory { root in
            let clip = root.appending("model-output.mp4")
            try await Fixtures.makeClip(at: clip, seconds: 1, width: 160, height: 90)
            try FileManager.default.createDirectory(atPath: root.appending("frames").pathString, withIntermediateDirectories: true)
            for name in Self.images {
                try await Fixtures.makeClip(at: root.appending("frames/\(name).mp4"), seconds: 0.1, width: 64, height: 36)
                _ = try await runProcess("ffmpeg", ["-nostdin", "-y", "-v", "error", "-i", root.appending("frames/\(name).mp4").pathString,
                    "-frames:v", "1", root.appending("frames/\(name).jpg").pathString])
            }
            let fake = FakeReplicate(token: "r8_budget_token_0000")
            try await fake.start()
            fake.outputVideo = URL(fileURLWithPath: clip.pathString)
            fake.prices = .init(perSecond: ["google/veo-3.1-fast": Decimal(Self.rate)])
            var refused = 0
            var spent = 0.0
            var failedPredictions = 0
            for seed in UInt64(1)...100 {
                let tally = try await run(Scenario.make(seed: seed), fake: fake, root: root)
                refused += tally.refused
                spent += tally.spent
                failedPredictions += tally.failed
            }
            await fake.stop()
            // The scenarios exercise every path: caps that refuse, money spent, predictions that fail.
            #expect(refused >= 20, "only \(refused) reservations refused across 100 scenarios")
            #expect(spent > 10, "only $\(spent) spent across 100 scenarios")
            #expect(failedPredictions >= 10)
        }
    }

    func run(_ scenario: Scenario, fake: FakeReplicate, root: AbsolutePath) async throws -> (refused: Int, spent: Double, failed: Int) {
        var tally = (refused: 0, spent: 0.0, failed: 0)
        fake.reset()
        fake.clearFaults()
        for (fault, route) in scenario.faults { fake.inject(fault, times: 1, on: route) }
        let project = root.appending("s\(scenario.seed)")
        try FileManager.default.createDirectory(atPath: project.appending(".reel").pathString, withIntermediateDirectories: true)
        for name in Self.images {
            try? FileManager.default.copyItem(atPath: root.appending("frames/\(name).jpg").pathString, toPath: project.appending("\(name).jpg").pathString)
        }
        let pairs = scenario.pairs.map { "[\($0.0), \($0.1)]" }.joined(separator: ", ")
        let yaml = """
            version: 1
            campaign: {id: budget-\(scenario.seed)}
            assets: [\(Self.images.map { "\($0).jpg" }.joined(separator: ", "))]
            select: {pairs: [\(pairs)]}
            generate: {model: google/veo-3.1-fast, duration: \(scenario.duration), audio: false, concurrency: \(scenario.concurrency), prompt: move}
            output: {transition: none}
            """
        try writeFile(yaml, to: project.appending("reel.yaml"))
        let outcome = ManifestLoader(fileSystem: LocalFileSystem()).load(project.appending("reel.yaml"), displayPath: "reel.yaml")
        let campaign = try #require(outcome.campaign, "\(outcome.diagnostics)")
        let store = try CacheStore(root: project.appending(".reel/cache"), fileSystem: LocalFileSystem())
        let (digests, _) = try AssetHasher(statCache: store.statCache).digests(of: campaign.assets)
        let ledger = try Ledger(path: project.appending(".reel/ledger.sqlite"))
        let token = Secret(variable: "REPLICATE_API_TOKEN", value: fake.token)
        let http = HTTPClient(transport: URLSessionTransport(), policy: RetryPolicy(maxAttempts: 6, baseDelay: .milliseconds(5), maxDelay: .milliseconds(50)))
        let replicate = RemoteGenerationExecutor(provider: ReplicateGeneration(client: ReplicateClient(http: http, baseURL: fake.baseURL, token: token)), pollInterval: .milliseconds(5))
        var scripts: [FakeReplicate.Script] = []
        for index in scenario.pairs.indices { scripts.append(scenario.failing.contains(index) ? .fails("scenario failure", afterPolls: 1) : .succeeds(afterPolls: 1)) }

        for run in 1...scenario.runs {
            // Predictions are created in whatever order the scheduler starts them; script by prompt-free order.
            fake.defaultScript = .succeeds(afterPolls: 1)
            for script in scripts where run == 1 { fake.enqueue(script) }
            let workspace = Workspace(
                campaign: campaign, environment: .live(), store: store, assetDigests: digests, toolVersion: "ffmpeg test", registry: campaign.registry)
            let gate = SpendGate(ledger: ledger, campaign: campaign.campaign.id, runID: "run-\(run)", caps: scenario.caps)
            let engine = BuildEngine(
                workspace: workspace, executors: ExecutorSet(generators: ["replicate": replicate], combine: RecordingExecutor.contentAddressed()),
                options: BuildOptions(jobs: scenario.concurrency, keepGoing: true), spend: gate, events: { _ in })
            let result = await engine.run()
            tally.refused += result.nodes.filter { $0.message?.hasPrefix("not started: would exceed") == true }.count
            tally.failed += result.nodes.filter { $0.message?.contains("scenario failure") == true }.count

            let rows = try ledger.rows()
            let epsilon = 1e-9
            if let cap = scenario.caps.campaign {
                #expect(try ledger.committed(campaign: campaign.campaign.id) <= cap + epsilon, "\(scenario)")
            }
            if let cap = scenario.caps.run {
                #expect(try ledger.committed(run: "run-\(run)") <= cap + epsilon, "\(scenario)")
            }
            if let cap = scenario.caps.node {
                #expect(rows.allSatisfy { ($0.actualUSD ?? $0.estimatedUSD) <= cap + epsilon }, "\(scenario)")
            }
            #expect(rows.allSatisfy { $0.status != "reserved" }, "no reservation left open: \(scenario)")
            let ledgerTotal = rows.reduce(0.0) { $0 + ($1.actualUSD ?? 0) }
            let billed = NSDecimalNumber(decimal: fake.totalBilled).doubleValue
            #expect(abs(ledgerTotal - billed) < 1e-6, "ledger \(ledgerTotal) vs billed \(billed): \(scenario)")
            #expect(fake.createCount == rows.filter { $0.predictionID != nil }.count, "every create is in the ledger: \(scenario)")
            tally.spent = ledgerTotal
        }
        return tally
    }
}

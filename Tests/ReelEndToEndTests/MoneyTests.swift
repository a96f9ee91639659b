import Foundation
import ReelBasics
import ReelTestSupport
import Testing

/// Cost before spending, budget caps, the ledger and --frozen, through the built binary.
@Suite(.enabled(if: Fixtures.hasFFmpeg, "needs ffmpeg"), .serialized)
struct MoneyTests {
    static let keys = ["XAI_API_KEY": "xai-planonlykey000", "REPLICATE_API_TOKEN": "r8_planonlytoken000"]

    func plan(_ yaml: String, in directory: AbsolutePath, _ extra: [String] = []) async throws -> (ReelBinary.Result, [String: Any]) {
        try Fixtures.copyPhotos(["rocket.jpg", "astronaut.jpg", "coffee.jpg"], to: directory.appending("assets"))
        try writeFile(yaml, to: directory.appending("reel.yaml"))
        let result = try await ReelBinary.run(["plan", "reel.yaml", "--json"] + extra, in: directory, environment: Self.keys)
        let object = try #require(result.lastJSON, "\(result.stderr)")
        return (result, object)
    }

    static func manifest(quality: String, extra: String = "") -> String {
        """
        version: 1
        campaign: {id: money}
        assets: [{glob: assets/*.jpg}]
        select: {pairs: [[rocket, astronaut], [astronaut, coffee], [coffee, rocket]]}
        quality: \(quality)
        \(extra)
        """
    }

    func estimates(_ plan: [String: Any]) -> [String: Double] {
        let nodes = plan["nodes"] as? [[String: Any]] ?? []
        return Dictionary(uniqueKeysWithValues: nodes.compactMap { node in
            (node["id"] as? String).map { ($0, node["estimated_usd"] as? Double ?? -1) }
        })
    }

    /// (quality, extra manifest lines, expected USD per clip): the registry's arithmetic.
    static let cases: [(String, String, Double)] = [
        ("economy", "", 0.27),  // hailuo-02 768p: $0.045/s x 6 s
        ("balanced", "", 0.60),  // veo-3.1-fast, no audio: $0.10/s x 6 s
        ("premium", "", 3.20),  // veo-3.1 with audio: $0.40/s x 8 s
        ("balanced", "generate: {audio: true, duration: 8}", 1.20),  // $0.15/s x 8 s
        ("economy", "generate: {duration: 7}", 0.27),  // snapped to 6 s
        ("economy", "generate: {resolution: 1080p}", 0.48),  // $0.08/s x 6 s
        ("economy", "prices: {minimax/hailuo-02: {usd_per_second: {768p: 0.05}}}", 0.30),
        ("balanced", "prices: {google/veo-3.1-fast: {usd_per_run: 0.5}}", 0.50),
    ]

    @Test(arguments: cases)
    func planEstimatesFollowTheRegistry(_ testCase: (String, String, Double)) async throws {
        let (quality, extra, perClip) = testCase
        try await withTemporaryDirectory { directory in
            let (result, object) = try await plan(Self.manifest(quality: quality, extra: extra), in: directory)
            #expect(result.exitCode == 0, "\(result.stderr)")
            let byNode = estimates(object)
            for index in 0..<3 { #expect(abs((byNode["generate/\(index)"] ?? 0) - perClip) < 1e-9) }
            #expect(byNode["combine"] == 0)
            #expect(abs((object["estimated_usd"] as? Double ?? 0) - perClip * 3) < 1e-6)
            #expect(object["costs_are_estimates"] as? Bool == true)
        }
    }

    @Test func detailedExitCodeSaysWhetherThereIsWork() async throws {
        try await withTemporaryDirectory { directory in
            try Fixtures.copyPhotos(["rocket.jpg", "astronaut.jpg"], to: directory.appending("assets"))
            try writeFile("""
                version: 1
                campaign: {id: exits}
                assets: [{glob: assets/*.jpg}]
                generate: {duration: 1}
                output: {resolution: 320x180}
                """, to: directory.appending("reel.yaml"))
            #expect(try await ReelBinary.run(["plan", "reel.yaml", "--detailed-exitcode"], in: directory).exitCode == 2)
            #expect(try await ReelBinary.run(["build", "reel.yaml"], in: directory).exitCode == 0)
            #expect(try await ReelBinary.run(["plan", "reel.yaml", "--detailed-exitcode"], in: directory).exitCode == 0)
            #expect(try await ReelBinary.run(["plan", "reel.yaml"], in: directory).exitCode == 0)
        }
    }

    @Test func buildRefusesAPlanOverTheBudgetBeforeSpending() async throws {
        try await withTemporaryDirectory { directory in
            let harness = ProviderHarness(directory: directory)
            try await harness.start()
            try harness.writeManifest(voice: "calm", count: 2, extra: "budget: {max_usd: 0.5}")
            let plan = try await ReelBinary.run(["plan", "reel.yaml"], in: directory, environment: harness.environment)
            #expect(plan.stdout.contains("does NOT fit"))
            let refused = try await ReelBinary.run(["build", "reel.yaml"], in: directory, environment: harness.environment)
            #expect(refused.exitCode == 1)
            #expect(refused.stderr.contains("budget.max_usd leaves $0.50"))
            #expect(harness.replicate.requests.isEmpty && harness.chat.requests.isEmpty)
            // --keep-going builds what fits: selection and one $0.60 clip would break $0.50, so no clip.
            let partial = try await harness.build(["--keep-going"])
            #expect(partial.exitCode == 1)
            #expect(harness.replicate.createCount == 0)
            #expect(ProviderHarness.failures(partial).contains("would exceed budget.max_usd"))
            await harness.stop()
        }
    }

    @Test func runCapFromTheCommandLineBuildsOnlyWhatFits() async throws {
        try await withTemporaryDirectory { directory in
            let harness = ProviderHarness(directory: directory)
            try await harness.start()
            // Two clips at $0.60 each and a few cents of selection: a $1.00 run cap fits one clip.
            let result = try await harness.build(["--keep-going", "--max-usd", "1.00", "--jobs", "4"])
            #expect(result.exitCode == 1)
            #expect(harness.replicate.createCount == 1)
            let spend = try await ReelBinary.run(["spend", "--json"], in: directory)
            let summary = try #require(try JSONSerialization.jsonObject(with: Data(spend.stdout.utf8)) as? [String: Any])
            let total = try #require(summary["total_usd"] as? Double)
            #expect(total <= 1.00)
            // The clip spend in the ledger is exactly what the fake provider billed.
            let byModel = try #require(summary["by_model"] as? [String: [String: Any]])
            let clips = try #require(byModel["google/veo-3.1-fast"]?["usd"] as? Double)
            let billed = NSDecimalNumber(decimal: harness.replicate.totalBilled).doubleValue
            #expect(billed > 0 && abs(clips - billed) < 1e-6)
            #expect(byModel["grok-4.20-non-reasoning"] != nil)
            await harness.stop()
        }
    }

    @Test func frozenBuildsNothingPaidAndNeverChangesTheLockfile() async throws {
        try await withTemporaryDirectory { directory in
            let harness = ProviderHarness(directory: directory)
            try await harness.start()
            // No lockfile yet: refuse.
            let first = try await harness.build(["--frozen"])
            #expect(first.exitCode == 1)
            #expect(first.stderr.contains("--frozen") && first.stderr.contains("there is no lockfile"))
            #expect(harness.replicate.requests.isEmpty && harness.chat.requests.isEmpty)
            #expect(try await harness.build().exitCode == 0)
            let lock = try String(contentsOfFile: directory.appending("reel.lock").pathString, encoding: .utf8)
            // Nothing to do: frozen passes.
            let calm = try await harness.build(["--frozen"])
            #expect(calm.exitCode == 0, "\(calm.stderr)")
            // A change that needs new paid clips: frozen lists them and spends nothing.
            try harness.writeManifest(voice: "calm", count: 2, extra: "generate: {seed: 7}")
            let creates = harness.replicate.createCount
            let changed = try await harness.build(["--frozen"])
            #expect(changed.exitCode == 1)
            #expect(changed.stderr.contains("generate/0 would be generated"))
            #expect(harness.replicate.createCount == creates)
            #expect(try String(contentsOfFile: directory.appending("reel.lock").pathString, encoding: .utf8) == lock)
            await harness.stop()
        }
    }

    @Test func theLedgerSurvivesCleaningTheCache() async throws {
        try await withTemporaryDirectory { directory in
            let harness = ProviderHarness(directory: directory)
            try await harness.start()
            #expect(try await harness.build().exitCode == 0)
            let before = try await ReelBinary.run(["spend", "--json"], in: directory)
            let clean = try await ReelBinary.run(["clean", "reel.yaml"], in: directory, environment: harness.environment)
            #expect(clean.exitCode == 0, "\(clean.stderr)")
            #expect(!FileManager.default.fileExists(atPath: directory.appending(".reel/cache").pathString))
            #expect(FileManager.default.fileExists(atPath: directory.appending(".reel/ledger.sqlite").pathString))
            let after = try await ReelBinary.run(["spend", "--json"], in: directory)
            #expect(after.stdout == before.stdout && !after.stdout.contains("\"total_usd\":0,"))
            // With the cache gone, the plan says what rebuilding would cost again.
            let plan = try await ReelBinary.run(["plan", "reel.yaml", "--json"], in: directory, environment: harness.environment)
            #expect((plan.lastJSON?["estimated_usd"] as? Double ?? 0) > 1)
            await harness.stop()
        }
    }
}

/// Issue 9 item 12: `reel plan` flags a clip cap below the per-clip estimate, and a journaled
/// (already paid) node as resuming rather than "never built".
@Suite(.enabled(if: Fixtures.hasFFmpeg, "needs ffmpeg"), .serialized)
struct PlanFlagEndToEndTests {
    @Test func planFlagsAClipCapBelowTheEstimate() async throws {
        try await withTemporaryDirectory { directory in
            let (result, plan) = try await MoneyTests().plan(MoneyTests.manifest(quality: "balanced", extra: "budget: {clip_max_usd: 0.10}"), in: directory)
            #expect(result.exitCode == 0)
            let warnings = plan["warnings"] as? [String] ?? []
            #expect(warnings.count == 3, "\(warnings)")
            #expect(warnings.first?.contains("above budget.clip_max_usd") == true)
            let text = try await ReelBinary.run(["plan", "reel.yaml"], in: directory, environment: MoneyTests.keys)
            #expect(text.stdout.contains("warning: generate/0 is estimated at"))
        }
    }

    @Test func planShowsAJournaledNodeAsResumingAndPaid() async throws {
        try await withTemporaryDirectory { directory in
            let harness = ProviderHarness(directory: directory)
            try await harness.start()
            harness.replicate.enqueue(.manual, .manual)
            let process = try harness.launch()
            let created = await harness.waitUntil { harness.replicate.createCount == 2 }
            try await Task.sleep(for: .milliseconds(300))
            kill(process.processIdentifier, SIGKILL)
            _ = await waitForExit(process)
            let plan = try await ReelBinary.run(["plan", "reel.yaml", "--json"], in: directory, environment: harness.environment)
            await harness.stop()
            #expect(created)
            let nodes = plan.lastJSON?["nodes"] as? [[String: Any]] ?? []
            let generate = nodes.filter { ($0["id"] as? String)?.hasPrefix("generate/") == true }
            #expect(generate.count == 2)
            for node in generate {
                #expect(node["resuming"] as? Bool == true, "\(node)")
                #expect((node["reason"] as? String)?.hasPrefix("resuming, paid (prediction ") == true)
            }
        }
    }
}

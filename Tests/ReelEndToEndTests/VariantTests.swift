import Foundation
import ReelBasics
import ReelTestSupport
import Testing

/// Issue 14, variants: one selection, a video per variant, and a clip two variants share built
/// (and paid for) once. Against the fake Replicate and xAI, with real ffmpeg.
@Suite(.enabled(if: Fixtures.hasFFmpeg, "needs ffmpeg"), .serialized)
struct VariantTests {
    /// `fade` and `cut` differ only in the combine's transition, so their clips are the same;
    /// `lite` uses another model, so its clips are its own.
    static let variants = """
        variants:
          fade:
            output: {transition: {type: fade, duration: 0.5}}
          cut:
            output: {transition: none}
          lite:
            generate: {model: bytedance/seedance-1-lite}
        """

    func text(_ path: AbsolutePath) throws -> String { try String(contentsOfFile: path.pathString, encoding: .utf8) }
    func read(_ path: AbsolutePath) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path.pathString)) }

    @Test func sharedClipsAreBuiltOnceAndEachVariantGetsItsVideo() async throws {
        try await withTemporaryDirectory { directory in
            let harness = ProviderHarness(directory: directory)
            try await harness.start()
            defer { Task { await harness.stop() } }
            harness.replicate.prices = .init(perSecond: ["google/veo-3.1-fast": 0.10, "bytedance/seedance-1-lite": 0.036])
            try harness.writeManifest(voice: "calm", count: 2, extra: Self.variants)

            // The plan: per variant, and a total that counts the shared clips once.
            let plan = try await ReelBinary.run(["plan", "reel.yaml", "--json"], in: directory, environment: harness.environment)
            #expect(plan.exitCode == 0, "\(plan.stderr)")
            let planned = plan.lastJSON?["variants"] as? [[String: Any]] ?? []
            #expect(planned.compactMap { $0["name"] as? String } == ["fade", "cut", "lite"])
            let perVariant = Dictionary(uniqueKeysWithValues: planned.compactMap { item in
                (item["name"] as? String).map { ($0, item["estimated_usd"] as? Double ?? -1) }
            })
            let total = try #require(plan.lastJSON?["estimated_usd"] as? Double)
            #expect((perVariant["fade"] ?? 0) > 0 && perVariant["fade"] == perVariant["cut"])
            #expect(total < (perVariant["fade"] ?? 0) + (perVariant["cut"] ?? 0) + (perVariant["lite"] ?? 0), "shared clips count once in the total")
            let planIDs = (plan.lastJSON?["nodes"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            #expect(planIDs.filter { $0.hasPrefix("generate/") }.sorted() == ["generate/0@fade", "generate/0@lite", "generate/1@fade", "generate/1@lite"])
            #expect(planIDs.filter { $0.hasPrefix("combine") }.sorted() == ["combine@cut", "combine@fade", "combine@lite"])

            let first = try await harness.build()
            #expect(first.exitCode == 0, "\(ProviderHarness.failures(first))")
            #expect(harness.replicate.createCount == 4, "two shared clips once, and lite's two")
            let models = harness.replicate.predictions.map(\.model)
            #expect(models.filter { $0.contains("veo") }.count == 2 && models.filter { $0.contains("seedance") }.count == 2, "\(models)")
            let states = ProviderHarness.states(first)
            #expect(Set(states.keys) == ["select", "generate/0@fade", "generate/1@fade", "generate/0@lite", "generate/1@lite", "combine@fade", "combine@cut", "combine@lite"])

            // Three videos, where the names say, made of the right clips.
            #expect(!FileManager.default.fileExists(atPath: directory.appending("out/paid.mp4").pathString))
            let fade = try await probeVideo(directory.appending("out/paid.fade.mp4"))
            let cut = try await probeVideo(directory.appending("out/paid.cut.mp4"))
            let lite = try await probeVideo(directory.appending("out/paid.lite.mp4"))
            #expect(abs(fade.duration - 3.5) < 0.2, "two 2 s clips with a 0.5 s fade: \(fade.duration)")
            #expect(abs(cut.duration - 4.0) < 0.2, "two 2 s clips cut together: \(cut.duration)")
            #expect(abs(lite.duration - 3.5) < 0.2)
            #expect([fade.width, cut.width, lite.width] == [320, 320, 320] && [fade.height, cut.height, lite.height] == [180, 180, 180])
            for variant in ["fade", "cut", "lite"] {
                let clips = try FileManager.default.contentsOfDirectory(atPath: directory.appending("out/paid.\(variant).clips").pathString)
                #expect(clips.sorted() == ["01-rocket-astronaut.mp4", "02-astronaut-coffee.mp4"], "\(variant): \(clips)")
            }
            let summary = first.lastJSON?["variants"] as? [[String: Any]] ?? []
            #expect(summary.compactMap { $0["name"] as? String } == ["fade", "cut", "lite"])
            #expect((summary[safe: 1]?["clip_nodes"] as? [String]) == ["generate/0@fade", "generate/1@fade"], "cut's clips are fade's nodes")

            // The lockfile records each variant's video and clips.
            let lockfile = try text(directory.appending("reel.lock"))
            #expect(lockfile.contains("variants:\n- name: fade\n  path: out/paid.fade.mp4\n"), "\(lockfile)")
            #expect(lockfile.contains("- name: cut\n  path: out/paid.cut.mp4\n"))
            #expect(lockfile.contains("  clips: [generate/0@fade, generate/1@fade]\n  combine: combine@cut\n"), "\(lockfile)")
            #expect(!lockfile.contains("\noutput:\n"), "a campaign with variants has no single output")

            // A rerun is all cached; `--variant` builds one, leaving the others in the lockfile.
            let again = try await harness.build()
            #expect(again.exitCode == 0 && harness.replicate.createCount == 4)
            #expect(ProviderHarness.states(again).values.allSatisfy { $0 == "cached" })
            let one = try await harness.build(["--variant", "cut"])
            #expect(one.exitCode == 0, "\(ProviderHarness.failures(one))")
            #expect(Set(ProviderHarness.states(one).keys) == ["select", "generate/0@fade", "generate/1@fade", "combine@cut"], "a shared clip keeps its id")
            let narrowed = try text(directory.appending("reel.lock"))
            #expect(narrowed == lockfile, "the other variants' entries are kept:\n\(narrowed)")
            let unknown = try await harness.build(["--variant", "fsat"])
            #expect(unknown.exitCode != 0)
            #expect(unknown.stderr.contains("--variant fsat: paid has no such variant"), "\(unknown.stderr)")

            // A re-roll of one variant's clip: one prediction; that variant's video changes, the
            // variant it shared the clip with keeps its own.
            let other = directory.appending("fixtures/other-output.mp4")
            try await Fixtures.makeClip(at: other, seconds: 3)
            harness.replicate.outputVideo = URL(fileURLWithPath: other.pathString)
            let fadeBefore = try read(directory.appending("out/paid.fade.mp4"))
            let cutBefore = try read(directory.appending("out/paid.cut.mp4"))
            let reroll = try await ReelBinary.run(
                ["reroll", "--variant", "cut", "generate/1", "reel.yaml", "--json"], in: directory, environment: harness.environment)
            #expect(reroll.exitCode == 0, "\(ProviderHarness.failures(reroll))")
            #expect(harness.replicate.createCount == 5, "exactly one new prediction")
            #expect(ProviderHarness.states(reroll)["generate/1@cut"] == "built")
            #expect(try read(directory.appending("out/paid.fade.mp4")) == fadeBefore)
            #expect(try read(directory.appending("out/paid.cut.mp4")) != cutBefore)
            #expect(abs((try await probeVideo(directory.appending("out/paid.cut.mp4"))).duration - 5.0) < 0.2)
            let rerolled = try text(directory.appending("reel.lock"))
            #expect(rerolled.contains("takes:\n- first: astronaut\n  last: coffee\n  variant: cut\n  take: 2\n"), "\(rerolled)")
            let ambiguous = try await ReelBinary.run(["reroll", "generate/1", "reel.yaml"], in: directory, environment: harness.environment)
            #expect(ambiguous.exitCode != 0)
            #expect(ambiguous.stderr.contains("has variants (fade, cut, lite)"), "\(ambiguous.stderr)")
            #expect(harness.replicate.createCount == 5)
        }
    }

    /// Priority 2 of the issue: a chosen take belongs to its pair. When the selector's choice
    /// changes order, the re-rolled clip of `astronaut -> coffee` stays take 2 at its new index, and
    /// the pair now at its old index is not re-rolled: nothing is generated again.
    @Test func aTakeFollowsItsPairWhenTheSelectionChanges() async throws {
        try await withTemporaryDirectory { directory in
            let harness = ProviderHarness(directory: directory)
            try await harness.start()
            defer { Task { await harness.stop() } }
            // The same prompt for a pair whatever its position, so that only the order changes.
            func reply(_ pairs: [(String, String)]) {
                let items = pairs.map { pair in
                    #"{"first":"\#(pair.0)","last":"\#(pair.1)","score":0.9,"reasoning":"r","prompt":"push in from \#(pair.0)"}"#
                }
                let content = #"{"pairs":["# + items.joined(separator: ",") + "]}"
                harness.chat.responder = { _ in .content(content) }
            }
            reply([("rocket", "astronaut"), ("astronaut", "coffee")])
            #expect(try await harness.build().exitCode == 0)
            let other = directory.appending("fixtures/other-output.mp4")
            try await Fixtures.makeClip(at: other, seconds: 3)
            harness.replicate.outputVideo = URL(fileURLWithPath: other.pathString)
            let reroll = try await ReelBinary.run(["reroll", "generate/1", "reel.yaml"], in: directory, environment: harness.environment)
            #expect(reroll.exitCode == 0, "\(reroll.stderr)")
            #expect(harness.replicate.createCount == 3)

            // Another voice: the selector runs again and answers with the pairs the other way round.
            reply([("astronaut", "coffee"), ("rocket", "astronaut")])
            try harness.writeManifest(voice: "bold", count: 2)
            let rebuilt = try await harness.build()
            #expect(rebuilt.exitCode == 0, "\(ProviderHarness.failures(rebuilt))")
            #expect(ProviderHarness.states(rebuilt)["select"] == "built")
            #expect(ProviderHarness.states(rebuilt)["generate/0"] == "cached", "astronaut -> coffee is its take 2, already made")
            #expect(ProviderHarness.states(rebuilt)["generate/1"] == "cached", "rocket -> astronaut is its take 1, already made")
            #expect(harness.replicate.createCount == 3, "nothing generated again")
            let lockfile = try text(directory.appending("reel.lock"))
            #expect(lockfile.contains("takes:\n- first: astronaut\n  last: coffee\n  take: 2\n"), "\(lockfile)")
            // The take is in generate/0's key now, not generate/1's.
            let nodes = lockfile.components(separatedBy: "\n- id: ")
            #expect(nodes.first { $0.hasPrefix("generate/0\n") }?.contains("take: 2") == true)
            #expect(nodes.first { $0.hasPrefix("generate/1\n") }?.contains("take:") == false)
            // 3 s clip (take 2) first, then the 2 s one, with the 0.5 s fade.
            #expect(abs((try await probeVideo(directory.appending("out/paid.mp4"))).duration - 4.5) < 0.2)
        }
    }
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}

import Foundation
import ReelBasics
import ReelTestSupport
import Testing

/// Issue 14, takes: `reel reroll` makes one new (paid) take and keeps the old one; `reel pick`
/// goes back for $0, changing the lockfile and the video. Against the fake Replicate and xAI.
@Suite(.enabled(if: Fixtures.hasFFmpeg, "needs ffmpeg"), .serialized)
struct TakeTests {
    func read(_ path: AbsolutePath) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path.pathString)) }

    func spent(_ harness: ProviderHarness) async throws -> Double {
        let result = try await ReelBinary.run(["spend", "--json"], in: harness.directory, environment: harness.environment)
        return try #require(result.lastJSON?["total_usd"] as? Double, "\(result.stdout)\(result.stderr)")
    }

    @Test func rerollMakesOneNewTakeAndPickGoesBackForFree() async throws {
        try await withTemporaryDirectory { directory in
            let harness = ProviderHarness(directory: directory)
            try await harness.start()
            defer { Task { await harness.stop() } }
            let video = directory.appending("out/paid.mp4")
            let lockfile = directory.appending("reel.lock")

            let first = try await harness.build()
            #expect(first.exitCode == 0, "\(ProviderHarness.failures(first))")
            #expect(harness.replicate.createCount == 2)
            let takeOneVideo = try read(video)
            let takeOneLock = try String(contentsOfFile: lockfile.pathString, encoding: .utf8)
            #expect(!takeOneLock.contains("take:"), "take 1 is today's key: nothing about takes in the lockfile")
            let spentBefore = try await spent(harness)

            // The model gives a different clip this time, as a real re-roll would.
            let other = directory.appending("fixtures/other-output.mp4")
            try await Fixtures.makeClip(at: other, seconds: 3)
            harness.replicate.outputVideo = URL(fileURLWithPath: other.pathString)

            // The plan first: one paid clip and the combine, nothing spent.
            let dry = try await ReelBinary.run(["reroll", "generate/1", "reel.yaml", "--dry-run", "--json"], in: directory, environment: harness.environment)
            #expect(dry.exitCode == 0, "\(dry.stderr)")
            let planned = (dry.lastJSON?["nodes"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            #expect(planned.sorted() == ["combine", "generate/1"])
            #expect((dry.lastJSON?["estimated_usd"] as? Double ?? 0) > 0)
            #expect(harness.replicate.createCount == 2)

            let reroll = try await ReelBinary.run(["reroll", "generate/1", "reel.yaml", "--json"], in: directory, environment: harness.environment)
            #expect(reroll.exitCode == 0, "\(ProviderHarness.failures(reroll))")
            #expect(harness.replicate.createCount == 3, "exactly one new prediction")
            #expect(ProviderHarness.states(reroll)["generate/1"] == "built")
            #expect(ProviderHarness.states(reroll)["generate/0"] == "cached")
            let takeTwoLock = try String(contentsOfFile: lockfile.pathString, encoding: .utf8)
            #expect(takeTwoLock.contains("take: 2"), "\(takeTwoLock)")
            let takeTwoVideo = try read(video)
            #expect(takeTwoVideo != takeOneVideo)
            let spentAfterReroll = try await spent(harness)
            #expect(spentAfterReroll > spentBefore, "the re-roll was paid through the ledger")

            // The lockfile's take is kept by an ordinary build: nothing runs, the video stays take 2.
            let again = try await harness.build()
            #expect(again.exitCode == 0, "\(ProviderHarness.failures(again))")
            #expect(harness.replicate.createCount == 3)
            #expect(ProviderHarness.states(again).values.allSatisfy { $0 == "cached" }, "\(ProviderHarness.states(again))")
            #expect(try read(video) == takeTwoVideo)

            // Back to take 1: $0, no prediction, the first video and lockfile again.
            let pick = try await ReelBinary.run(["pick", "generate/1", "--take", "1", "reel.yaml", "--json"], in: directory, environment: harness.environment)
            #expect(pick.exitCode == 0, "\(ProviderHarness.failures(pick))")
            #expect(harness.replicate.createCount == 3)
            #expect(ProviderHarness.states(pick)["generate/1"] == "cached")
            #expect(try read(video) == takeOneVideo)
            #expect(try String(contentsOfFile: lockfile.pathString, encoding: .utf8) == takeOneLock)
            #expect(try await spent(harness) == spentAfterReroll, "pick spends $0")

            // Take 2 is still in the cache: picking it is free too.
            let back = try await ReelBinary.run(["pick", "generate/1", "--take", "2", "reel.yaml"], in: directory, environment: harness.environment)
            #expect(back.exitCode == 0, "\(back.stderr)")
            #expect(harness.replicate.createCount == 3)
            #expect(try read(video) == takeTwoVideo)

            // A take never built is refused, spending nothing and leaving the lockfile alone.
            let missing = try await ReelBinary.run(["pick", "generate/1", "--take", "7", "reel.yaml"], in: directory, environment: harness.environment)
            #expect(missing.exitCode != 0)
            #expect(missing.stderr.contains("take 7 of paid:generate/1 is not in the cache"), "\(missing.stderr)")
            #expect(harness.replicate.createCount == 3)
            #expect(try String(contentsOfFile: lockfile.pathString, encoding: .utf8) == takeTwoLock)

            // A lockfile that chooses takes but does not parse stops the build before anything runs:
            // falling back to take 1 would silently replace the chosen clip in the video.
            try writeFile("<<<<<<< ours\n" + takeTwoLock + "=======\n" + takeOneLock + ">>>>>>> theirs\n", to: lockfile)
            let conflicted = try await harness.build()
            #expect(conflicted.exitCode != 0)
            #expect(conflicted.stderr.contains("chooses takes but cannot be read"), "\(conflicted.stderr)")
            #expect(try read(video) == takeTwoVideo)
            #expect(harness.replicate.createCount == 3)
            try writeFile(takeTwoLock, to: lockfile)

            // A second re-roll after going back to take 1 makes take 3, never rebuilding take 2.
            _ = try await ReelBinary.run(["pick", "generate/1", "--take", "1", "reel.yaml"], in: directory, environment: harness.environment)
            let third = try await ReelBinary.run(["reroll", "generate/1", "reel.yaml"], in: directory, environment: harness.environment)
            #expect(third.exitCode == 0, "\(third.stderr)")
            #expect(harness.replicate.createCount == 4)
            #expect(try String(contentsOfFile: lockfile.pathString, encoding: .utf8).contains("take: 3"))
        }
    }

    @Test func rerollNeedsAClipThatExists() async throws {
        try await withTemporaryDirectory { directory in
            let harness = ProviderHarness(directory: directory)
            try await harness.start()
            defer { Task { await harness.stop() } }
            let before = try await ReelBinary.run(["reroll", "generate/0", "reel.yaml"], in: directory, environment: harness.environment)
            #expect(before.exitCode != 0)
            #expect(before.stderr.contains("not chosen yet"), "\(before.stderr)")
            #expect(try await harness.build().exitCode == 0)
            let wrong = try await ReelBinary.run(["reroll", "generate/9", "reel.yaml"], in: directory, environment: harness.environment)
            #expect(wrong.exitCode != 0)
            #expect(wrong.stderr.contains("no such clip"), "\(wrong.stderr)")
            let notAClip = try await ReelBinary.run(["reroll", "combine", "reel.yaml"], in: directory, environment: harness.environment)
            #expect(notAClip.exitCode != 0)
            #expect(harness.replicate.createCount == 2)
        }
    }
}

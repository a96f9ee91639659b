import Foundation
import ReelBasics
import ReelTestSupport
import Testing

/// The build never overwrites what the user owns, and a video it cannot place is a failure that
/// says so (issue 10, items 4 and 5).
@Suite(.enabled(if: Fixtures.hasFFmpeg, "needs ffmpeg"), .serialized)
struct OutputSafetyTests {
    static func campaign(in directory: AbsolutePath, output: String, assets: String = "assets") async throws {
        try Fixtures.copyPhotos(["rocket.jpg", "astronaut.jpg"], to: directory.appending(assets))
        try await Fixtures.makeClip(at: directory.appending("\(assets)/intro.mp4"), seconds: 1)
        try writeFile("""
            version: 1
            campaign: {id: safety}
            assets:
              - glob: \(assets)/*
            select: {pairs: [{first: rocket, last: astronaut}]}
            generate: {duration: 1}
            output: {path: \(output), resolution: 320x180, fps: 12}
            """, to: directory.appending("reel.yaml"))
    }

    @Test(arguments: [
        ("assets", "assets/intro.mp4", "'output.path' assets/intro.mp4 is the asset 'intro'; the build would replace it: choose another output.path"),
        // The clips folder is cleaned of stale .mp4 files: the asset would be deleted.
        ("film.clips", "film.mp4", "the asset 'astronaut' (film.clips/astronaut.jpg) is inside film.clips, its clips folder of 'output.path' film.mp4"),
        ("film.report/media", "film.mp4", "is inside film.report, its storyboard folder of 'output.path' film.mp4"),
        ("assets", ".reel/final.mp4", "'output.path' .reel/final.mp4 and the project's .reel folder (.reel) overlap"),
    ])
    func outputMayNotOverwriteTheUsersFiles(assets: String, output: String, message: String) async throws {
        try await withTemporaryDirectory { directory in
            try await Self.campaign(in: directory, output: output, assets: assets)
            let before = try Data(contentsOf: URL(fileURLWithPath: directory.appending("\(assets)/intro.mp4").pathString))
            for command in [["validate", "reel.yaml"], ["build", "reel.yaml", "-q"]] {
                let run = try await ReelBinary.run(command, in: directory, environment: ["REEL_CACHE_DIR": directory.appending("cache").pathString])
                #expect(run.exitCode == 1, "\(command) \(output): \(run.stderr)")
                #expect(run.stderr.contains("reel.yaml:7:10: error: "), "\(output): \(run.stderr)")
                #expect(run.stderr.contains(message), "\(output): \(run.stderr)")
            }
            let after = try Data(contentsOf: URL(fileURLWithPath: directory.appending("\(assets)/intro.mp4").pathString))
            #expect(before == after)
            #expect(try String(contentsOfFile: directory.appending("reel.yaml").pathString, encoding: .utf8).contains("campaign: {id: safety}"))
        }
    }

    @Test func outputsMayNotBeInsideTheCache() async throws {
        try await withTemporaryDirectory { directory in
            try await Self.campaign(in: directory, output: "out/final.mp4")
            for cache in ["out/final.clips", "out/final.report/cache", "out"] {
                let run = try await ReelBinary.run(["build", "reel.yaml", "--cache-dir", cache], in: directory)
                #expect(run.exitCode == 1, "\(cache): \(run.stderr)")
                #expect(run.stderr.contains("reel.yaml:7:10: error: ") && run.stderr.contains("and the cache ("), "\(cache): \(run.stderr)")
            }
            let viaEnvironment = try await ReelBinary.run(["validate", "reel.yaml"], in: directory, environment: ["REEL_CACHE_DIR": "out"])
            #expect(viaEnvironment.exitCode == 1)
            #expect(viaEnvironment.stderr.contains("overlap"), "\(viaEnvironment.stderr)")
        }
    }

    /// A folder where the video goes: an `error:` line (also with `-q`) and a summary that counts it.
    @Test func aVideoThatCannotBePlacedIsAFailure() async throws {
        try await withTemporaryDirectory { directory in
            try await Self.campaign(in: directory, output: "out/final.mp4")
            try FileManager.default.createDirectory(atPath: directory.appending("out/final.mp4").pathString, withIntermediateDirectories: true)
            for flags in [[String](), ["-q"]] {
                let run = try await ReelBinary.run(["build", "reel.yaml"] + flags, in: directory, environment: ["REEL_CACHE_DIR": directory.appending("cache").pathString])
                #expect(run.exitCode == 1)
                #expect(run.stderr.contains("error: could not place the video at out/final.mp4: a folder is in the way"), "\(flags): \(run.stderr)")
                #expect(run.stderr.contains("build failed (") && run.stderr.contains(", 1 failed, "), "\(flags): \(run.stderr)")
            }
            let json = try await ReelBinary.run(["build", "reel.yaml", "--json"], in: directory, environment: ["REEL_CACHE_DIR": directory.appending("cache").pathString])
            #expect(json.lastJSON?["succeeded"] as? Bool == false)
            #expect((json.lastJSON?["error"] as? String)?.contains("a folder is in the way") == true)
        }
    }
}

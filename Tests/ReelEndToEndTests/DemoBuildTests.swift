import Foundation
import ReelBasics
import ReelTestSupport
import Testing

/// Runs the built `reel` binary on a copy of a small campaign with real ffmpeg.
@Suite(.enabled(if: Fixtures.hasFFmpeg, "needs ffmpeg"), .serialized)
struct DemoBuildTests {
    static func writeCampaign(in directory: AbsolutePath, count: Int = 2, transition: String = "{type: fade, duration: 0.5}") throws {
        try Fixtures.copyPhotos(["rocket.jpg", "astronaut.jpg", "coffee.jpg"], to: directory.appending("assets"))
        try writeFile("""
            version: 1
            campaign: {id: e2e}
            assets:
              - glob: assets/*.jpg
            select: {count: \(count)}
            generate: {duration: 2}
            output:
              path: out/e2e.mp4
              resolution: 640x360
              fps: 24
              transition: \(transition)
            """, to: directory.appending("reel.yaml"))
    }

    @Test func rendersThenRebuildsNothing() async throws {
        try await withTemporaryDirectory { directory in
            try Self.writeCampaign(in: directory)
            let first = try await ReelBinary.run(["build", "reel.yaml", "--json"], in: directory)
            #expect(first.exitCode == 0, "\(first.stderr)")
            let summary = try #require(first.lastJSON)
            let output = try #require(summary["output"] as? String)
            let video = try await probeVideo(try #require(AbsolutePath(output)))
            // Two 2 s clips joined with a 0.5 s fade: 3.5 s.
            #expect(abs(video.duration - 3.5) < 0.1)
            #expect(video.width == 640 && video.height == 360)
            #expect(abs(video.fps - 24) < 0.01)
            let states = (summary["nodes"] as? [[String: Any]] ?? []).map { $0["state"] as? String }
            #expect(states.allSatisfy { $0 == "built" })

            let second = try await ReelBinary.run(["build", "reel.yaml", "--json"], in: directory)
            #expect(second.exitCode == 0)
            let again = (second.lastJSON?["nodes"] as? [[String: Any]] ?? []).map { $0["state"] as? String }
            #expect(!again.isEmpty && again.allSatisfy { $0 == "cached" })
            #expect(FileManager.default.fileExists(atPath: directory.appending("reel.lock").pathString))
        }
    }
}

import Foundation
import ReelBasics
import ReelTestSupport
import Testing

/// After `kill -9`, the partial file a build was writing stays in `<cache>/v1/tmp/`:
/// `cache verify` reports it and `cache gc` removes it and says how much it freed (item 7). A file
/// a live build is writing is never touched.
@Suite(.enabled(if: Fixtures.hasFFmpeg, "needs ffmpeg"), .serialized)
struct CacheLeftoverTests {
    @Test func leftoversOfAKilledBuildAreReportedAndCollected() async throws {
        try await withTemporaryDirectory { directory in
            try Fixtures.copyPhotos(["rocket.jpg", "astronaut.jpg"], to: directory.appending("assets"))
            try writeFile("""
                version: 1
                campaign: {id: leftovers}
                assets:
                  - glob: assets/*.jpg
                select: {pairs: [{first: rocket, last: astronaut}]}
                generate: {duration: 1}
                output: {path: out/leftovers.mp4, resolution: 320x180, fps: 12}
                """, to: directory.appending("reel.yaml"))
            // An ffmpeg that writes 300 KB of its output, says where it is, and then hangs.
            let tools = directory.appending("tools")
            try FileManager.default.createDirectory(atPath: tools.pathString, withIntermediateDirectories: true)
            let ffmpeg = try #require(ExecutableSearch.find("ffmpeg")), ffprobe = try #require(ExecutableSearch.find("ffprobe"))
            try writeFile("""
                #!/bin/sh
                for arg in "$@"; do [ "$arg" = -version ] && exec \(ffmpeg.pathString) "$@"; done
                for arg in "$@"; do last="$arg"; done
                head -c 300000 /dev/zero > "$last"
                echo $$ > \(directory.appending("ffmpeg.pid").pathString)
                exec sleep 60
                """, to: tools.appending("ffmpeg"))
            chmod(tools.appending("ffmpeg").pathString, 0o755)
            try FileManager.default.createSymbolicLink(atPath: tools.appending("ffprobe").pathString, withDestinationPath: ffprobe.pathString)
            let cache = directory.appending("cache")
            let env = ["REEL_CACHE_DIR": cache.pathString, "PATH": tools.pathString + ":/usr/bin:/bin"]

            let build = try ReelBinary.start(["build", "reel.yaml"], in: directory, environment: env)
            let pidFile = directory.appending("ffmpeg.pid").pathString
            let deadline = Date().addingTimeInterval(60)
            while !FileManager.default.fileExists(atPath: pidFile), Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
            let child = try #require(Int32(String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))

            // While the build is alive its partial file is its own: verify and gc leave it alone.
            let busy = try await ReelBinary.run(["cache", "gc", "--json"], in: directory, environment: env)
            #expect(busy.lastJSON?["temporary_files_removed"] as? Int == 0, "\(busy.stdout)")
            let temporary = cache.appending("v1/tmp").pathString
            #expect(try FileManager.default.contentsOfDirectory(atPath: temporary).count == 1)

            kill(build.processIdentifier, SIGKILL)
            _ = await waitForExit(build)
            kill(child, SIGKILL)

            let verify = try await ReelBinary.run(["cache", "verify"], in: directory, environment: env)
            #expect(verify.exitCode == 0)
            #expect(verify.stdout.contains("1 temporary file (300 KB) left in tmp/ by processes that are gone; `reel cache gc` removes them"), "\(verify.stdout)")
            let gc = try await ReelBinary.run(["cache", "gc"], in: directory, environment: env)
            #expect(gc.exitCode == 0)
            #expect(gc.stdout.contains("1 leftover temporary files; freed 300 KB"), "\(gc.stdout)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: temporary).isEmpty)
            let again = try await ReelBinary.run(["cache", "gc"], in: directory, environment: env)
            #expect(again.stdout.contains("freed 0 bytes"), "\(again.stdout)")
        }
    }
}

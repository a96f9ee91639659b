import Foundation
import ReelBasics
import ReelTestSupport
import Testing

/// Images that do not decode completely are manifest errors at plan time (issue 10, items 1–3):
/// `validate`, `plan` and `build` say `file:line:col: error:` at the asset's entry, in one line,
/// before anything (or anyone paid) uses the image.
@Suite(.enabled(if: Fixtures.hasFFmpeg, "needs ffmpeg"), .serialized)
struct BadAssetTests {
    /// A campaign with two good photos and `bad` (written by `make`) as its third asset, on line 6 (its path at column 11), in an explicit pair.
    static func campaign(in directory: AbsolutePath, bad name: String, make: (AbsolutePath) async throws -> Void) async throws {
        try Fixtures.copyPhotos(["rocket.jpg", "astronaut.jpg"], to: directory.appending("assets"))
        try await make(directory.appending("assets/\(name)"))
        try writeFile("""
            version: 1
            campaign: {id: bad-assets}
            assets:
              - path: assets/rocket.jpg
              - path: assets/astronaut.jpg
              - path: assets/\(name)
            select: {pairs: [{first: rocket, last: \(name.split(separator: ".").first!)}]}
            generate: {duration: 2}
            output: {path: out/bad.mp4, resolution: 320x180, fps: 12}
            """, to: directory.appending("reel.yaml"))
    }

    static func truncatedJPEG(_ path: AbsolutePath) throws {
        let whole = try Data(contentsOf: URL(fileURLWithPath: Fixtures.photos.appending("coffee.jpg").pathString))
        try whole.prefix(whole.count * 4 / 10).write(to: URL(fileURLWithPath: path.pathString))
    }

    /// Runs validate, plan and build; each must fail with exactly the one-line error at 6:11.
    static func expectRefused(in directory: AbsolutePath, bad name: String, saying phrase: String) async throws {
        let cache = ["REEL_CACHE_DIR": directory.appending("cache").pathString]
        for command in [["validate", "reel.yaml"], ["plan", "reel.yaml"], ["build", "reel.yaml"], ["build", "reel.yaml", "-q"]] {
            let run = try await ReelBinary.run(command, in: directory, environment: cache)
            #expect(run.exitCode == 1, "\(command): \(run.stderr)")
            let lines = run.stderr.split(separator: "\n").map(String.init)
            let error = lines.first { $0.hasPrefix("reel.yaml:6:11: error: image 'assets/\(name)'") }
            #expect(error?.contains(phrase) == true, "\(command): \(run.stderr)")
            #expect(lines.contains("reel.yaml: 1 error"), "\(command): \(run.stderr)")
            // One line naming the cause: no ffmpeg/ffprobe command line.
            #expect(!run.stderr.contains("-hide_banner") && !run.stderr.contains("ffprobe "), "\(command): \(run.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: directory.appending("out").pathString))
    }

    @Test func truncatedJPEGIsAManifestError() async throws {
        try await withTemporaryDirectory { directory in
            try await Self.campaign(in: directory, bad: "cut.jpg") { try Self.truncatedJPEG($0) }
            try await Self.expectRefused(in: directory, bad: "cut.jpg", saying: "does not decode completely")
        }
    }

    @Test func emptyJPEGIsAManifestError() async throws {
        try await withTemporaryDirectory { directory in
            try await Self.campaign(in: directory, bad: "empty.jpg") { try writeFile("", to: $0) }
            try await Self.expectRefused(in: directory, bad: "empty.jpg", saying: "the file is empty (0 bytes)")
        }
    }

    @Test func textNamedPNGIsAManifestError() async throws {
        try await withTemporaryDirectory { directory in
            try await Self.campaign(in: directory, bad: "notes.png") { try writeFile("meeting notes, not a picture\n", to: $0) }
            try await Self.expectRefused(in: directory, bad: "notes.png", saying: "not an image ffmpeg can read")
        }
    }

    @Test func extremeAspectRatioIsRefusedUpFront() async throws {
        try await withTemporaryDirectory { directory in
            try await Self.campaign(in: directory, bad: "sliver.png") { path in
                let made = try await runProcess("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "color=red:size=2x9000", "-frames:v", "1", path.pathString])
                #expect(made.exitCode == 0, "\(made.stderr)")
            }
            try await Self.expectRefused(in: directory, bad: "sliver.png", saying: "2×9000 pixels, an aspect ratio of 1:4500")
        }
    }

    /// Good images are decoded once per content and remembered: a later plan starts no ffprobe
    /// (here: none is on PATH), and a file that changes is checked again.
    @Test func goodImagesAreCheckedOnceAndRemembered() async throws {
        try await withTemporaryDirectory { directory in
            try await Self.campaign(in: directory, bad: "coffee.jpg") { path in
                try FileManager.default.copyItem(atPath: Fixtures.photos.appending("coffee.jpg").pathString, toPath: path.pathString)
            }
            let cache = directory.appending("cache")
            let first = try await ReelBinary.run(["plan", "reel.yaml"], in: directory, environment: ["REEL_CACHE_DIR": cache.pathString])
            #expect(first.exitCode == 0, "\(first.stderr)")
            let memo = try String(contentsOfFile: cache.appending("v1/image-checks.tsv").pathString, encoding: .utf8)
            #expect(memo.split(separator: "\n").filter { !$0.hasPrefix("#") }.count == 3)

            // A PATH with ffmpeg but no ffprobe: planning still works from the memo.
            let tools = directory.appending("tools")
            try FileManager.default.createDirectory(atPath: tools.pathString, withIntermediateDirectories: true)
            let ffmpeg = try #require(ExecutableSearch.find("ffmpeg"))
            try FileManager.default.createSymbolicLink(atPath: tools.appending("ffmpeg").pathString, withDestinationPath: ffmpeg.pathString)
            let env = ["REEL_CACHE_DIR": cache.pathString, "PATH": tools.pathString]
            let again = try await ReelBinary.run(["plan", "reel.yaml"], in: directory, environment: env)
            #expect(again.exitCode == 0, "\(again.stderr)")
            let validated = try await ReelBinary.run(["validate", "reel.yaml"], in: directory, environment: env)
            #expect(validated.exitCode == 0, "\(validated.stderr)")

            // Changed bytes are new content: checked again (and now found truncated).
            try Self.truncatedJPEG(directory.appending("assets/coffee.jpg"))
            let changed = try await ReelBinary.run(["plan", "reel.yaml"], in: directory, environment: ["REEL_CACHE_DIR": cache.pathString])
            #expect(changed.exitCode == 1)
            #expect(changed.stderr.contains("reel.yaml:6:11: error: image 'assets/coffee.jpg' (asset 'coffee') cannot be used: it does not decode completely"), "\(changed.stderr)")
        }
    }

    /// An ffmpeg failure mid-build is one line naming the cause (item 2); the whole command line
    /// is printed only with `--verbose`, and the storyboard's failed card does not show it either.
    @Test func ffmpegFailureIsOneLineAndTheCommandOnlyVerbose() async throws {
        try await withTemporaryDirectory { directory in
            try await Self.campaign(in: directory, bad: "coffee.jpg") { path in
                try FileManager.default.copyItem(atPath: Fixtures.photos.appending("coffee.jpg").pathString, toPath: path.pathString)
            }
            // An ffmpeg that answers -version but fails every encode the way a bad filter graph does.
            let tools = directory.appending("tools")
            try FileManager.default.createDirectory(atPath: tools.pathString, withIntermediateDirectories: true)
            let ffmpeg = try #require(ExecutableSearch.find("ffmpeg")), ffprobe = try #require(ExecutableSearch.find("ffprobe"))
            try writeFile("""
                #!/bin/sh
                for arg in "$@"; do [ "$arg" = -version ] && exec \(ffmpeg.pathString) "$@"; done
                echo "[Parsed_scale_0 @ 0x5581] Picture size 960x4320000 is invalid" >&2
                echo "Error reinitializing filters!" >&2
                exit 1
                """, to: tools.appending("ffmpeg"))
            chmod(tools.appending("ffmpeg").pathString, 0o755)
            try FileManager.default.createSymbolicLink(atPath: tools.appending("ffprobe").pathString, withDestinationPath: ffprobe.pathString)
            let env = ["REEL_CACHE_DIR": directory.appending("cache").pathString, "PATH": tools.pathString + ":/usr/bin:/bin"]

            for flags in [[String](), ["-q"]] {
                let run = try await ReelBinary.run(["build", "reel.yaml"] + flags, in: directory, environment: env)
                #expect(run.exitCode == 1)
                #expect(run.stderr.contains("error: generate/0: ffmpeg failed with exit status 1: Error reinitializing filters!"), "\(run.stderr)")
                #expect(!run.stderr.contains("-filter_complex") && !run.stderr.contains("command:"), "\(run.stderr)")
            }
            let verbose = try await ReelBinary.run(["build", "reel.yaml", "--verbose"], in: directory, environment: env)
            #expect(verbose.exitCode == 1)
            #expect(verbose.stderr.contains("command: ffmpeg "), "\(verbose.stderr)")
            #expect(verbose.stderr.contains("Picture size 960x4320000 is invalid"), "\(verbose.stderr)")
            let page = try String(contentsOfFile: directory.appending("out/bad.report/index.html").pathString, encoding: .utf8)
            #expect(page.contains("ffmpeg failed with exit status 1"))
            #expect(!page.contains("-filter_complex") && !page.contains("-nostdin"))
        }
    }
}

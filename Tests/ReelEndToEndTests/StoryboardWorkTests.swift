import Foundation
import ReelBasics
import ReelTestSupport
import Testing

/// The storyboard's work is proportional to what changed (issue 10, item 16), seen from outside:
/// the built `reel` with real ffmpeg behind a wrapper that logs every invocation.
@Suite(.enabled(if: Fixtures.hasFFmpeg, "needs ffmpeg"), .serialized)
struct StoryboardWorkTests {
    /// The ffmpeg invocations logged since the last call (one line each), and the log emptied.
    static func drain(_ log: AbsolutePath) throws -> [String] {
        let text = (try? String(contentsOfFile: log.pathString, encoding: .utf8)) ?? ""
        try Data().write(to: URL(fileURLWithPath: log.pathString))
        return text.split(separator: "\n").map(String.init)
    }

    /// Writes `path` again with the same bytes, as a new file.
    static func rewrite(_ path: AbsolutePath) throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path.pathString))
        try FileManager.default.removeItem(atPath: path.pathString)
        try bytes.write(to: URL(fileURLWithPath: path.pathString))
    }

    static func thumbnails(_ lines: [String]) -> [String] { lines.filter { $0.contains("scale=320:-2:flags=lanczos") } }

    @Test func oneChangedImageRemakesItsThumbnailAndTheVideosPicturesOnly() async throws {
        try await withTemporaryDirectory { directory in
            try Fixtures.copyPhotos(["rocket.jpg", "astronaut.jpg", "coffee.jpg", "chelsea.jpg"], to: directory.appending("assets"))
            try writeFile("""
                version: 1
                campaign: {id: storyboard-work}
                assets:
                  - glob: assets/*.jpg
                select: {pairs: [[rocket, astronaut], [coffee, chelsea]]}
                generate: {generator: local, duration: 1}
                output: {path: out/work.mp4, resolution: 160x90, fps: 8, transition: none}
                """, to: directory.appending("reel.yaml"))
            let tools = directory.appending("tools")
            try FileManager.default.createDirectory(atPath: tools.pathString, withIntermediateDirectories: true)
            let ffmpeg = try #require(ExecutableSearch.find("ffmpeg")), ffprobe = try #require(ExecutableSearch.find("ffprobe"))
            let log = directory.appending("ffmpeg.log")
            try writeFile("""
                #!/bin/sh
                printf '%s\\n' "$*" >> '\(log.pathString)'
                exec '\(ffmpeg.pathString)' "$@"
                """, to: tools.appending("ffmpeg"))
            chmod(tools.appending("ffmpeg").pathString, 0o755)
            try FileManager.default.createSymbolicLink(atPath: tools.appending("ffprobe").pathString, withDestinationPath: ffprobe.pathString)
            let environment = [
                "REEL_CACHE_DIR": directory.appending("cache").pathString,
                "PATH": tools.pathString + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"),
            ]
            let build = ["build", "reel.yaml", "-q"]

            let cold = try await ReelBinary.run(build, in: directory, environment: environment)
            #expect(cold.exitCode == 0, "\(cold.stderr)")
            let coldLines = try Self.drain(log)
            // Four thumbnails, in one ffmpeg process.
            #expect(Self.thumbnails(coldLines).count == 1, "\(coldLines)")
            #expect(coldLines.filter { $0.hasSuffix("poster.jpg") }.count == 1)
            #expect(coldLines.filter { $0.hasSuffix("contact-sheet.jpg") }.count == 1)

            // One image changed: one clip and the video rebuilt; of the storyboard's pictures, only
            // that image's thumbnail, the poster and the contact sheet are made. Another image
            // written again with the same bytes (a checkout, a copy: new inode and time) keeps its
            // thumbnail: thumbnails follow content.
            try Self.rewrite(directory.appending("assets/rocket.jpg"))
            try FileManager.default.removeItem(atPath: directory.appending("assets/chelsea.jpg").pathString)
            try FileManager.default.copyItem(
                atPath: Fixtures.photos.appending("hubble_deep_field.jpg").pathString, toPath: directory.appending("assets/chelsea.jpg").pathString)
            let changed = try await ReelBinary.run(build, in: directory, environment: environment)
            #expect(changed.exitCode == 0, "\(changed.stderr)")
            let changedLines = try Self.drain(log)
            let thumbnails = Self.thumbnails(changedLines)
            #expect(thumbnails.count == 1, "\(changedLines)")
            #expect(thumbnails.first?.components(separatedBy: " -i ").count == 2, "one input: \(thumbnails)")
            #expect(thumbnails.first?.contains("assets/chelsea.jpg") == true)
            #expect(changedLines.filter { $0.hasSuffix("poster.jpg") }.count == 1)
            #expect(changedLines.filter { $0.hasSuffix("contact-sheet.jpg") }.count == 1)
            // The clip of the unchanged pair was not rebuilt either: one animatic, one combine.
            #expect(changedLines.filter { $0.contains("work.report") }.count == 3, "\(changedLines)")

            // Nothing changed but a file's times: the storyboard makes nothing at all.
            try Self.rewrite(directory.appending("assets/astronaut.jpg"))
            let touched = try await ReelBinary.run(build, in: directory, environment: environment)
            #expect(touched.exitCode == 0, "\(touched.stderr)")
            #expect(try Self.drain(log).filter { $0.contains("work.report") }.isEmpty)
            let page = try String(contentsOfFile: directory.appending("out/work.report/index.html").pathString, encoding: .utf8)
            for id in ["rocket", "astronaut", "coffee", "chelsea"] {
                #expect(page.contains("thumbs/\(id).jpg"))
                #expect(FileManager.default.fileExists(atPath: directory.appending("out/work.report/thumbs/\(id).jpg").pathString))
            }
        }
    }
}

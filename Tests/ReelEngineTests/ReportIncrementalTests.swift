import Foundation
import ReelBasics
@testable import ReelEngine
import ReelManifest
import ReelMedia
import ReelTestSupport
import Testing

/// The storyboard's work is proportional to what changed (issue 10, item 16): a rebuilt clip
/// remakes its card's files and the final video's pictures, never the thumbnails of the other
/// pairs; thumbnails follow their image's content, not its file; a long video's contact sheet
/// seeks instead of decoding the whole video.
@Suite struct ReportIncrementalTests {
    static let directory = AbsolutePath("/project/out/v.report")!
    static let state = AbsolutePath("/cache/v1/reports/r.tsv")!

    /// Four images `a`…`d`, three pairs with a clip each, a final video; digests of the images'
    /// bytes as the workspace gives them.
    struct Project {
        let fileSystem = InMemoryFileSystem()
        var images: [String: String] = ["a": "pixels a", "b": "pixels b", "c": "pixels c", "d": "pixels d"]
        var pairs: [(String, String)] = [("a", "b"), ("b", "c"), ("c", "d")]

        init() {
            for (id, bytes) in images { fileSystem.addFile("/project/assets/\(id).jpg", bytes) }
            for index in pairs.indices { fileSystem.addFile(clip(index), "clip \(index + 1)") }
            fileSystem.addFile("/project/out/v.mp4", "video 1")
        }

        func clip(_ index: Int) -> String { "/project/out/v.clips/0\(index + 1).mp4" }

        var digests: [String: Digest] {
            var digests: [String: Digest] = [:]
            for (id, _) in images {
                if let data = try? fileSystem.read(AbsolutePath("/project/assets/\(id).jpg")!) { digests[id] = Digest.of(data) }
            }
            return digests
        }

        func data() throws -> ReportData {
            let media = MediaInfo(duration: 12, width: 640, height: 360, frameRate: "24/1", videoCodec: "h264", pixelFormat: "yuv420p")
            func asset(_ id: String) throws -> ResolvedAsset {
                ResolvedAsset(
                    id: id, path: try #require(AbsolutePath("/project/assets/\(id).jpg")), projectRelativePath: "assets/\(id).jpg", tags: [],
                    kind: .image, location: SourceLocation(file: "reel.yaml", line: 1, column: 1))
            }
            let shown = try pairs.enumerated().map { index, pair in
                ReportData.Pair(
                    index: index, nodeID: "generate/\(index)", first: try asset(pair.0), last: try asset(pair.1), score: 1, reasoning: "",
                    prompt: "", clip: AbsolutePath(clip(index)), provider: "local", model: "animatic", costUSD: 0, state: "built",
                    seconds: 1, predictionID: nil, message: nil, media: media)
            }
            return ReportData(
                campaign: Campaign(id: "launch", name: "Launch"), brand: Brand(name: "Orbit"), quality: "draft",
                video: AbsolutePath("/project/out/v.mp4"), videoMedia: media, pairs: shown, selector: "explicit pairs in the manifest",
                totalCostUSD: 0, builtCount: 4, cachedCount: 0, failedCount: 0, generatedAt: "2026-01-01T00:00:00Z",
                directory: ReportIncrementalTests.directory)
        }

        /// Writes the storyboard; returns the ffmpeg (and ffprobe) commands it ran.
        func write() async throws -> [[String]] {
            let runner = ReportWriterTests.ffmpeg(fileSystem)
            _ = try await ReportWriter(runner: runner, fileSystem: fileSystem, stateFile: ReportIncrementalTests.state, assetDigests: digests)
                .write(try data())
            return runner.recorded.map(\.arguments)
        }

        func text(_ name: String) throws -> String { try fileSystem.readText(ReportIncrementalTests.directory.appending(name)) }
    }

    /// The thumbnail commands among `commands`, as the image files each reads.
    static func thumbnailInputs(_ commands: [[String]]) -> [[String]] {
        commands.filter { $0.contains("scale=320:-2:flags=lanczos") }.map { arguments in
            arguments.indices.filter { $0 > 0 && arguments[$0 - 1] == "-i" }.map { arguments[$0] }
        }
    }

    static func outputs(_ commands: [[String]]) -> [String] { commands.compactMap { $0.last.map { String($0.split(separator: "/").last ?? "") } } }

    @Test func oneRebuiltClipRemakesItsCardAndTheVideosPicturesOnly() async throws {
        let project = Project()
        let cold = try await project.write()
        #expect(Self.thumbnailInputs(cold).flatMap { $0 }.count == 4)
        #expect(try project.text("clips/02.mp4") == "clip 2")

        // Clip 2 is rebuilt, so the final video is too; nothing else changes.
        project.fileSystem.addFile(project.clip(1), "clip 2, take 2")
        project.fileSystem.addFile("/project/out/v.mp4", "video 2")
        let commands = try await project.write()
        #expect(Self.thumbnailInputs(commands).isEmpty, "thumbnails remade: \(commands)")
        // Exactly the final video's poster and contact sheet, each made once.
        #expect(Self.outputs(commands).sorted() == [".tmp-contact-sheet.jpg", ".tmp-poster.jpg"], "\(commands)")
        #expect(try project.text("clips/02.mp4") == "clip 2, take 2")
        #expect(try project.text("clips/01.mp4") == "clip 1")
        #expect(try project.text("video.mp4") == "video 2")
        #expect(try project.text("contact-sheet.jpg").contains("contact-sheet"))

        // Nothing changed: nothing is run.
        #expect(try await project.write().isEmpty)
    }

    @Test func thumbnailsFollowTheImagesContentNotTheirFiles() async throws {
        var project = Project()
        _ = try await project.write()
        let thumbnailOfC = try project.text("thumbs/c.jpg")

        // `a` rewritten with the same bytes (new inode and time): its thumbnail is kept.
        project.fileSystem.addFile("/project/assets/a.jpg", "pixels a")
        #expect(try await project.write().isEmpty)

        // `b` edited: one ffmpeg process, reading `b` alone; the page still shows all four.
        project.fileSystem.addFile("/project/assets/b.jpg", "pixels b, retouched")
        let edited = try await project.write()
        #expect(Self.thumbnailInputs(edited) == [["/project/assets/b.jpg"]], "\(edited)")
        #expect(edited.count == 1)

        // `c` renamed to `c2`, same bytes: its thumbnail is reused (no ffmpeg), the old one removed.
        project.fileSystem.addFile("/project/assets/c2.jpg", "pixels c")
        try project.fileSystem.remove(AbsolutePath("/project/assets/c.jpg")!)
        project.images["c"] = nil
        project.images["c2"] = "pixels c"
        project.pairs = [("a", "b"), ("b", "c2"), ("c2", "d")]
        let renamed = try await project.write()
        #expect(Self.thumbnailInputs(renamed).isEmpty, "\(renamed)")
        #expect(try project.text("thumbs/c2.jpg") == thumbnailOfC)
        #expect(!project.fileSystem.exists(Self.directory.appending("thumbs/c.jpg")))
        let html = try project.text("index.html")
        #expect(html.contains("thumbs/c2.jpg"))
    }

    @Test func twoImagesThatSwapContentsSwapThumbnails() async throws {
        let project = Project()
        _ = try await project.write()
        let oldB = try project.text("thumbs/b.jpg")
        project.fileSystem.addFile("/project/assets/a.jpg", "pixels b")
        project.fileSystem.addFile("/project/assets/b.jpg", "pixels a")
        // `a` takes `b`'s thumbnail; `b`'s is remade from its new bytes (the thumbnail it could
        // take was just replaced), not copied from `a`'s file, which now shows `b`'s old picture.
        let commands = try await project.write()
        #expect(Self.thumbnailInputs(commands) == [["/project/assets/b.jpg"]], "\(commands)")
        #expect(try project.text("thumbs/a.jpg") == oldB)
    }

    @Test func twoImagesOfTheSameBytesAreThumbnailedOnce() async throws {
        var project = Project()
        project.fileSystem.addFile("/project/assets/d.jpg", "pixels a")
        project.images["d"] = "pixels a"
        let commands = try await project.write()
        #expect(Self.thumbnailInputs(commands).flatMap { $0 }.sorted() == ["/project/assets/a.jpg", "/project/assets/b.jpg", "/project/assets/c.jpg"])
        #expect(try project.text("thumbs/d.jpg") == project.text("thumbs/a.jpg"))
    }

    @Test func aLongVideosContactSheetSeeksToEachFrame() throws {
        let video = try #require(AbsolutePath("/out/it's long.mp4"))
        // 12 marks 5 s apart at 24 fps are closer than x264's 250-frame keyframe interval: one pass.
        #expect(ReportFrames.seekPlan(for: video, duration: 60, framesPerSecond: 24) == nil)
        #expect(ReportFrames.seekPlan(for: video, duration: 0, framesPerSecond: 24) == nil)
        // 50 s apart: a seek per mark, one short segment each, in order.
        let plan = try #require(ReportFrames.seekPlan(for: video, duration: 600, framesPerSecond: 24))
        #expect(plan.window == 0.5)
        let lines = plan.list.split(separator: "\n").map(String.init)
        #expect(lines.count == 36)
        #expect(lines[0] == #"file '/out/it'\''s long.mp4'"#)
        #expect(lines[1] == "inpoint 25.000" && lines[2] == "outpoint 25.500")
        #expect(lines[34] == "inpoint 575.000" && lines[35] == "outpoint 575.500")
        let spec = ReportFrames.contactSheet(of: video, duration: 600, seek: (AbsolutePath("/out/list.txt")!, plan.window), to: AbsolutePath("/out/s.jpg")!)
        #expect(spec.arguments.filter { $0 == "-i" }.count == 1)
        #expect(spec.arguments.contains("-copyts") && spec.arguments.contains("concat"))
        #expect(spec.arguments.contains { $0.hasPrefix("select='lt(selected_n,12)*gte(t,selected_n*0.500)'") })
        // A low frame rate makes the window longer, never past half the way to the next mark.
        #expect(ReportFrames.seekPlan(for: video, duration: 6000, framesPerSecond: 2)?.window == 2)
        #expect(ReportFrames.seekPlan(for: video, duration: 3600, framesPerSecond: 1)?.window == 4)
        #expect(ReportFrames.seekPlan(for: video, duration: 1500, framesPerSecond: 1) == nil)
    }

    @Test func theSeekListIsWrittenBesideTheSheetAndRemoved() async throws {
        let fileSystem = InMemoryFileSystem()
        let runner = FakeProcessRunner { spec in
            // The list exists while ffmpeg runs.
            let index = spec.arguments.firstIndex(of: "concat").map { $0 + 4 }
            if let index, let list = AbsolutePath(spec.arguments[index]), let text = try? fileSystem.readText(list), text.hasPrefix("file '") {
                fileSystem.addFile(spec.arguments.last!, "sheet")
                return ProcessResult(exitCode: 0)
            }
            return ProcessResult(exitCode: 1, standardError: Data("no list\n".utf8))
        }
        let output = try #require(AbsolutePath("/r/contact-sheet.jpg"))
        try fileSystem.createDirectory(output.parent)
        try await ReportWriter.makeContactSheet(
            of: AbsolutePath("/v.mp4")!, duration: 3600, framesPerSecond: 24, to: output, runner: runner, fileSystem: fileSystem)
        #expect(runner.recorded.count == 1)
        #expect(try fileSystem.readText(output) == "sheet")
        #expect(try fileSystem.list(AbsolutePath("/r")!) == ["contact-sheet.jpg"])
    }

    /// With real ffmpeg: the seeking contact sheet of a 10-minute video shows the very frames one
    /// pass over the whole video shows (same bytes), and leaves no list behind.
    @Test(.enabled(if: Fixtures.hasFFmpeg, "needs ffmpeg")) func seekingPicksTheFramesOnePassPicks() async throws {
        try await withTemporaryDirectory { directory in
            let runner = SpawnProcessRunner()
            let video = directory.appending("long.mp4")
            _ = try await runner.checkedRun(ProcessSpec("ffmpeg", [
                "-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc=s=96x72:r=24", "-t", "600", "-c:v", "libx264", "-preset", "ultrafast",
                "-pix_fmt", "yuv420p", video.pathString,
            ]))
            #expect(ReportFrames.seekPlan(for: video, duration: 600, framesPerSecond: 24) != nil)
            let seeking = directory.appending("seeking.jpg")
            try await ReportWriter.makeContactSheet(
                of: video, duration: 600, framesPerSecond: 24, to: seeking, runner: runner, fileSystem: LocalFileSystem())
            let onePass = directory.appending("one-pass.jpg")
            _ = try await runner.checkedRun(ReportFrames.contactSheet(of: video, duration: 600, to: onePass))
            let seekingBytes = try Data(contentsOf: URL(fileURLWithPath: seeking.pathString))
            #expect(seekingBytes.count > 1000)
            #expect(seekingBytes == (try Data(contentsOf: URL(fileURLWithPath: onePass.pathString))))
            let left = try FileManager.default.contentsOfDirectory(atPath: directory.pathString).sorted()
            #expect(left == ["long.mp4", "one-pass.jpg", "seeking.jpg"])
        }
    }
}

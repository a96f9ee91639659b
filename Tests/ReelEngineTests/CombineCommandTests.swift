import Foundation
import ReelBasics
import ReelMedia
import ReelTestSupport
import Testing

/// The combine command, run with real ffmpeg: offsets for N clips, audio keep/strip with silent
/// fill, normalisation of mismatched clips, and stream copy when nothing needs encoding.
@Suite(.enabled(if: Fixtures.hasFFmpeg, "needs ffmpeg"))
struct CombineCommandTests {
    /// A clip with (or without) a sine tone.
    func clip(_ path: AbsolutePath, seconds: Double, size: String, fps: Int, audio: Bool) async throws -> CombineClip {
        var arguments = ["-nostdin", "-y", "-v", "error", "-f", "lavfi", "-i", "testsrc2=s=\(size):r=\(fps):d=\(seconds)"]
        if audio { arguments += ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:duration=\(seconds)", "-c:a", "aac"] }
        arguments += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-shortest", path.pathString]
        let made = try await runProcess("ffmpeg", arguments)
        #expect(made.exitCode == 0, "\(made.stderr)")
        return CombineClip(path: path, info: try await MediaProbe(runner: SpawnProcessRunner()).probe(path))
    }

    func combine(_ command: CombineCommand, in directory: AbsolutePath) async throws -> (Double, Int, Int, Double, Bool) {
        let arguments: [String]
        if command.canStreamCopy {
            let list = directory.appending("list.txt")
            try writeFile(command.concatList, to: list)
            arguments = command.copyArguments(listPath: list)
        } else {
            arguments = command.encodeArguments
        }
        let run = try await runProcess("ffmpeg", arguments)
        #expect(run.exitCode == 0, "\(run.stderr)")
        return try await probeVideo(command.output)
    }

    @Test func xfadeChainsFourMismatchedClipsWithAudioFill() async throws {
        try await withTemporaryDirectory { directory in
            let clips = [
                try await clip(directory.appending("a.mp4"), seconds: 2, size: "320x240", fps: 25, audio: true),
                try await clip(directory.appending("b.mp4"), seconds: 3, size: "640x360", fps: 30, audio: false),
                try await clip(directory.appending("c.mp4"), seconds: 2, size: "180x320", fps: 24, audio: true),
                try await clip(directory.appending("d.mp4"), seconds: 1.5, size: "320x180", fps: 24, audio: false),
            ]
            let command = CombineCommand(
                clips: clips, output: directory.appending("out.mp4"), width: 320, height: 180, fps: 24, fit: "contain",
                transition: "wipeleft", transitionDuration: 0.5, keepAudio: true, crf: 28, encoderPreset: "ultrafast")
            #expect(!command.canStreamCopy)
            // offset_k = sum of the first k durations - k * T, in whole frames at 24 fps.
            #expect(command.xfadeOffsets.map { ($0 * 24).rounded() } == [36, 96, 132])
            #expect(command.filterGraph.components(separatedBy: "xfade=").count - 1 == 3)
            #expect(command.filterGraph.contains("anullsrc"))
            let (duration, width, height, fps, hasAudio) = try await combine(command, in: directory)
            #expect(abs(duration - command.expectedDuration) < 0.1)
            #expect(abs(command.expectedDuration - (2 + 3 + 2 + 1.5 - 1.5)) < 0.05)
            #expect(width == 320 && height == 180 && abs(fps - 24) < 0.01)
            #expect(hasAudio)
        }
    }

    @Test func stripsAudioAndConcatenatesWithoutTransition() async throws {
        try await withTemporaryDirectory { directory in
            let clips = [
                try await clip(directory.appending("a.mp4"), seconds: 1, size: "320x180", fps: 30, audio: true),
                try await clip(directory.appending("b.mp4"), seconds: 1, size: "640x360", fps: 24, audio: true),
            ]
            let command = CombineCommand(
                clips: clips, output: directory.appending("out.mp4"), width: 320, height: 180, fps: 24, fit: "cover",
                transition: "none", transitionDuration: 0, keepAudio: false, crf: 28, encoderPreset: "ultrafast")
            #expect(!command.canStreamCopy)  // sizes and rates differ
            #expect(command.filterGraph.contains("concat=n=2"))
            let (duration, _, _, _, hasAudio) = try await combine(command, in: directory)
            #expect(abs(duration - 2) < 0.1)
            #expect(!hasAudio)
        }
    }

    @Test func streamCopiesMatchingClips() async throws {
        try await withTemporaryDirectory { directory in
            let clips = [
                try await clip(directory.appending("a.mp4"), seconds: 1, size: "320x180", fps: 24, audio: false),
                try await clip(directory.appending("b.mp4"), seconds: 2, size: "320x180", fps: 24, audio: false),
            ]
            let command = CombineCommand(
                clips: clips, output: directory.appending("out.mp4"), width: 320, height: 180, fps: 24, fit: "cover",
                transition: "none", transitionDuration: 0, keepAudio: false, crf: 28, encoderPreset: "ultrafast")
            #expect(command.canStreamCopy)
            #expect(command.copyArguments(listPath: directory.appending("list.txt")).contains("copy"))
            let (duration, width, _, _, _) = try await combine(command, in: directory)
            #expect(abs(duration - 3) < 0.1 && width == 320)
            // With a transition the same clips must be re-encoded.
            var faded = command
            faded.transition = "fade"
            faded.transitionDuration = 0.5
            #expect(!faded.canStreamCopy)
        }
    }

    @Test func animaticIsDeterministicAndLandsOnTheSecondImage() async throws {
        try await withTemporaryDirectory { directory in
            try Fixtures.copyPhotos(["rocket.jpg", "coffee.jpg"], to: directory)
            var digests: [Digest] = []
            for run in 0..<2 {
                let output = directory.appending("clip\(run).mp4")
                let command = AnimaticCommand(
                    first: directory.appending("rocket.jpg"), last: directory.appending("coffee.jpg"), output: output, width: 320, height: 180,
                    fps: 24, duration: 2, fit: "cover", seed: 1, crf: 28, encoderPreset: "ultrafast")
                let made = try await runProcess("ffmpeg", command.arguments)
                #expect(made.exitCode == 0, "\(made.stderr)")
                digests.append(try FileHasher.hash(path: output.pathString).digest)
                let video = try await probeVideo(output)
                #expect(abs(video.duration - 2) < 0.05 && video.width == 320 && video.height == 180 && abs(video.fps - 24) < 0.01)
            }
            #expect(digests[0] == digests[1], "the same command gives the same bytes")
        }
    }

    /// The still is converted to limited-range 4:4:4 once, before zoompan (not on every frame after
    /// it): a full-range JPEG's black and white must still land on video black (16) and white (235).
    @Test func animaticMapsAFullRangeJPEGToVideoRange() async throws {
        try await withTemporaryDirectory { directory in
            let still = directory.appending("halves.jpg")
            let made = try await runProcess("ffmpeg", [
                "-nostdin", "-y", "-v", "error", "-f", "lavfi", "-i",
                "color=c=black:s=320x360:d=1[b];color=c=white:s=320x360:d=1[w];[b][w]hstack[out0]",
                "-frames:v", "1", "-pix_fmt", "yuvj444p", still.pathString,
            ])
            #expect(made.exitCode == 0, "\(made.stderr)")
            for fit in ["cover", "contain"] {
                let output = directory.appending("clip-\(fit).mp4")
                let command = AnimaticCommand(
                    first: still, last: still, output: output, width: 320, height: 180, fps: 24, duration: 1, fit: fit, seed: 0, crf: 18,
                    encoderPreset: "ultrafast")
                let graph = try #require(command.arguments.firstIndex(of: "-filter_complex").map { command.arguments[$0 + 1] })
                #expect(graph.components(separatedBy: "format=\(AnimaticCommand.stillFormat),zoompan=").count == 3, "\(graph)")
                let run = try await runProcess("ffmpeg", command.arguments)
                #expect(run.exitCode == 0, "\(run.stderr)")
                // The last frame's luma plane, as stored (the clip is yuv420p).
                let luma = directory.appending("luma-\(fit).y")
                let decoded = try await runProcess("ffmpeg", [
                    "-nostdin", "-y", "-v", "error", "-sseof", "-0.2", "-i", output.pathString, "-frames:v", "1", "-vf", "extractplanes=y",
                    "-f", "rawvideo", "-pix_fmt", "gray", luma.pathString,
                ])
                #expect(decoded.exitCode == 0, "\(decoded.stderr)")
                let samples = [UInt8](try Data(contentsOf: URL(fileURLWithPath: luma.pathString)))
                #expect(samples.count == 320 * 180)
                let black = samples.filter { (12...20).contains($0) }.count, white = samples.filter { (231...239).contains($0) }.count
                let outOfRange = samples.filter { $0 < 8 || $0 > 245 }.count
                // Cover fills the frame with the two halves; contain adds black bars (also 16).
                #expect(black > samples.count / 3 && white > samples.count / 4, "\(fit): black \(black), white \(white)")
                #expect(outOfRange < samples.count / 100, "\(fit): \(outOfRange) samples outside video range")
            }
        }
    }
}

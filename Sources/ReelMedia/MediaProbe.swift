import Foundation
import ReelBasics

/// Reads media facts with ffprobe.
public struct MediaProbe: Sendable {
    public let runner: any ProcessRunner

    public init(runner: any ProcessRunner) {
        self.runner = runner
    }

    /// Probes `path`.
    /// - Throws: `MediaError` when the file is not readable video.
    public func probe(_ path: AbsolutePath) async throws -> MediaInfo {
        let result = try await runner.run(ProcessSpec("ffprobe", [
            "-v", "error", "-print_format", "json", "-show_format", "-show_streams", path.pathString,
        ]))
        guard result.exitCode == 0 else {
            throw MediaError.unreadable(path: path.pathString, detail: ProcessError.tail(of: result.errorText, lines: 3))
        }
        return try MediaProbe.parse(result.standardOutput, path: path.pathString)
    }

    /// Parses ffprobe's JSON.
    public static func parse(_ json: Data, path: String) throws -> MediaInfo {
        guard let document = try? JSONDecoder().decode(ProbeDocument.self, from: json) else {
            throw MediaError.unreadable(path: path, detail: "unexpected ffprobe output")
        }
        guard let video = document.streams.first(where: { $0.codec_type == "video" }) else {
            throw MediaError.noVideo(path: path)
        }
        let audio = document.streams.first { $0.codec_type == "audio" }
        let duration = Double(video.duration ?? "") ?? Double(document.format?.duration ?? "") ?? 0
        let sar = video.sample_aspect_ratio.flatMap { $0 == "0:1" ? nil : $0 } ?? "1:1"
        return MediaInfo(
            duration: duration, width: video.width ?? 0, height: video.height ?? 0,
            frameRate: video.avg_frame_rate.flatMap { $0 == "0/0" ? nil : $0 } ?? video.r_frame_rate ?? "0/1",
            videoCodec: video.codec_name ?? "unknown", pixelFormat: video.pix_fmt ?? "unknown", sampleAspectRatio: sar,
            hasAudio: audio != nil, audioCodec: audio?.codec_name, audioSampleRate: audio?.sample_rate.flatMap { Int($0) },
            audioChannels: audio?.channels)
    }

    // Field names as ffprobe prints them.
    // swiftlint:disable identifier_name
    private struct ProbeDocument: Decodable {
        var streams: [Stream]
        var format: Format?
    }

    private struct Stream: Decodable {
        var codec_type: String?
        var codec_name: String?
        var width: Int?
        var height: Int?
        var pix_fmt: String?
        var sample_aspect_ratio: String?
        var avg_frame_rate: String?
        var r_frame_rate: String?
        var duration: String?
        var sample_rate: String?
        var channels: Int?
    }

    private struct Format: Decodable {
        var duration: String?
    }
}

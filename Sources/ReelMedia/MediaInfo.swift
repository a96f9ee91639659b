import Foundation
import ReelBasics

/// What ffprobe says about a video file.
public struct MediaInfo: Sendable, Equatable, Codable {
    /// Seconds (the video stream's, else the container's).
    public var duration: Double
    public var width: Int
    public var height: Int
    /// Frames per second as a rational (`24/1`, `30000/1001`).
    public var frameRate: String
    public var videoCodec: String
    public var pixelFormat: String
    /// Sample aspect ratio (`1:1`).
    public var sampleAspectRatio: String
    public var hasAudio: Bool
    public var audioCodec: String?
    public var audioSampleRate: Int?
    public var audioChannels: Int?

    public init(
        duration: Double, width: Int, height: Int, frameRate: String, videoCodec: String, pixelFormat: String,
        sampleAspectRatio: String = "1:1", hasAudio: Bool = false, audioCodec: String? = nil, audioSampleRate: Int? = nil,
        audioChannels: Int? = nil
    ) {
        self.duration = duration
        self.width = width
        self.height = height
        self.frameRate = frameRate
        self.videoCodec = videoCodec
        self.pixelFormat = pixelFormat
        self.sampleAspectRatio = sampleAspectRatio
        self.hasAudio = hasAudio
        self.audioCodec = audioCodec
        self.audioSampleRate = audioSampleRate
        self.audioChannels = audioChannels
    }

    /// Frames per second as a number.
    public var fps: Double {
        let parts = frameRate.split(separator: "/")
        guard parts.count == 2, let num = Double(parts[0]), let den = Double(parts[1]), den > 0 else { return Double(frameRate) ?? 0 }
        return num / den
    }

    /// As canonical metadata for the action cache.
    public var canonical: CanonicalValue {
        var members: [String: CanonicalValue] = [
            "duration": .decimal(duration), "width": .int(width), "height": .int(height), "frame_rate": .string(frameRate),
            "video_codec": .string(videoCodec), "pixel_format": .string(pixelFormat), "sar": .string(sampleAspectRatio),
            "has_audio": .bool(hasAudio),
        ]
        if let audioCodec { members["audio_codec"] = .string(audioCodec) }
        if let audioSampleRate { members["audio_sample_rate"] = .int(audioSampleRate) }
        if let audioChannels { members["audio_channels"] = .int(audioChannels) }
        return .object(members)
    }

    /// Reads metadata written by `canonical`.
    public init?(canonical: CanonicalValue?) {
        guard case .object(let members)? = canonical,
            let duration = members["duration"]?.doubleValue,
            case .int(let width)? = members["width"], case .int(let height)? = members["height"],
            case .string(let frameRate)? = members["frame_rate"], case .string(let codec)? = members["video_codec"],
            case .string(let pixelFormat)? = members["pixel_format"], case .bool(let hasAudio)? = members["has_audio"]
        else { return nil }
        self.init(
            duration: duration, width: width, height: height, frameRate: frameRate, videoCodec: codec, pixelFormat: pixelFormat,
            sampleAspectRatio: members["sar"]?.stringValue ?? "1:1", hasAudio: hasAudio, audioCodec: members["audio_codec"]?.stringValue,
            audioSampleRate: { if case .int(let rate)? = members["audio_sample_rate"] { return rate } else { return nil } }(),
            audioChannels: { if case .int(let count)? = members["audio_channels"] { return count } else { return nil } }())
    }
}

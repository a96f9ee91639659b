import Foundation
import ReelBasics

/// One clip going into the combine, with what ffprobe knows of it.
public struct CombineClip: Sendable, Equatable {
    public var path: AbsolutePath
    public var info: MediaInfo

    public init(path: AbsolutePath, info: MediaInfo) {
        self.path = path
        self.info = info
    }
}

/// The ffmpeg command that joins clips into the final video: every clip normalised (scale/pad or
/// crop, SAR 1, fps, yuv420p) and joined with `xfade` in one process, or stream-copied through the
/// concat demuxer when the clips already match and no transition is asked for.
public struct CombineCommand: Sendable, Equatable {
    public var clips: [CombineClip]
    public var output: AbsolutePath
    public var width: Int
    public var height: Int
    public var fps: Int
    public var fit: String
    /// An xfade name, or `none`.
    public var transition: String
    public var transitionDuration: Double
    public var keepAudio: Bool
    public var crf: Int
    public var encoderPreset: String

    public init(
        clips: [CombineClip], output: AbsolutePath, width: Int, height: Int, fps: Int, fit: String, transition: String,
        transitionDuration: Double, keepAudio: Bool, crf: Int, encoderPreset: String
    ) {
        self.clips = clips
        self.output = output
        self.width = width
        self.height = height
        self.fps = fps
        self.fit = fit
        self.transition = transition
        self.transitionDuration = transitionDuration
        self.keepAudio = keepAudio
        self.crf = crf
        self.encoderPreset = encoderPreset
    }

    /// Whether there is a transition between clips.
    public var hasTransition: Bool { transition != "none" && transitionDuration > 0 && clips.count > 1 }

    /// Whether the clips can be stream-copied: no transition, and every clip already H.264
    /// yuv420p at the output size, rate and square pixels, with audio that needs no work.
    public var canStreamCopy: Bool {
        guard !hasTransition else { return false }
        let videoMatches = clips.allSatisfy { clip in
            clip.info.videoCodec == "h264" && clip.info.pixelFormat == "yuv420p" && clip.info.width == width
                && clip.info.height == height && abs(clip.info.fps - Double(fps)) < 0.001 && clip.info.sampleAspectRatio == "1:1"
        }
        guard videoMatches else { return false }
        if !keepAudio { return true }
        let first = clips.first?.info
        return clips.allSatisfy { clip in
            clip.info.hasAudio && clip.info.audioCodec == "aac" && clip.info.audioSampleRate == first?.audioSampleRate
                && clip.info.audioChannels == first?.audioChannels
        }
    }

    /// Frames each clip contributes after normalisation.
    public func frames(of clip: CombineClip) -> Int {
        max(1, Int((clip.info.duration * Double(fps)).rounded(.down)))
    }

    /// The effective transition length in frames: never more than a third of the shortest clip.
    public var transitionFrames: Int {
        guard hasTransition else { return 0 }
        let shortest = clips.map(frames(of:)).min() ?? 0
        return max(1, min(Int((transitionDuration * Double(fps)).rounded()), shortest / 3))
    }

    /// Seconds of the finished video.
    public var expectedDuration: Double {
        let total = clips.map(frames(of:)).reduce(0, +) - transitionFrames * max(0, clips.count - 1)
        return Double(total) / Double(fps)
    }

    /// Offsets (seconds) of each xfade: `offset_k = Σ_{i≤k} d_i − k·T`.
    public var xfadeOffsets: [Double] {
        var offsets: [Double] = []
        var elapsed = 0
        for (index, clip) in clips.dropLast().enumerated() {
            elapsed += frames(of: clip)
            offsets.append(Double(elapsed - transitionFrames * (index + 1)) / Double(fps))
        }
        return offsets
    }

    /// The stream-copy list for the concat demuxer.
    public var concatList: String {
        clips.map { "file '" + $0.path.pathString.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: "\n") + "\n"
    }

    /// Arguments for stream copy, reading the list at `listPath`.
    public func copyArguments(listPath: AbsolutePath) -> [String] {
        var arguments = ["-nostdin", "-y", "-v", "error", "-f", "concat", "-safe", "0", "-i", listPath.pathString, "-map", "0:v:0"]
        if keepAudio { arguments += ["-map", "0:a:0"] }
        arguments += ["-c", "copy"]
        if !keepAudio { arguments += ["-an"] }
        arguments += ["-fflags", "+bitexact", "-map_metadata", "-1", "-movflags", "+faststart", output.pathString]
        return arguments
    }

    /// Arguments for the single-pass re-encode with normalisation and transitions.
    public var encodeArguments: [String] {
        var arguments = ["-nostdin", "-y", "-v", "error"]
        for clip in clips { arguments += ["-i", clip.path.pathString] }
        arguments += ["-filter_complex", filterGraph, "-map", "[vout]"]
        if keepAudio { arguments += ["-map", "[aout]", "-c:a", "aac", "-b:a", "192k", "-ar", "48000", "-ac", "2"] } else { arguments += ["-an"] }
        arguments += [
            "-c:v", "libx264", "-preset", encoderPreset, "-crf", String(crf), "-threads", String(AnimaticCommand.encoderThreads),
            "-pix_fmt", "yuv420p", "-r", String(fps), "-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact",
            "-map_metadata", "-1", "-movflags", "+faststart", output.pathString,
        ]
        return arguments
    }

    /// The filter graph: normalise each input, then chain xfade/acrossfade (or concat).
    public var filterGraph: String {
        var parts: [String] = []
        for (index, clip) in clips.enumerated() {
            let count = frames(of: clip)
            parts.append("[\(index):v]\(scaleFilter()),setsar=1,fps=\(fps),format=yuv420p,trim=end_frame=\(count),setpts=PTS-STARTPTS[v\(index)]")
            if keepAudio {
                let seconds = AnimaticCommand.decimal(Double(count) / Double(fps))
                if clip.info.hasAudio {
                    parts.append("[\(index):a]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,apad,atrim=0:\(seconds),asetpts=PTS-STARTPTS[a\(index)]")
                } else {
                    parts.append("anullsrc=r=48000:cl=stereo,atrim=0:\(seconds),aformat=sample_fmts=fltp:channel_layouts=stereo[a\(index)]")
                }
            }
        }
        if clips.count == 1 {
            parts.append("[v0]null[vout]")
            if keepAudio { parts.append("[a0]anull[aout]") }
        } else if hasTransition {
            let fade = AnimaticCommand.decimal(Double(transitionFrames) / Double(fps))
            var video = "v0"
            var audio = "a0"
            for (index, offset) in xfadeOffsets.enumerated() {
                let next = index + 1
                let videoOut = next == clips.count - 1 ? "vout" : "vx\(next)"
                parts.append("[\(video)][v\(next)]xfade=transition=\(transition):duration=\(fade):offset=\(AnimaticCommand.decimal(offset))[\(videoOut)]")
                video = videoOut
                if keepAudio {
                    let audioOut = next == clips.count - 1 ? "aout" : "ax\(next)"
                    parts.append("[\(audio)][a\(next)]acrossfade=d=\(fade):c1=tri:c2=tri[\(audioOut)]")
                    audio = audioOut
                }
            }
        } else {
            let inputs = clips.indices.map { keepAudio ? "[v\($0)][a\($0)]" : "[v\($0)]" }.joined()
            parts.append("\(inputs)concat=n=\(clips.count):v=1:a=\(keepAudio ? 1 : 0)" + (keepAudio ? "[vout][aout]" : "[vout]"))
        }
        return parts.joined(separator: ";")
    }

    func scaleFilter() -> String {
        if fit == "cover" {
            return "scale=\(width):\(height):force_original_aspect_ratio=increase,crop=\(width):\(height)"
        }
        return "scale=\(width):\(height):force_original_aspect_ratio=decrease,pad=\(width):\(height):(ow-iw)/2:(oh-ih)/2:color=black"
    }
}

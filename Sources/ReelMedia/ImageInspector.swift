import Foundation
import ReelBasics

/// What a full decode of one image found.
public enum ImageVerdict: Sendable, Equatable {
    /// It decodes completely; its size in pixels.
    case ok(width: Int, height: Int)
    /// It cannot be used: `reason` is one line for the user (what is wrong and what to do).
    case unusable(reason: String)
}

/// Decodes an image completely with ffprobe (`-count_frames` decodes every frame, and the decoder
/// reports a truncated or damaged file at error level) and judges whether Reel can use it: an image
/// that decodes only partly would send a half-grey frame to a paid model, and one with an extreme
/// aspect ratio makes ffmpeg's scaler fail deep inside a build.
public struct ImageInspector: Sendable {
    public let runner: any ProcessRunner

    /// Smallest side, in pixels, an image may have.
    public static let minimumSide = 16
    /// Largest ratio of the long side to the short side (10:1 covers wide panoramas).
    public static let maximumAspectRatio = 10

    public init(runner: any ProcessRunner) {
        self.runner = runner
    }

    /// The ffprobe command that decodes `path` completely.
    public static func command(_ path: AbsolutePath) -> ProcessSpec {
        ProcessSpec("ffprobe", [
            "-hide_banner", "-v", "error", "-count_frames", "-select_streams", "v:0",
            "-show_entries", "stream=codec_name,width,height,nb_read_frames", "-of", "csv=p=0", path.pathString,
        ])
    }

    /// Decodes `path` and judges it.
    /// - Throws: only when ffprobe cannot be run at all (not installed, cancelled); a bad image is a verdict.
    public func inspect(_ path: AbsolutePath, size: Int64? = nil) async throws -> ImageVerdict {
        if size == 0 { return .unusable(reason: "the file is empty (0 bytes)") }
        let result = try await runner.run(ImageInspector.command(path))
        return ImageInspector.judge(exitCode: result.exitCode, output: result.outputText, errors: result.errorText)
    }

    /// The verdict from ffprobe's exit status, its CSV line (`codec,width,height,frames`) and its
    /// error output. Any error-level message means the image did not decode completely.
    public static func judge(exitCode: Int32, output: String, errors: String) -> ImageVerdict {
        let firstError = errors.split(separator: "\n").lazy.map { ImageInspector.clean(String($0)) }.first { !$0.isEmpty }
        let fields = output.split(separator: "\n").first.map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) } ?? []
        let width = fields.count >= 4 ? Int(fields[1]) ?? 0 : 0, height = fields.count >= 4 ? Int(fields[2]) ?? 0 : 0
        let frames = fields.count >= 4 ? Int(fields[3]) ?? 0 : 0
        if exitCode != 0 || width <= 0 || height <= 0 {
            let detail = firstError.map { " (ffprobe: \($0))" } ?? ""
            return .unusable(reason: "it is not an image ffmpeg can read\(detail); check that the file is really an image of the kind its name says")
        }
        if let firstError {
            return .unusable(reason: "it does not decode completely (ffmpeg: \(firstError)); the file is probably truncated or damaged: export it again")
        }
        guard frames >= 1 else {
            return .unusable(reason: "it holds no picture ffmpeg can decode; the file is probably truncated or damaged: export it again")
        }
        let long = max(width, height), short = min(width, height)
        if long > short * maximumAspectRatio {
            return .unusable(reason: "it is \(width)×\(height) pixels, an aspect ratio of \(ratioText(width, height)); images may be at most \(maximumAspectRatio):1 either way: crop it")
        }
        if min(width, height) < minimumSide {
            return .unusable(reason: "it is \(width)×\(height) pixels; images need at least \(minimumSide) pixels on each side")
        }
        return .ok(width: width, height: height)
    }

    /// `1:4500` for 2×9000.
    static func ratioText(_ width: Int, _ height: Int) -> String {
        width >= height ? "\(Int((Double(width) / Double(height)).rounded())):1" : "1:\(Int((Double(height) / Double(width)).rounded()))"
    }

    /// An ffmpeg log line without its `[mjpeg @ 0x…] ` context prefix or the file's path.
    static func clean(_ line: String) -> String {
        var text = line.trimmingCharacters(in: .whitespaces)
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            text = text[text.index(after: close)...].trimmingCharacters(in: .whitespaces)
        }
        if text.hasPrefix("/"), let colon = text.range(of: ": ") {
            text = String(text[colon.upperBound...])
        }
        return text.count > 160 ? String(text.prefix(160)) + "…" : text
    }
}

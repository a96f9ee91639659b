import Foundation
import ReelBasics

/// The ffmpeg commands that make the storyboard's pictures: thumbnails of the images, a poster
/// frame and a contact sheet of the final video.
enum ReportFrames {
    /// Width of image thumbnails and of contact-sheet tiles, in pixels.
    static let thumbnailWidth = 320
    /// Contact-sheet grid.
    static let columns = 4
    static let rows = 3

    private static let quiet = ["-nostdin", "-hide_banner", "-loglevel", "error", "-y"]

    /// A JPEG of `image` scaled to `thumbnailWidth` pixels wide.
    static func thumbnail(of image: AbsolutePath, to output: AbsolutePath) -> ProcessSpec {
        ProcessSpec("ffmpeg", quiet + [
            "-i", image.pathString, "-vf", "scale=\(thumbnailWidth):-2:flags=lanczos", "-frames:v", "1", "-q:v", "4", output.pathString,
        ])
    }

    /// The frame in the middle of `video`, full size.
    static func poster(of video: AbsolutePath, duration: Double, to output: AbsolutePath) -> ProcessSpec {
        ProcessSpec("ffmpeg", quiet + [
            "-ss", timestamp(max(duration, 0) / 2), "-i", video.pathString, "-frames:v", "1", "-q:v", "3", output.pathString,
        ])
    }

    /// Evenly spaced frames of `video` in a `columns`×`rows` grid: one fast seek per tile, so a
    /// long video is never decoded whole.
    static func contactSheet(of video: AbsolutePath, duration: Double, to output: AbsolutePath) -> ProcessSpec {
        let count = columns * rows
        var arguments = quiet
        var filters: [String] = []
        var labels = ""
        for index in 0..<count {
            let time = max(duration, 0) * (Double(index) + 0.5) / Double(count)
            arguments += ["-ss", timestamp(time), "-i", video.pathString]
            filters.append("[\(index):v]trim=end_frame=1,setpts=PTS-STARTPTS,scale=\(thumbnailWidth):-2,setsar=1[f\(index)]")
            labels += "[f\(index)]"
        }
        filters.append("\(labels)concat=n=\(count):v=1:a=0,tile=\(columns)x\(rows):margin=8:padding=8:color=0xF4F1EA[sheet]")
        arguments += ["-filter_complex", filters.joined(separator: ";"), "-map", "[sheet]", "-frames:v", "1", "-q:v", "3", output.pathString]
        return ProcessSpec("ffmpeg", arguments)
    }

    /// Seconds as ffmpeg reads them, with a dot whatever the locale.
    static func timestamp(_ seconds: Double) -> String {
        String(format: "%.3f", locale: Locale(identifier: "en_US_POSIX"), seconds.isFinite ? seconds : 0)
    }
}

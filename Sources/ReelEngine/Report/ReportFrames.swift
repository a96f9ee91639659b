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

    /// One ffmpeg process making the thumbnails of several images (an input and an output each),
    /// each scaled to `thumbnailWidth` pixels wide.
    static func thumbnails(_ jobs: [(source: AbsolutePath, output: AbsolutePath)]) -> ProcessSpec {
        var arguments = quiet
        for job in jobs { arguments += ["-i", job.source.pathString] }
        for (index, job) in jobs.enumerated() {
            arguments += ["-map", "\(index):v:0", "-vf", "scale=\(thumbnailWidth):-2:flags=lanczos", "-frames:v", "1", "-q:v", "4", job.output.pathString]
        }
        return ProcessSpec("ffmpeg", arguments)
    }

    /// Images per ffmpeg process when making many thumbnails.
    static let thumbnailBatch = 16

    /// Makes every thumbnail in `jobs`: batches in parallel (as many as there are cores); a batch
    /// that fails is retried one image at a time, so one bad image costs only its own thumbnail.
    /// - Returns: the failure of each job that failed, by index.
    static func makeThumbnails(_ jobs: [(source: AbsolutePath, output: AbsolutePath)], runner: any ProcessRunner) async -> [Int: any Error] {
        guard !jobs.isEmpty else { return [:] }
        let batches = stride(from: 0, to: jobs.count, by: thumbnailBatch).map { Array($0..<min($0 + thumbnailBatch, jobs.count)) }
        let width = max(1, min(ProcessInfo.processInfo.activeProcessorCount, batches.count))
        var failures: [Int: any Error] = [:]
        await withTaskGroup(of: [Int: any Error].self) { group in
            var next = 0
            func launch() {
                let batch = batches[next]
                next += 1
                group.addTask {
                    do {
                        _ = try await runner.checkedRun(thumbnails(batch.map { jobs[$0] }))
                        return [:]
                    } catch {
                        if batch.count == 1 { return [batch[0]: error] }
                        var found: [Int: any Error] = [:]
                        for index in batch {
                            do { _ = try await runner.checkedRun(thumbnails([jobs[index]])) } catch { found[index] = error }
                        }
                        return found
                    }
                }
            }
            while next < width { launch() }
            for await result in group {
                failures.merge(result) { first, _ in first }
                if next < batches.count { launch() }
            }
        }
        return failures
    }

    /// The frame in the middle of `video`, full size.
    static func poster(of video: AbsolutePath, duration: Double, to output: AbsolutePath) -> ProcessSpec {
        ProcessSpec("ffmpeg", quiet + [
            "-ss", timestamp(max(duration, 0) / 2), "-i", video.pathString, "-frames:v", "1", "-q:v", "3", output.pathString,
        ])
    }

    /// Evenly spaced frames of `video` (at the middle of each twelfth) in a `columns`×`rows` grid,
    /// made by one ffmpeg process with one decoder, so memory does not grow with the video.
    ///
    /// A short video is read in one pass: `select` keeps frame n once its time reaches the n-th
    /// mark, and ffmpeg stops when the grid is full. A long one (`seek` not `nil`: the list of
    /// `seekPlan(for:duration:framesPerSecond:)` in a file, and its window) is read through the
    /// concat demuxer, one short segment per mark, each opened with a seek: only the group of
    /// pictures before each mark is decoded, so time does not grow with the video's length either. (Twelve inputs with a seek
    /// each kept twelve decoders running to the end of the video: 12 full decodes and 1.5 GB for a
    /// 1 GiB video.)
    static func contactSheet(
        of video: AbsolutePath, duration: Double, seek: (list: AbsolutePath, window: Double)? = nil, to output: AbsolutePath
    ) -> ProcessSpec {
        let count = columns * rows
        let step = max(duration, 0) / Double(count)
        let tiles = "scale=\(thumbnailWidth):-2,setsar=1,tile=\(columns)x\(rows):margin=8:padding=8:color=0xF4F1EA"
        let input: [String]
        let select: String
        if let seek {
            // -copyts: segment n's frames keep the times the demuxer gives them, n windows from the
            // start, and the frames decoded before a segment's in point come before it (negative).
            input = ["-copyts", "-f", "concat", "-safe", "0", "-i", seek.list.pathString]
            select = "select='lt(selected_n,\(count))*gte(t,selected_n*\(timestamp(seek.window)))'"
        } else {
            input = ["-i", video.pathString]
            select = "select='lt(selected_n,\(count))*gte(t,\(timestamp(step / 2))+selected_n*\(timestamp(step)))'"
        }
        return ProcessSpec("ffmpeg", quiet + input + ["-map", "0:v:0", "-vf", "\(select),\(tiles)", "-frames:v", "1", "-q:v", "3", output.pathString])
    }

    /// The longest group of pictures assumed between two keyframes, in frames: x264's default
    /// (Reel's combine sets none; a stream-copied clip starts with a keyframe and is shorter).
    static let keyframeInterval = 250.0

    /// The concat-demuxer list that reads `video` one short segment per contact-sheet mark, and
    /// the length of each segment; `nil` when one pass over the video costs no more: when the
    /// marks are closer together than a keyframe interval, each seek would decode most of the
    /// same frames again.
    static func seekPlan(for video: AbsolutePath, duration: Double, framesPerSecond: Double?) -> (list: String, window: Double)? {
        let count = columns * rows
        guard duration.isFinite, duration > 0, !video.pathString.contains("\n") else { return nil }
        let fps = framesPerSecond.flatMap { $0.isFinite && $0 > 0 ? $0 : nil } ?? 24
        let step = duration / Double(count)
        guard step > keyframeInterval / fps else { return nil }
        // Enough after each mark for a frame (and the reordering of B-frames), at most half the
        // distance to the next mark.
        let window = min(step / 2, max(0.5, 4 / fps))
        let file = "file '" + video.pathString.replacingOccurrences(of: "'", with: "'\\''") + "'\n"
        let list = (0..<count).map { index in
            let mark = step / 2 + Double(index) * step
            return file + "inpoint \(timestamp(mark))\noutpoint \(timestamp(mark + window))\n"
        }.joined()
        return (list, window)
    }

    /// Seconds as ffmpeg reads them, with a dot whatever the locale.
    static func timestamp(_ seconds: Double) -> String {
        String(format: "%.3f", locale: Locale(identifier: "en_US_POSIX"), seconds.isFinite ? seconds : 0)
    }
}

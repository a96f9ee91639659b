import Foundation
import ReelBasics

/// Paths to the repository's fixtures.
public enum Fixtures {
    /// The package root (found from this source file's location).
    public static var packageRoot: AbsolutePath {
        // Tests/ReelTestSupport/Fixtures.swift → package root is two folders up.
        AbsolutePath(#filePath)?.parent.parent.parent ?? AbsolutePath.currentDirectory
    }

    /// The sample photos shipped with the demo campaign.
    public static var photos: AbsolutePath { packageRoot.appending("manifests/demo/assets") }

    /// The names of the sample photos.
    public static let photoNames = ["astronaut.jpg", "chelsea.jpg", "coffee.jpg", "hubble_deep_field.jpg", "rocket.jpg"]

    /// Copies photos into `directory` (as `directory/<name>`).
    public static func copyPhotos(_ names: [String] = photoNames, to directory: AbsolutePath) throws {
        try FileManager.default.createDirectory(atPath: directory.pathString, withIntermediateDirectories: true)
        for name in names {
            let destination = directory.appending(name).pathString
            try? FileManager.default.removeItem(atPath: destination)
            try FileManager.default.copyItem(atPath: photos.appending(name).pathString, toPath: destination)
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: destination)
        }
    }

    /// Whether ffmpeg and ffprobe are installed.
    public static var hasFFmpeg: Bool {
        ["ffmpeg", "ffprobe"].allSatisfy { ExecutableSearch.find($0) != nil }
    }
}

extension Fixtures {
    /// Makes a small real H.264 MP4 (what a video model returns) with ffmpeg.
    public static func makeClip(at path: AbsolutePath, seconds: Double = 2, width: Int = 320, height: Int = 180, fps: Int = 24) async throws {
        let outcome = try await runProcess("ffmpeg", [
            "-nostdin", "-y", "-v", "error", "-f", "lavfi", "-i", "testsrc2=s=\(width)x\(height):r=\(fps):d=\(seconds)",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", path.pathString,
        ])
        guard outcome.exitCode == 0 else { throw InternalError("ffmpeg could not make a test clip: \(outcome.stderr)") }
    }
}

import Foundation
import ReelBasics
import ReelCache
import ReelGraph
import ReelManifest
import ReelMedia
import ReelProviders

/// Turns asset images into what providers accept: JPEG or PNG (others converted with ffmpeg),
/// optionally downscaled, as data URLs or Replicate file uploads (reused while still valid).
struct ImagePreparer: Sendable {
    /// ffmpeg's JPEG quality (`-q:v`, 2 = best) for images it converts: part of the LLM select key.
    static let jpegQuality = 3

    let runner: any ProcessRunner
    let fileSystem: any FileSystem
    let temporaryRoot: AbsolutePath

    /// Bytes and MIME type ready to send: the original when it is JPEG/PNG and no larger than
    /// `maxEdge` allows, else a JPEG made by ffmpeg (deterministic for the same input).
    /// - Parameter expected: the digest the node's key was made from; the bytes must still match.
    func prepared(_ asset: ResolvedAsset, expected: Digest, maxEdge: Int?, maxBytes: Int) async throws -> (data: Data, mime: String, ext: String) {
        let ext = asset.path.fileExtension
        let original = try fileSystem.read(asset.path)
        guard Digest.of(original) == expected else { throw GenerationError.assetChanged(asset.projectRelativePath) }
        if maxEdge == nil, ["jpg", "jpeg", "png"].contains(ext), original.count <= maxBytes {
            return (original, ext == "png" ? "image/png" : "image/jpeg", ext == "png" ? "png" : "jpg")
        }
        try fileSystem.createDirectory(temporaryRoot)
        let output = temporaryRoot.appending(TemporaryFiles.name("image.jpg"))
        defer { try? fileSystem.remove(output) }
        var filters = "format=yuvj420p"
        if let maxEdge {
            filters = "scale='min(\(maxEdge),iw)':'min(\(maxEdge),ih)':force_original_aspect_ratio=decrease:flags=lanczos," + filters
        }
        _ = try await runner.checkedRun(ProcessSpec("ffmpeg", [
            "-nostdin", "-y", "-v", "error", "-i", asset.path.pathString, "-frames:v", "1", "-vf", filters, "-q:v", String(ImagePreparer.jpegQuality),
            "-fflags", "+bitexact", "-flags:v", "+bitexact", output.pathString,
        ]))
        let data = try fileSystem.read(output)
        guard data.count <= maxBytes else {
            throw MediaError.undecodableImage(path: asset.projectRelativePath, detail: "still \(data.count) bytes after conversion; the limit is \(maxBytes)")
        }
        return (data, "image/jpeg", "jpg")
    }

    /// A `data:` URL.
    static func dataURL(_ data: Data, mime: String) -> String {
        "data:\(mime);base64," + data.base64EncodedString()
    }
}

/// Remembers Replicate file uploads by image digest, so the same image is uploaded once while
/// the upload is valid (files expire; see `expires_at`).
struct UploadCache: Sendable {
    let root: AbsolutePath
    let fileSystem: any FileSystem

    /// Margin before expiry at which an upload is no longer reused.
    static let margin: TimeInterval = 15 * 60

    func path(for digest: Digest, endpoint: String) -> AbsolutePath {
        root.appending("\(digest.hex)-\(Digest.of(string: endpoint).short).json")
    }

    func lookup(_ digest: Digest, endpoint: String, now: Date) -> ReplicateFile? {
        guard let file = fileSystem.readJSON(ReplicateFile.self, from: path(for: digest, endpoint: endpoint)) else { return nil }
        if let expires = file.expiresAt, let date = Timestamp.parse(expires), date.timeIntervalSince(now) < UploadCache.margin {
            return nil
        }
        return file
    }

    func remember(_ file: ReplicateFile, for digest: Digest, endpoint: String) {
        try? fileSystem.writeJSON(file, to: path(for: digest, endpoint: endpoint), durable: false)
    }
}

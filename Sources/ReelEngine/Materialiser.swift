import Foundation
import ReelBasics
import ReelCache
import ReelGraph
import ReelManifest

/// Puts outputs where the user expects them: the video at `output.path`, its clips in
/// `<stem>.clips/` beside it. Hard links into the cache when possible (read-only, like the blobs),
/// copies otherwise; an output already linked to the right blob is left alone.
struct Materialiser {
    let workspace: Workspace

    var fileSystem: any FileSystem { workspace.environment.fileSystem }

    func materialiseVideo(_ digest: Digest, at destination: AbsolutePath) async throws -> AbsolutePath {
        try await workspace.store.materialise(digest, at: destination)
        return destination
    }

    /// Links each built clip as `NN-first-last.mp4` and removes clips no longer in the video.
    /// A clip that cannot be placed (or an old one that cannot be removed) is said through `note`;
    /// the clips stay in the cache either way.
    func materialiseClips(_ clips: [(NodeSpec, Digest?)], into directory: AbsolutePath, note: (String) -> Void) async -> [AbsolutePath] {
        var placed: [AbsolutePath] = []
        var keep: Set<String> = []
        for (spec, digest) in clips {
            guard let digest, case .generate(let input) = spec.action else { continue }
            let name = NumberText.zeroPadded(input.index + 1, width: 2) + "-" + "\(input.pair.first)-\(input.pair.last).mp4"
            let destination = directory.appending(name)
            keep.insert(name)
            do {
                try await workspace.store.materialise(digest, at: destination)
                placed.append(destination)
            } catch {
                note("could not place the clip \(destination.relative(to: AbsolutePath.currentDirectory)): \(error)")
            }
        }
        do {
            for name in try fileSystem.listIfPresent(directory) where name.hasSuffix(".mp4") && !keep.contains(name) {
                try fileSystem.remove(directory.appending(name))
            }
        } catch {
            note("could not remove old clips from \(directory.relative(to: AbsolutePath.currentDirectory)): \(error)")
        }
        return placed
    }

    /// One line saying why the video could not be placed at `path`, and what to do.
    static func placementMessage(_ path: AbsolutePath, error: any Error, fileSystem: any FileSystem) -> String {
        let shown = path.relative(to: AbsolutePath.currentDirectory)
        if fileSystem.info(path)?.kind == .directory {
            return "could not place the video at \(shown): a folder is in the way; remove or rename it, or change output.path"
        }
        if !fileSystem.isDirectory(path.parent), fileSystem.exists(path.parent) {
            return "could not place the video at \(shown): \(path.parent.relative(to: AbsolutePath.currentDirectory)) is not a folder; change output.path"
        }
        return "could not place the video at \(shown): \(error)"
    }
}

import Foundation
import ReelBasics
import ReelManifest

/// Which manifests a command was given: paths and quoted globs (`'campaigns/**/reel.yaml'`),
/// expanded by Reel itself so a batch means the same on every platform and shell.
public enum ManifestSelection {
    /// The manifests `arguments` name, in order, each once. A glob that matches nothing is an
    /// error; a plain path is kept even when missing (loading it reports that, with the path).
    public static func expand(
        _ arguments: [String], fileSystem: any FileSystem, workingDirectory: AbsolutePath = AbsolutePath.currentDirectory
    ) throws -> [BuildRequest.ManifestRef] {
        var refs: [BuildRequest.ManifestRef] = []
        var seen: Set<AbsolutePath> = []
        for argument in arguments {
            let components = argument.split(separator: "/").map(String.init)
            guard components.contains(where: PathGlob.isPattern) || components.contains("**") else {
                let path = AbsolutePath(argument, relativeTo: workingDirectory)
                if seen.insert(path).inserted { refs.append(BuildRequest.ManifestRef(path: path, display: argument)) }
                continue
            }
            let matches = PathGlob(fileSystem: fileSystem).expand(argument, from: workingDirectory)
                .filter { fileSystem.infoFollowingSymlinks($0)?.kind == .file }
            guard !matches.isEmpty else { throw BuildServiceError.noManifests(argument) }
            for path in matches where seen.insert(path).inserted {
                refs.append(BuildRequest.ManifestRef(path: path, display: path.relative(to: workingDirectory)))
            }
        }
        return refs
    }
}

import ReelBasics

/// What a build writes — the video at `output.path`, its `<name>.clips/` and `<name>.report/`
/// folders — may never be one of the user's files Reel reads (an asset, the manifest, the
/// lockfile) nor lie in the cache or the project's `.reel/` folder, and none of those may lie in
/// the folders the build fills. Otherwise a build would replace the user's file with a read-only
/// link into the cache, or clean a cache folder as stale clips.
public enum OutputConflicts {
    /// The first conflict, as one line that says how to fix it; `nil` when there is none.
    /// - Parameter protectedFolders: folders the outputs must stay out of, with how to name them
    ///   in a message (`the cache`, `the project's .reel folder`).
    public static func problem(
        output: OutputSettings, manifestPath: AbsolutePath, lockfilePath: AbsolutePath, assets: [ResolvedAsset],
        protectedFolders: [(path: AbsolutePath, name: String)], projectRoot: AbsolutePath
    ) -> String? {
        let video = output.path
        let folders = [(output.clipsDirectory, "its clips folder"), (output.reportDirectory, "its storyboard folder")]
        func shown(_ path: AbsolutePath) -> String { path.relative(to: projectRoot) }
        let fix = "choose another output.path"
        var userFiles = [(manifestPath, "the manifest"), (lockfilePath, "the lockfile")]
        userFiles += assets.map { ($0.path, "the asset '\($0.id)'") }
        for (file, name) in userFiles {
            if file == video {
                return "'output.path' \(shown(video)) is \(name); the build would replace it: \(fix)"
            }
            for (folder, folderName) in folders where file.isDescendant(ofOrEqualTo: folder) {
                return "\(name) (\(shown(file))) is inside \(shown(folder)), \(folderName) of 'output.path' \(shown(video)), which the build fills: \(fix)"
            }
        }
        let written = [(video, "'output.path' \(shown(video))")] + folders.map { ($0.0, "\(shown($0.0)), \($0.1) of 'output.path',") }
        for (protected, name) in protectedFolders {
            for (path, what) in written {
                if path.isDescendant(ofOrEqualTo: protected) || protected.isDescendant(ofOrEqualTo: path) {
                    return "\(what) and \(name) (\(shown(protected))) overlap; the build would write into it: \(fix)"
                }
            }
        }
        return nil
    }
}

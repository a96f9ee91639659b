import ReelBasics

/// The project a path belongs to.
public enum ProjectRoot {
    /// The nearest folder at or above `folder` holding `.git` or `.reel`, else `folder` itself.
    /// Assets must stay inside it; its cache and ledger are shared by all its manifests.
    public static func find(from folder: AbsolutePath, fileSystem: any FileSystem) -> AbsolutePath {
        var directory = folder
        while true {
            if fileSystem.exists(directory.appending(".git")) || fileSystem.isDirectory(directory.appending(".reel")) {
                return directory
            }
            if directory.pathString == "/" { return folder }
            directory = directory.parent
        }
    }
}

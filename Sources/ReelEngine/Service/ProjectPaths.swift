import Foundation
import ReelBasics
import ReelManifest
import ReelRemoteCache

/// Where a project's shared state lives: the one place every command resolves the project root,
/// the cache and the ledger. Flags win over the environment (`REEL_CACHE_DIR`, `REEL_LEDGER_URL`,
/// `REEL_LEDGER`), which wins over the project defaults `<project>/.reel/cache` and
/// `<project>/.reel/ledger.sqlite`. `--ledger` takes a file or a `postgres://` URL.
public struct ProjectPaths: Sendable, Equatable {
    /// The nearest folder at or above the start holding `.git` or `.reel`.
    public var root: AbsolutePath
    public var cache: AbsolutePath
    /// The SQLite ledger file (the project default when the ledger is a database).
    public var ledger: AbsolutePath
    /// The ledger in force: that file, or a shared database.
    public var ledgerLocation: LedgerLocation

    /// Explicit locations from the command line; relative paths are taken from `workingDirectory`.
    public struct Overrides: Sendable, Equatable {
        public var cacheDir: String?
        public var ledger: String?
        /// The remote cache flags (`--remote-cache`, `--remote-upload`…), read with the environment
        /// by `RemoteCacheConfiguration` when the workspace opens.
        public var remote: RemoteCacheFlags

        public init(cacheDir: String? = nil, ledger: String? = nil, remote: RemoteCacheFlags = RemoteCacheFlags()) {
            self.cacheDir = cacheDir
            self.ledger = ledger
            self.remote = remote
        }
    }

    /// The paths of the project at or above `folder` (a manifest's folder, or the working
    /// directory for `reel spend` and `reel cache`).
    public static func resolve(
        from folder: AbsolutePath, overrides: Overrides = Overrides(), environment: BuildEnvironment,
        workingDirectory: AbsolutePath = AbsolutePath.currentDirectory
    ) -> ProjectPaths {
        let root = ProjectRoot.find(from: folder, fileSystem: environment.fileSystem)
        let flagURL = overrides.ledger.flatMap { LedgerLocation.isDatabaseURL($0) ? $0 : nil }
        func chosen(_ flag: String?, _ variable: String) -> AbsolutePath? {
            if let flag, !flag.isEmpty { return AbsolutePath(flag, relativeTo: workingDirectory) }
            if let value = environment.variables[variable], !value.isEmpty { return AbsolutePath(value, relativeTo: workingDirectory) }
            return nil
        }
        let ledgerFlag = flagURL == nil ? overrides.ledger : nil
        let ledger = chosen(ledgerFlag, "REEL_LEDGER") ?? root.appending(".reel/ledger.sqlite")
        let location: LedgerLocation
        if let flagURL {
            location = .database(url: flagURL, setting: "--ledger")
        } else if let flag = ledgerFlag, !flag.isEmpty {
            location = .file(ledger)
        } else if let url = environment.variables["REEL_LEDGER_URL"], !url.isEmpty {
            location = .database(url: url, setting: "REEL_LEDGER_URL")
        } else {
            location = .file(ledger)
        }
        return ProjectPaths(
            root: root, cache: chosen(overrides.cacheDir, "REEL_CACHE_DIR") ?? CacheStore.defaultRoot(projectRoot: root), ledger: ledger,
            ledgerLocation: location)
    }
}

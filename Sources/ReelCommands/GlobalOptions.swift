import ArgumentParser
import Foundation
import ReelBasics

/// Options every command that reads a manifest takes.
struct ManifestOptions: ParsableArguments {
    @Argument(help: "The campaign manifest, relative to the current folder.")
    var manifest: String = "reel.yaml"

    @Option(name: .customLong("cache-dir"), help: "The cache folder (default: <project>/.reel/cache, or $REEL_CACHE_DIR).")
    var cacheDir: String?

    @Option(name: .customLong("ledger"), help: "The spend ledger (default: <project>/.reel/ledger.sqlite, or $REEL_LEDGER).")
    var ledger: String?

    /// The manifest as an absolute path.
    var manifestPath: AbsolutePath {
        AbsolutePath(manifest, relativeTo: AbsolutePath.currentDirectory)
    }

    /// The ledger path from the flag, the environment, or the project default.
    func ledgerPath(projectRoot: AbsolutePath, environment: [String: String]) -> AbsolutePath {
        if let ledger, !ledger.isEmpty { return AbsolutePath(ledger, relativeTo: AbsolutePath.currentDirectory) }
        if let fromEnvironment = environment["REEL_LEDGER"], !fromEnvironment.isEmpty {
            return AbsolutePath(fromEnvironment, relativeTo: AbsolutePath.currentDirectory)
        }
        return projectRoot.appending(".reel/ledger.sqlite")
    }

    /// The cache root from the flag or the environment, if either is set.
    func cacheRoot(environment: [String: String]) -> AbsolutePath? {
        if let cacheDir, !cacheDir.isEmpty { return AbsolutePath(cacheDir, relativeTo: AbsolutePath.currentDirectory) }
        if let fromEnvironment = environment["REEL_CACHE_DIR"], !fromEnvironment.isEmpty {
            return AbsolutePath(fromEnvironment, relativeTo: AbsolutePath.currentDirectory)
        }
        return nil
    }
}

/// Output options.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print machine-readable JSON on standard output.")
    var json = false

    @Flag(name: .shortAndLong, help: "Print only errors.")
    var quiet = false

    @Flag(name: .shortAndLong, help: "Print more detail.")
    var verbose = false
}

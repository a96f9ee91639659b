import ArgumentParser
import Foundation
import ReelBasics
import ReelEngine

/// Options every command that reads a manifest takes.
struct ManifestOptions: ParsableArguments {
    @Argument(help: "The campaign manifest (default: reel.yaml in the current folder).")
    var manifest: String = "reel.yaml"

    @Option(name: .customLong("cache-dir"), help: "The cache folder (default: <project>/.reel/cache, or $REEL_CACHE_DIR).")
    var cacheDir: String?

    @Option(
        name: .customLong("ledger"),
        help: "The spend ledger: a file, or a postgres:// URL shared by a team (default: $REEL_LEDGER_URL, $REEL_LEDGER, or <project>/.reel/ledger.sqlite).")
    var ledger: String?

    /// The manifest as an absolute path.
    var manifestPath: AbsolutePath {
        AbsolutePath(manifest, relativeTo: AbsolutePath.currentDirectory)
    }

    /// The cache and ledger flags, resolved with the environment by `ProjectPaths`.
    var overrides: ProjectPaths.Overrides {
        ProjectPaths.Overrides(cacheDir: cacheDir, ledger: ledger)
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

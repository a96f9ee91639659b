import ArgumentParser
import Foundation
import ReelBasics
import ReelEngine
import ReelRemoteCache

/// Options every command that reads a manifest takes.
struct ManifestOptions: ParsableArguments {
    @Argument(help: "Campaign manifests or quoted globs such as 'campaigns/**/reel.yaml', relative to the current folder.")
    var manifests: [String] = ["reel.yaml"]

    /// The first manifest (commands that take one).
    var manifest: String { manifests.first ?? "reel.yaml" }

    @Option(name: .customLong("cache-dir"), help: "The cache folder (default: <project>/.reel/cache, or $REEL_CACHE_DIR).")
    var cacheDir: String?

    @Option(
        name: .customLong("ledger"),
        help: "The spend ledger: a file, or a postgres:// URL shared by a team (default: $REEL_LEDGER_URL, $REEL_LEDGER, or <project>/.reel/ledger.sqlite).")
    var ledger: String?

    @Option(name: .customLong("remote-cache"), help: "A shared Bazel HTTP remote cache (default: $REEL_REMOTE_CACHE), e.g. https://cache.example.com/reel.")
    var remoteCache: String?

    @Flag(
        name: .customLong("remote-upload"), inversion: .prefixedNo,
        help: "Write results to the remote cache (default: only when $CI is set; reading is always on).")
    var remoteUpload: Bool?

    @Flag(name: .customLong("no-remote-cache"), help: "Ignore any configured remote cache.")
    var noRemoteCache = false

    /// The manifest as an absolute path.
    var manifestPath: AbsolutePath {
        AbsolutePath(manifest, relativeTo: AbsolutePath.currentDirectory)
    }

    /// Every manifest named, globs expanded by Reel.
    func manifestRefs() throws -> [BuildRequest.ManifestRef] {
        try ManifestSelection.expand(manifests, fileSystem: LocalFileSystem())
    }

    /// For commands that take one manifest.
    func requireOne(_ command: String) throws {
        if manifests.count > 1 { throw ValidationError("reel \(command) takes one manifest; got \(manifests.count)") }
    }

    /// The cache and ledger flags, resolved with the environment by `ProjectPaths`.
    var overrides: ProjectPaths.Overrides {
        ProjectPaths.Overrides(
            cacheDir: cacheDir, ledger: ledger, remote: RemoteCacheFlags(url: remoteCache, upload: remoteUpload, disabled: noRemoteCache))
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

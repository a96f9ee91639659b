import ArgumentParser
import Foundation
import ReelBasics
import ReelCache
import ReelEngine
import ReelManifest

extension ReelCommand {
    /// `reel clean`: removes the project's cache (never the ledger).
    struct Clean: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "clean", abstract: "Remove the project's cache. The spend ledger, lockfiles and outputs are kept.",
            discussion: """
                Everything removed is rebuilt on the next build — paid clips are paid for again unless another cache or \
                the lockfile's shared cache has them, so `reel plan` afterwards shows what a rebuild would cost.

                Examples:
                  reel clean manifests/demo/reel.yaml
                  reel clean --cache-dir /tmp/reel-cache
                """)

        @OptionGroup var manifestOptions: ManifestOptions

        func run() async throws {
            let environment = BuildEnvironment.live()
            let campaign = try CommandSupport.loadCampaign(manifestOptions, environment: environment, quiet: true)
            let paths = CommandSupport.paths(campaign, options: manifestOptions, environment: environment)
            let root = paths.cache
            let fileSystem = LocalFileSystem()
            guard fileSystem.exists(root) else {
                Console.out("no cache at \(root.relative(to: AbsolutePath.currentDirectory)); nothing to remove")
                return
            }
            guard fileSystem.exists(root.appending("CACHEDIR.TAG")) else {
                Console.err("error: \(root) has no CACHEDIR.TAG, so it is not a Reel cache; not removing it")
                throw ExitCode.failure
            }
            let ledger = paths.ledger
            if ledger.isDescendant(ofOrEqualTo: root) {
                Console.err("error: the ledger \(ledger) is inside the cache \(root); move it (--ledger) before cleaning")
                throw ExitCode.failure
            }
            // In-flight predictions live in the journal: removing it would forget paid work.
            let journal: [JournalEntry]
            do {
                journal = try PredictionJournal(layout: CacheLayout(root: root), fileSystem: fileSystem).all()
            } catch {
                Console.err("error: \(error); not removing the cache")
                throw ExitCode.failure
            }
            if !journal.isEmpty {
                let listed = journal.map { "\($0.nodeID) (\($0.predictionID ?? "id not yet known"))" }.joined(separator: ", ")
                Console.err("error: the cache holds predictions still in flight: \(listed); run `reel build` to finish them first")
                throw ExitCode.failure
            }
            // Read-only blobs can still be unlinked: only their folders need to be writable.
            do {
                try fileSystem.remove(root)
            } catch {
                Console.err("error: cannot remove \(root): \(error)")
                throw ExitCode.failure
            }
            Console.out("removed the cache \(root.relative(to: AbsolutePath.currentDirectory)); the ledger \(ledger.relative(to: AbsolutePath.currentDirectory)) is kept")
        }
    }
}

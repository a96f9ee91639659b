import ArgumentParser
import Foundation
import ReelBasics
import ReelCache
import ReelEngine

extension ReelCommand {
    /// `reel cache`: look after the cache.
    struct Cache: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "cache", abstract: "Verify or garbage-collect the cache.",
            subcommands: [Verify.self, GC.self])
    }
}

/// Options shared by the cache commands: which cache.
struct CacheLocation: ParsableArguments {
    @Option(name: .customLong("cache-dir"), help: "The cache folder (default: <project>/.reel/cache, or $REEL_CACHE_DIR).")
    var cacheDir: String?

    /// The project's cache, found from the current folder as `reel build` finds it from a manifest.
    func open() throws -> CacheStore {
        let root = ProjectPaths.resolve(
            from: AbsolutePath.currentDirectory, overrides: ProjectPaths.Overrides(cacheDir: cacheDir), environment: .live()
        ).cache
        guard FileManager.default.fileExists(atPath: root.appending("CACHEDIR.TAG").pathString) else {
            throw ValidationError("no Reel cache at \(root.relative(to: AbsolutePath.currentDirectory)); run from the project folder or pass --cache-dir")
        }
        return try CacheStore(root: root, fileSystem: LocalFileSystem())
    }
}

extension ReelCommand.Cache {
    /// `reel cache verify`: rehash every blob.
    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify", abstract: "Rehash every blob and check every action record; remove what is damaged (it is rebuilt next time).",
            discussion: """
                Examples:
                  reel cache verify
                  reel cache verify --cache-dir /mnt/shared/reel-cache --json
                """)

        @OptionGroup var location: CacheLocation

        @Flag(help: "Print JSON.")
        var json = false

        func run() async throws {
            let store = try location.open()
            let report = try CacheMaintenance(store: store).verify()
            if json {
                Console.json([
                    "blobs": report.blobs, "corrupt": report.corrupt, "records": report.records, "broken_records": report.brokenRecords,
                    "leftover_temporary_files": report.leftovers, "leftover_bytes": report.leftoverBytes,
                ])
            } else {
                Console.out("\(report.blobs) blobs checked, \(report.corrupt) corrupt (removed); \(report.records) action records, \(report.brokenRecords) pointing at missing blobs (removed)")
                if report.leftovers > 0 {
                    Console.out("\(report.leftovers) temporary file\(report.leftovers == 1 ? "" : "s") (\(NumberText.bytes(report.leftoverBytes))) left in tmp/ by processes that are gone; `reel cache gc` removes them")
                }
            }
            if report.corrupt > 0 || report.brokenRecords > 0 { throw ExitCode.failure }
        }
    }

    /// `reel cache gc`: drop what no action record needs.
    struct GC: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "gc",
            abstract: "Remove blobs no action record refers to, records older than --older-than days, and temporary files of processes that are gone.",
            discussion: """
                The ledger lives outside the cache and is never touched. Removed work is rebuilt (or re-paid!) when needed: \
                keep --older-than generous for paid clips. Do not run it while a build uses the same cache: a blob \
                stored a moment before its record would look unreferenced.

                Examples:
                  reel cache gc
                  reel cache gc --older-than 90
                """)

        @OptionGroup var location: CacheLocation

        @Option(name: .customLong("older-than"), help: "Also remove action records created more than this many days ago.")
        var olderThan: Int?

        @Flag(help: "Print JSON.")
        var json = false

        func run() async throws {
            let store = try location.open()
            let report = try CacheMaintenance(store: store).collect(olderThanDays: olderThan)
            if json {
                Console.json([
                    "records_removed": report.records, "blobs_removed": report.blobs, "temporary_files_removed": report.temporaryFiles,
                    "bytes_freed": report.bytes,
                ])
            } else {
                Console.out("removed \(report.records) action records, \(report.blobs) blobs and \(report.temporaryFiles) leftover temporary files; freed \(NumberText.bytes(report.bytes))")
            }
        }
    }
}

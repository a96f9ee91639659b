import ArgumentParser
import Foundation
import ReelBasics
import ReelEngine
import ReelManifest

extension ReelCommand {
    /// `reel validate`: checks manifests without building anything.
    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "validate", abstract: "Check manifests and print every problem as file:line:col: error: message.",
            discussion: """
                Parses each manifest, applies its quality preset, expands its asset globs and checks every path, pair and \
                model setting, and decodes every image completely (each content once: good images are remembered in \
                the cache when the project has one). Nothing is built.

                Examples:
                  reel validate
                  reel validate manifests/*/reel.yaml
                  reel validate campaign.yaml --json
                  reel validate --list-assets     # the id each file gets (use it in select.pairs)
                """)

        @Argument(help: "Manifests to check, or quoted globs such as 'campaigns/**/reel.yaml'.")
        var manifests: [String] = ["reel.yaml"]

        @Flag(help: "Print one JSON object with every diagnostic.")
        var json = false

        @Flag(name: .shortAndLong, help: "Print only errors.")
        var quiet = false

        @Flag(name: .customLong("list-assets"), help: "List each asset's id (as derived from its file name) and path.")
        var listAssets = false

        /// `$REEL_CACHE_DIR` when set; the project default otherwise.
        private func cacheRoot(_ variables: [String: String]) -> AbsolutePath? {
            guard let value = variables["REEL_CACHE_DIR"], !value.isEmpty else { return nil }
            return AbsolutePath(value, relativeTo: AbsolutePath.currentDirectory)
        }

        func run() async throws {
            let environment = BuildEnvironment.live()
            let loader = ManifestLoader(fileSystem: environment.fileSystem, environment: environment.variables)
            var all: [Diagnostic] = []
            var failed = false
            var listed: [[String: Any]] = []
            let refs: [BuildRequest.ManifestRef]
            do {
                refs = try ManifestSelection.expand(manifests, fileSystem: environment.fileSystem)
            } catch {
                Console.err("error: \(error)")
                throw ExitCode.failure
            }
            for ref in refs {
                let manifest = ref.display
                let path = ref.path
                var (campaign, diagnostics) = loader.load(path, displayPath: manifest)
                if let loaded = campaign, !diagnostics.contains(where: { $0.severity == .error }) {
                    do {
                        diagnostics += try await AssetImageCheck.problems(
                            of: loaded, cacheRoot: cacheRoot(environment.variables), environment: environment)
                    } catch {
                        Console.err("error: \(error)")
                        throw ExitCode.failure
                    }
                    if diagnostics.contains(where: { $0.severity == .error }) { campaign = nil }
                }
                all += diagnostics
                if let campaign {
                    listed.append([
                        "manifest": manifest, "campaign": campaign.campaign.id,
                        "assets": campaign.assets.map { ["id": $0.id, "path": $0.projectRelativePath, "kind": $0.kind.rawValue] },
                    ])
                }
                let errors = diagnostics.filter { $0.severity == .error }
                if campaign == nil || !errors.isEmpty { failed = true }
                guard !json else { continue }
                Console.print(quiet ? errors : diagnostics)
                if errors.isEmpty, let campaign, !quiet {
                    let images = campaign.assets.filter { $0.kind == .image }.count
                    Console.out("\(manifest): ok (campaign '\(campaign.campaign.id)', \(campaign.assets.count) assets, \(images) images, quality \(campaign.quality.rawValue))")
                    if listAssets {
                        let width = campaign.assets.map(\.id.count).max() ?? 0
                        for asset in campaign.assets {
                            Console.out("  \(asset.id.padding(toLength: width, withPad: " ", startingAt: 0))  \(asset.projectRelativePath)  (\(asset.kind.rawValue))")
                        }
                    }
                } else if !errors.isEmpty {
                    Console.err("\(manifest): \(errors.count) error\(errors.count == 1 ? "" : "s")")
                }
            }
            if json {
                Console.json([
                    "valid": !failed,
                    "manifests": listed,
                    "diagnostics": all.map { diagnostic -> [String: Any] in
                        var entry: [String: Any] = ["severity": diagnostic.severity.rawValue, "message": diagnostic.message]
                        if let location = diagnostic.location {
                            entry["file"] = location.file
                            entry["line"] = location.line
                            entry["column"] = location.column
                        }
                        return entry
                    },
                ])
            }
            if failed { throw ExitCode.failure }
        }
    }
}

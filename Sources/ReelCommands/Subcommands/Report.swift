import ArgumentParser
import Foundation
import ReelBasics
import ReelEngine
import ReelGraph
import ReelManifest

extension ReelCommand {
    /// `reel report`: the HTML storyboard of what the cache holds for a campaign.
    struct Report: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "report", abstract: "Write the HTML storyboard of the campaign's last build and print the path of its index.html.",
            discussion: """
                Writes <output>.report/ beside the video: index.html with the final video, every pair's images, score, reasoning, clip, model, cost, cache state and timings, plus a poster frame and a contact sheet.

                The folder is self-contained (relative paths, no network): zip it or copy it anywhere. `reel build` writes it too. Changes nothing else and spends nothing; clips not built yet are shown as such.

                Examples:
                  reel report manifests/demo/reel.yaml
                  reel report manifests/demo/reel.yaml --open
                  xdg-open "$(reel report campaign.yaml)"
                  reel report campaign.yaml --json | jq -r .index
                """)

        @OptionGroup var manifestOptions: ManifestOptions
        @OptionGroup var output: OutputOptions

        @Flag(help: "Open the report in the default browser afterwards.")
        var open = false

        /// For `scripts/bench`: makes only the storyboard's pictures of a video (poster, contact sheet).
        @Option(name: .customLong("pictures-of"), help: .hidden)
        var picturesOf: String?

        @Option(name: .customLong("pictures-into"), help: .hidden)
        var picturesInto: String = "."

        func run() async throws {
            let environment = BuildEnvironment.live()
            if let picturesOf {
                do {
                    try await ReportWriter.videoPictures(
                        of: AbsolutePath(picturesOf, relativeTo: AbsolutePath.currentDirectory),
                        into: AbsolutePath(picturesInto, relativeTo: AbsolutePath.currentDirectory),
                        runner: environment.runner, fileSystem: environment.fileSystem)
                } catch {
                    Console.err("error: \(error)")
                    throw ExitCode.failure
                }
                return
            }
            let refs: [BuildRequest.ManifestRef]
            do {
                refs = try manifestOptions.manifestRefs()
            } catch {
                throw CommandSupport.fail(error)
            }
            var written: [[String: Any]] = []
            for ref in refs {
                let (_, workspace, plan) = try await CommandSupport.plan(ref, options: manifestOptions, environment: environment, quiet: output.json || output.quiet)
                let data = await ReportData.make(plan, workspace: workspace, now: environment.now())
                    .withTakes(selection: plan.selection, workspace: workspace)
                let index: AbsolutePath
                do {
                    index = try await ReportWriter(
                        runner: environment.runner, fileSystem: environment.fileSystem,
                        stateFile: ReportWriter.stateFile(for: data.directory, in: workspace.store.layout),
                        assetDigests: workspace.assetDigests
                    ).write(data)
                } catch {
                    Console.err("error: \(error)")
                    throw ExitCode.failure
                }
                written.append([
                    "index": index.pathString, "directory": data.directory.pathString, "video": data.video != nil,
                    "pairs": data.pairs.count, "stale": data.pairs.filter { $0.state == "stale" }.count,
                ])
                if !output.json {
                    if !output.quiet && data.video == nil {
                        Console.err("note: there is no final video yet; the report shows what exists. Run `reel build \(ref.display)` first.")
                    }
                    Console.out(index.pathString)
                }
                if open { await Self.openInBrowser(index, runner: environment.runner) }
            }
            if output.json {
                Console.json(written.count == 1 ? written[0] : ["reports": written] as [String: Any])
            }
        }

        /// Opens `index` with the desktop's opener; a failure is only a warning.
        static func openInBrowser(_ index: AbsolutePath, runner: any ProcessRunner) async {
            #if os(macOS)
            let opener = "open"
            #else
            let opener = "xdg-open"
            #endif
            do {
                _ = try await runner.checkedRun(ProcessSpec(opener, [index.pathString]))
            } catch {
                Console.err("warning: could not open the report with \(opener): \(error); open \(index.pathString) in a browser yourself")
            }
        }
    }
}

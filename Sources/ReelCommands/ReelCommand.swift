import ArgumentParser
import Foundation

/// `reel`: the root command.
public struct ReelCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "reel",
        abstract: "Build AI video campaigns from a YAML manifest, like make: cached, incremental, within budget.",
        discussion: """
            Reel plans a graph (select image pairs -> generate a clip per pair -> combine), keeps every result in a \
            content-addressed cache, and rebuilds only what is stale.

            Examples:
              reel init campaigns/spring
              reel validate manifests/demo/reel.yaml
              reel plan manifests/demo/reel.yaml
              reel build manifests/demo/reel.yaml --jobs 2
              reel build manifests/demo/reel.yaml --json | tail -n 1

            Exit codes: 0 success, 1 build or manifest failure, 64 usage error, 130 interrupted.
            """,
        version: ReelVersion.current,
        subcommands: [Init.self, Validate.self, Plan.self, Build.self, Graph.self, Explain.self, Reroll.self, Pick.self, Cache.self, Clean.self, Spend.self, Status.self, Report.self, LedgerBench.self]
    )

    public init() {}
}

/// Reel's version.
public enum ReelVersion {
    public static let current = "0.1.0"
}

/// The process entry point, so the executable target needs no other imports.
public enum ReelMain {
    public static func main() async {
        await ReelCommand.main()
    }
}

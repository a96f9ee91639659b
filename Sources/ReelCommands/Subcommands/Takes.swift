import ArgumentParser
import Foundation
import ReelBasics
import ReelEngine
import ReelGraph
import ReelManifest

extension ReelCommand {
    /// `reel reroll generate/3`: a new take of one clip, built (and paid for) like any other node.
    struct Reroll: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reroll", abstract: "Generate a new take of one clip, keeping the old ones in the cache.",
            discussion: """
                The take number is part of the clip's key (take 1 is the key the clip always had), so every take stays in \
                the cache. The new take goes through the plan, the budget caps and the ledger like any other clip; the \
                lockfile records it as the chosen take and the video is combined again. `reel pick` goes back for $0.

                Examples:
                  reel reroll generate/3
                  reel reroll generate/3 manifests/demo/reel.yaml --max-usd 2
                  reel reroll --variant fast generate/3     # a campaign with variants: that variant's clip
                """)

        @Argument(help: "The clip: generate/<n> (or campaign:generate/<n>, generate/<n>@<variant>).")
        var node: String

        @Option(help: "The variant whose clip it is (same as writing generate/<n>@<variant>).")
        var variant: String?

        @OptionGroup var manifestOptions: ManifestOptions
        @OptionGroup var output: OutputOptions

        @Option(name: .customLong("max-usd"), help: "A further spending cap for this run, in US dollars.")
        var maxUSD: Double?

        @Option(name: .customLong("allow-host"), help: "Let credentials go to this host[:port] named in the manifest's base_url (repeatable).")
        var allowHosts: [String] = []

        @Flag(name: .customLong("dry-run"), help: "Show what would run and its estimated cost (as reel plan does); spend nothing.")
        var dryRun = false

        func validate() throws {
            if let maxUSD, maxUSD < 0 || !maxUSD.isFinite { throw ValidationError("--max-usd must be a non-negative amount") }
        }

        func run() async throws {
            if dryRun {
                try await TakeBuild.dryRun(.reroll(try TakeBuild.clip(node, variant: variant)), manifestOptions: manifestOptions, output: output)
                return
            }
            try await TakeBuild.run(
                .reroll(try TakeBuild.clip(node, variant: variant)), manifestOptions: manifestOptions, output: output, maxUSD: maxUSD, allowHosts: allowHosts)
        }
    }

    /// `reel pick generate/3 --take 1`: go back to a take already in the cache, for $0.
    struct Pick: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "pick", abstract: "Choose an earlier take of one clip (from the cache, for $0).",
            discussion: """
                Changes the lockfile's take for the clip and combines the video again. Refuses, spending nothing, when that \
                take is not in the cache.

                Example:
                  reel pick generate/3 --take 1
                """)

        @Argument(help: "The clip: generate/<n> (or campaign:generate/<n>, generate/<n>@<variant>).")
        var node: String

        @Option(help: "The variant whose clip it is (same as writing generate/<n>@<variant>).")
        var variant: String?

        @Option(help: "The take to use (1 is the first).")
        var take: Int

        @OptionGroup var manifestOptions: ManifestOptions
        @OptionGroup var output: OutputOptions

        func validate() throws {
            if take < 1 { throw ValidationError("--take must be at least 1") }
        }

        func run() async throws {
            try await TakeBuild.run(.pick(try TakeBuild.clip(node, variant: variant), take: take), manifestOptions: manifestOptions, output: output, maxUSD: nil, allowHosts: [])
        }
    }
}

/// The build behind `reroll` and `pick`: one manifest, the take request, the usual rendering.
enum TakeBuild {
    /// The clip's id with `--variant` applied: `generate/3` + `fast` → `generate/3@fast`.
    static func clip(_ node: String, variant: String?) throws -> String {
        guard let variant else { return node }
        let id = NodeID(parsing: node)
        if !id.variant.isEmpty, id.variant != variant {
            throw ValidationError("\(node) names variant '\(id.variant)', but --variant says '\(variant)'; give one")
        }
        let clip = id.inVariant(variant)
        return clip.qualified
    }

    /// `reel reroll --dry-run`: the stale nodes of the plan with the new take, and their cost.
    static func dryRun(_ take: TakeRequest, manifestOptions: ManifestOptions, output: OutputOptions) async throws {
        let printer = ProgressPrinter(json: output.json, quiet: output.quiet, verbose: output.verbose, qualified: false)
        let quiet = output.quiet
        let plans: [(campaign: ResolvedCampaign, plan: ReelGraph.Plan)]
        do {
            plans = try await BuildService(environment: .live()).planTake(
                take, manifests: try manifestOptions.manifestRefs(), overrides: manifestOptions.overrides,
                events: { CommandSupport.render($0, quiet: quiet, printer: printer) })
        } catch {
            throw CommandSupport.fail(error)
        }
        for (campaign, plan) in plans {
            let stale = plan.staleNodes
            if output.json {
                Console.json([
                    "campaign": campaign.campaign.id, "estimated_usd": (plan.estimatedUSD * 10_000).rounded() / 10_000,
                    "nodes": stale.map { ["id": $0.id.rawValue, "reason": $0.reason.description, "estimated_usd": $0.estimatedUSD] as [String: Any] },
                ])
            } else {
                for node in stale { Console.out("\(node.id.rawValue)  \(usd(node.estimatedUSD))  \(node.reason)") }
                Console.out("\(campaign.campaign.id): would spend ~\(usd(plan.estimatedUSD)) (estimate)")
            }
        }
    }

    static func run(
        _ take: TakeRequest, manifestOptions: ManifestOptions, output: OutputOptions, maxUSD: Double?, allowHosts: [String]
    ) async throws {
        let environment = BuildEnvironment.live()
        let manifests: [BuildRequest.ManifestRef]
        do {
            manifests = try manifestOptions.manifestRefs()
        } catch {
            throw CommandSupport.fail(error)
        }
        let printer = ProgressPrinter(json: output.json, quiet: output.quiet, verbose: output.verbose, qualified: manifests.count > 1)
        let request = {
            var request = BuildRequest(manifests: manifests, paths: manifestOptions.overrides, maxUSD: maxUSD, allowedHosts: allowHosts)
            request.take = take
            return request
        }()
        let quiet = output.quiet
        let result = try await CommandSupport.runBuild(request, environment: environment, quiet: quiet, printer: printer)
        for build in result.campaigns { printer.summary(build.result, campaign: build.campaign) }
        if result.interrupted { throw ExitCode(130) }
        if !result.succeeded { throw ExitCode.failure }
    }
}

import ArgumentParser
import Foundation
import ReelBasics
import ReelEngine
import ReelGraph
import ReelManifest

/// Loading shared by the commands: manifest → resolved campaign → workspace.
enum CommandSupport {
    /// Loads and resolves the manifest, printing diagnostics; throws exit 1 on errors.
    static func loadCampaign(_ options: ManifestOptions, environment: BuildEnvironment, quiet: Bool = false) throws -> ResolvedCampaign {
        let loader = ManifestLoader(fileSystem: environment.fileSystem, environment: environment.variables)
        let (campaign, diagnostics) = loader.load(options.manifestPath, displayPath: options.manifest)
        let shown = quiet ? diagnostics.filter { $0.severity == .error } : diagnostics
        Console.print(shown)
        guard let campaign, !diagnostics.contains(where: { $0.severity == .error }) else {
            let count = diagnostics.filter { $0.severity == .error }.count
            Console.err("\(options.manifest): \(count) error\(count == 1 ? "" : "s")")
            throw ExitCode.failure
        }
        return campaign
    }

    /// Opens the workspace, turning setup failures into one clear error and exit 1.
    static func openWorkspace(_ campaign: ResolvedCampaign, options: ManifestOptions, environment: BuildEnvironment) async throws -> Workspace {
        if let root = options.cacheRoot(environment: environment.variables), let problem = OutputConflicts.problem(
            output: campaign.output, manifestPath: campaign.manifestPath, lockfilePath: campaign.lockfilePath, assets: [],
            protectedFolders: [(root, "the cache")], projectRoot: campaign.projectRoot)
        {
            throw reportManifestErrors([.error(problem, at: campaign.manifest.locations["output.path"])], manifest: options.manifest)
        }
        do {
            return try await Workspace.open(campaign, cacheRoot: options.cacheRoot(environment: environment.variables), environment: environment)
        } catch let problems as AssetProblems {
            throw reportManifestErrors(problems.diagnostics, manifest: options.manifest)
        } catch {
            Console.err("error: \(error)")
            throw ExitCode.failure
        }
    }

    /// Prints manifest errors found after loading and the count line; the exit code to throw.
    static func reportManifestErrors(_ diagnostics: [Diagnostic], manifest: String) -> ExitCode {
        Console.print(diagnostics)
        let count = diagnostics.filter { $0.severity == .error }.count
        Console.err("\(manifest): \(count) error\(count == 1 ? "" : "s")")
        return ExitCode.failure
    }

    /// Loads the manifest, opens its workspace and plans: what `plan`, `graph`, `explain` and
    /// `report` all start with. The stat cache is saved afterwards.
    static func plan(
        _ options: ManifestOptions, environment: BuildEnvironment, quiet: Bool
    ) async throws -> (campaign: ResolvedCampaign, workspace: Workspace, plan: ReelGraph.Plan) {
        let campaign = try loadCampaign(options, environment: environment, quiet: quiet)
        let workspace = try await openWorkspace(campaign, options: options, environment: environment)
        let plan = workspace.plan()
        workspace.store.flush()
        return (campaign, workspace, plan)
    }
}

extension CommandSupport {
    /// Usage error (exit 64) when a node id given on the command line (`--force`) is not in the
    /// plan. Before the selection is known, any `generate/<n>` is accepted: its pairs are not yet chosen.
    static func requireKnownNodes(_ ids: [String], in plan: ReelGraph.Plan, flag: String) throws {
        for id in ids where plan.node(NodeID(id)) == nil {
            if plan.selection == nil, id.hasPrefix("generate/") { continue }
            Console.err("error: \(flag) \(id): no such node in this campaign (nodes: \(describeNodes(plan)))")
            throw ExitCode(64)
        }
    }

    /// The plan's node ids, with runs of `generate/<n>` and `features/…` shortened.
    static func describeNodes(_ plan: ReelGraph.Plan) -> String {
        var parts: [String] = []
        let features = plan.nodes.filter { $0.id.kind == .features }.map(\.id.rawValue)
        let generates = plan.nodes.filter { $0.id.kind == .generate }.map(\.id.rawValue)
        if features.count > 3 { parts.append("\(features[0]) … \(features[features.count - 1]) (\(features.count) features nodes)") } else { parts += features }
        if plan.nodes.contains(where: { $0.id.kind == .select }) { parts.append("select") }
        if generates.count > 3 { parts.append("\(generates[0]) … \(generates[generates.count - 1])") } else { parts += generates }
        if plan.nodes.contains(where: { $0.id.kind == .combine }) { parts.append("combine") }
        return parts.joined(separator: ", ")
    }
}

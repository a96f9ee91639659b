import ArgumentParser
import Foundation
import ReelBasics
import ReelEngine
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
        do {
            return try await Workspace.open(campaign, cacheRoot: options.cacheRoot(environment: environment.variables), environment: environment)
        } catch {
            Console.err("error: \(error)")
            throw ExitCode.failure
        }
    }
}

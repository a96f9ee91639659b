import ArgumentParser
import Foundation
import ReelBasics
import ReelEngine
import ReelGraph
import ReelManifest

/// What the commands share: the build service, and rendering its events and refusals.
enum CommandSupport {
    /// The manifest the user named.
    static func manifestRef(_ options: ManifestOptions) -> BuildRequest.ManifestRef {
        BuildRequest.ManifestRef(path: options.manifestPath, display: options.manifest)
    }

    /// Renders service events: diagnostics (only errors when `quiet`), warnings and build progress.
    /// The storyboard's location is the caller's to print (after the summary).
    static func render(_ event: ServiceEvent, quiet: Bool, printer: ProgressPrinter? = nil) {
        switch event {
        case .diagnostics(let diagnostics):
            Console.print(quiet ? diagnostics.filter { $0.severity == .error } : diagnostics)
        case .warning(let message):
            Console.err("warning: \(message)")
        case .build(let event):
            printer?.handle(event)
        case .storyboard(let path, let seconds):
            printer?.storyboard(path, seconds: seconds)
        }
    }

    /// Runs `request` through the build service (with the shared-ledger connector), rendering its
    /// events; Ctrl-C cancels it. A refusal is printed and thrown as its exit code.
    static func runBuild(
        _ request: BuildRequest, environment: BuildEnvironment, quiet: Bool, printer: ProgressPrinter,
        onEvent: @escaping @Sendable (ServiceEvent) -> Void = { _ in }
    ) async throws -> ServiceResult {
        let service = BuildService(environment: environment, connector: PostgresConnector())
        let outcome: Result<ServiceResult, any Error> = await InterruptHandler.run {
            do {
                return .success(try await service.build(request) { event in
                    onEvent(event)
                    render(event, quiet: quiet, printer: printer)
                })
            } catch {
                return .failure(error)
            }
        }
        switch outcome {
        case .success(let value): return value
        case .failure(let error): throw fail(error)
        }
    }

    /// Prints a refusal; the exit code to throw (64 for a usage error, else 1).
    static func fail(_ error: any Error) -> ExitCode {
        switch error {
        case BuildServiceError.invalidManifest:
            Console.err("\(error)")
        case BuildServiceError.unknownNode:
            Console.err("error: \(error)")
            return ExitCode(64)
        default:
            Console.err("error: \(error)")
        }
        return ExitCode.failure
    }

    /// Loads and resolves the manifest, printing diagnostics; throws exit 1 on errors.
    static func loadCampaign(_ options: ManifestOptions, environment: BuildEnvironment, quiet: Bool = false) throws -> ResolvedCampaign {
        do {
            return try BuildService(environment: environment).load(manifestRef(options)) { render($0, quiet: quiet) }
        } catch {
            throw fail(error)
        }
    }

    /// Loads the manifest, opens its workspace and plans: what `plan`, `graph`, `explain` and
    /// `report` all start with. The stat cache is saved afterwards.
    static func plan(
        _ options: ManifestOptions, environment: BuildEnvironment, quiet: Bool
    ) async throws -> (campaign: ResolvedCampaign, workspace: Workspace, plan: ReelGraph.Plan) {
        do {
            return try await BuildService(environment: environment).plan(manifestRef(options), overrides: options.overrides) { render($0, quiet: quiet) }
        } catch {
            throw fail(error)
        }
    }

    /// The same for one manifest of several.
    static func plan(
        _ ref: BuildRequest.ManifestRef, options: ManifestOptions, environment: BuildEnvironment, quiet: Bool
    ) async throws -> (campaign: ResolvedCampaign, workspace: Workspace, plan: ReelGraph.Plan) {
        do {
            return try await BuildService(environment: environment).plan(ref, overrides: options.overrides) { render($0, quiet: quiet) }
        } catch {
            throw fail(error)
        }
    }

    /// The project's paths for a loaded campaign.
    static func paths(_ campaign: ResolvedCampaign, options: ManifestOptions, environment: BuildEnvironment) -> ProjectPaths {
        BuildService(environment: environment).paths(for: campaign, overrides: options.overrides)
    }
}

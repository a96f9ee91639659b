import Foundation
import ReelBasics
import ReelGraph
import ReelLedger
import ReelManifest
import ReelProviders

/// The build as a library service: a `BuildRequest` in, a stream of `ServiceEvent`s and a
/// `ServiceResult` out. It owns loading, planning, the frozen and budget policies, credentials,
/// execution, materialising, the lockfile and the storyboard; commands only parse arguments and
/// render events. Every campaign of a request is loaded and planned, and every policy checked,
/// before anything is built, so a refusal never comes after money was spent on another campaign.
public struct BuildService: Sendable {
    public let environment: BuildEnvironment
    /// HTTP for the provider clients (tests may substitute one).
    public let transport: any HTTPTransport
    /// Opens a shared ledger database (`--ledger postgres://…`, `REEL_LEDGER_URL`); without one,
    /// such a setting is refused before anything is spent.
    public let connector: (any SharedStateConnector)?

    public init(environment: BuildEnvironment, transport: any HTTPTransport = URLSessionTransport(), connector: (any SharedStateConnector)? = nil) {
        self.environment = environment
        self.transport = transport
        self.connector = connector
    }

    // MARK: Loading and planning (every command)

    /// Loads and resolves a manifest, reporting its diagnostics.
    /// - Throws: `BuildServiceError.invalidManifest` when it has errors.
    public func load(_ manifest: BuildRequest.ManifestRef, events: ServiceEventSink) throws -> ResolvedCampaign {
        let loader = ManifestLoader(fileSystem: environment.fileSystem, environment: environment.variables)
        let (campaign, diagnostics) = loader.load(manifest.path, displayPath: manifest.display)
        if !diagnostics.isEmpty { events(.diagnostics(diagnostics)) }
        let errors = diagnostics.filter { $0.severity == .error }.count
        guard let campaign, errors == 0 else { throw BuildServiceError.invalidManifest(display: manifest.display, errors: max(1, errors)) }
        return campaign
    }

    /// Where a campaign's project keeps its cache and ledger.
    public func paths(for campaign: ResolvedCampaign, overrides: ProjectPaths.Overrides) -> ProjectPaths {
        ProjectPaths.resolve(from: campaign.manifestPath.parent, overrides: overrides, environment: environment)
    }

    /// Opens a campaign's workspace (cache, asset digests, ffmpeg identity, lockfile).
    /// - Throws: `BuildServiceError.setup` naming what failed.
    public func open(_ campaign: ResolvedCampaign, overrides: ProjectPaths.Overrides) async throws -> Workspace {
        do {
            return try await Workspace.open(campaign, cacheRoot: paths(for: campaign, overrides: overrides).cache, environment: environment)
        } catch {
            throw BuildServiceError.setup("\(error)")
        }
    }

    /// Loads, opens and plans one manifest: what `plan`, `graph`, `explain` and `report` start with.
    public func plan(
        _ manifest: BuildRequest.ManifestRef, overrides: ProjectPaths.Overrides, events: ServiceEventSink
    ) async throws -> (campaign: ResolvedCampaign, workspace: Workspace, plan: Plan) {
        let campaign = try load(manifest, events: events)
        let workspace = try await open(campaign, overrides: overrides)
        let plan = await workspace.plan()
        workspace.store.flush()
        return (campaign, workspace, plan)
    }

    // MARK: Building

    /// Builds every manifest of `request`. Node failures are in the result; a refusal before
    /// anything runs (invalid manifest, frozen, budget, credentials) is thrown.
    public func build(_ request: BuildRequest, events: @escaping ServiceEventSink) async throws -> ServiceResult {
        var prepared: [Prepared] = []
        for manifest in request.manifests {
            let campaign = try load(manifest, events: events)
            let workspace = try await open(campaign, overrides: request.paths)
            prepared.append(Prepared(campaign: campaign, workspace: workspace, plan: Plan(nodes: [], selection: nil)))
        }
        let forced = try await resolveForced(request.forced, in: prepared)
        for index in prepared.indices {
            prepared[index].plan = await prepared[index].workspace.plan(forced: forced, forceAll: request.forceAll)
        }
        if request.frozen {
            let problems = prepared.flatMap { FrozenPolicy.problems($0.plan, workspace: $0.workspace) }
            if !problems.isEmpty { throw BuildServiceError.frozen(problems) }
        }
        for index in prepared.indices {
            try await setUpProviders(&prepared[index], request: request, events: events)
        }

        var builds: [CampaignBuild] = []
        for item in prepared {
            let options = BuildOptions(jobs: request.jobs, keepGoing: request.keepGoing, forced: forced, forceAll: request.forceAll, frozen: request.frozen)
            let engine = BuildEngine(
                workspace: item.workspace, executors: item.executors, options: options, spend: item.spend, coordination: item.coordination,
                events: { events(.build($0)) })
            let result = await engine.run(plan: item.plan)
            if !result.interrupted && request.storyboard { await writeStoryboard(result, workspace: item.workspace, events: events) }
            builds.append(CampaignBuild(campaign: item.campaign, workspace: item.workspace, plan: item.plan, result: result))
            if result.interrupted || (!result.succeeded && !request.keepGoing) { break }
        }
        return ServiceResult(campaigns: builds)
    }

    /// A campaign on its way to being built.
    struct Prepared {
        var campaign: ResolvedCampaign
        var workspace: Workspace
        var plan: Plan
        var executors = ExecutorSet()
        var spend: SpendGate?
        /// The shared journal and claims, when the ledger is a database and the build can spend.
        var coordination: Coordination?
    }

    /// The command line's node ids, each of which must name a node of the build.
    func resolveForced(_ ids: [String], in prepared: [Prepared]) async throws -> Set<NodeID> {
        guard !ids.isEmpty else { return [] }
        // Node ids are known only from a plan (generate nodes depend on the selection).
        var known: [NodeID] = []
        for item in prepared { known += await item.workspace.plan().nodes.map(\.id) }
        var forced: Set<NodeID> = []
        for text in ids {
            let id = NodeID(parsing: text)
            let matches = known.filter { id.matches($0) }
            guard !matches.isEmpty else {
                throw BuildServiceError.unknownNode(text, known: known.map { prepared.count > 1 ? $0.qualified : $0.rawValue })
            }
            forced.formUnion(matches)
        }
        return forced
    }

    /// Credentials and the ledger gate, checked before anything is spent.
    func setUpProviders(_ item: inout Prepared, request: BuildRequest, events: @escaping ServiceEventSink) async throws {
        do {
            item.executors = try ProviderSetup.executors(
                for: item.plan, campaign: item.campaign, environment: environment,
                options: .from(environment: environment.variables, cancelOnInterrupt: request.cancelOnInterrupt), transport: transport)
            var coordination: Coordination?
            item.spend = try await BudgetPolicy.gate(
                for: item.plan, campaign: item.campaign,
                openLedger: {
                    switch paths(for: item.campaign, overrides: request.paths).ledgerLocation {
                    case .file(let path):
                        return try Ledger(path: path)
                    case .database(let url, let setting):
                        let shared = try await openShared(url: url, setting: setting, events: events)
                        coordination = shared.coordination
                        return shared.ledger
                    }
                },
                maxUSD: request.maxUSD, keepGoing: request.keepGoing, warn: { events(.warning($0)) })
            item.coordination = coordination
        } catch let refusal as BudgetRefusal {
            throw BuildServiceError.budget(refusal)
        } catch {
            throw BuildServiceError.setup("\(error)")
        }
    }

    /// Opens the shared database named by `setting`.
    func openShared(url: String, setting: String, events: @escaping ServiceEventSink) async throws -> SharedState {
        guard let connector else {
            throw BuildServiceError.setup("\(setting) names a shared ledger database, but this build of Reel cannot open one; nothing was spent")
        }
        return try await connector.connect(url: url, setting: setting, environment: environment, note: { events(.warning($0)) })
    }

    /// Writes the HTML storyboard after every build (also for failed builds: it shows what exists).
    func writeStoryboard(_ result: BuildResult, workspace: Workspace, events: ServiceEventSink) async {
        // Nothing changed and the storyboard exists: it already shows this build.
        let index = ReportData.directory(for: workspace.campaign).appending("index.html")
        if result.succeeded, result.count(.built) == 0, !result.lockfileChanged, environment.fileSystem.exists(index) { return }
        do {
            let data = ReportData.make(result, workspace: workspace, now: environment.now())
            events(.storyboard(try await ReportWriter(runner: environment.runner, fileSystem: environment.fileSystem).write(data)))
        } catch {
            events(.warning("could not write the storyboard: \(error)"))
        }
    }
}

import Foundation
import ReelBasics
import ReelGraph
import ReelLedger
import ReelManifest
import ReelProviders
import ReelRemoteCache

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

    /// Opens a campaign's workspace (cache, asset digests, image checks, ffmpeg identity, lockfile).
    /// With a remote cache configured (`REEL_REMOTE_CACHE` / `--remote-cache`), it is the local
    /// cache's second tier; nothing is sent to it until a node misses locally.
    /// - Throws: `BuildServiceError.invalidManifest` (reported as diagnostics) when the output would
    ///   overlap the cache or an image does not decode; `BuildServiceError.setup` naming what failed.
    public func open(_ campaign: ResolvedCampaign, overrides: ProjectPaths.Overrides, events: @escaping ServiceEventSink) async throws -> Workspace {
        let display = campaign.manifestPath.relative(to: AbsolutePath.currentDirectory)
        let cache = paths(for: campaign, overrides: overrides).cache
        // Every video it renders (one per variant with `variants:`).
        for lane in campaign.lanes {
            if let problem = OutputConflicts.problem(
                output: lane.output, manifestPath: campaign.manifestPath, lockfilePath: campaign.lockfilePath, assets: [],
                protectedFolders: [(cache, "the cache")], projectRoot: campaign.projectRoot)
            {
                events(.diagnostics([.error(problem, at: campaign.manifest.locations["output.path"] ?? lane.location)]))
                throw BuildServiceError.invalidManifest(display: display, errors: 1)
            }
        }
        do {
            let remote = try RemoteCacheConfiguration.from(environment: environment.variables, flags: overrides.remote).map(RemoteTier.init)
            let workspace = try await Workspace.open(campaign, cacheRoot: cache, environment: environment, remote: remote)
            workspace.store.remote?.report(to: { events(.warning($0)) })
            return workspace
        } catch let problems as AssetProblems {
            events(.diagnostics(problems.diagnostics))
            throw BuildServiceError.invalidManifest(display: display, errors: problems.diagnostics.filter { $0.severity == .error }.count)
        } catch {
            throw BuildServiceError.setup("\(error)")
        }
    }

    /// Loads, opens and plans one manifest: what `plan`, `graph`, `explain` and `report` start with.
    public func plan(
        _ manifest: BuildRequest.ManifestRef, overrides: ProjectPaths.Overrides, events: @escaping ServiceEventSink
    ) async throws -> (campaign: ResolvedCampaign, workspace: Workspace, plan: Plan) {
        let campaign = try load(manifest, events: events)
        let workspace = try await open(campaign, overrides: overrides, events: events)
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
            let workspace = try await open(campaign, overrides: request.paths, events: events)
            if let problem = workspace.takesProblem { throw BuildServiceError.setup(problem) }
            prepared.append(Prepared(campaign: campaign, workspace: try BuildService.choosingVariants(request.variants, in: workspace), plan: Plan(nodes: [], selection: nil)))
        }
        if let take = request.take { try await applyTake(take, to: &prepared) }
        let forced = try await resolveForced(request.forced, in: prepared)
        for index in prepared.indices {
            let workspace = prepared[index].workspace
            prepared[index].plan = await workspace.plan(forced: forced, forceAll: request.forceAll)
            // Remote hits are downloaded now, so providers, budget and --frozen are checked against
            // what could really be had (a corrupt or lost remote blob makes its node stale).
            if await workspace.store.pullRemoteHits(of: prepared[index].plan) {
                prepared[index].plan = await workspace.plan(forced: forced, forceAll: request.forceAll)
            }
        }
        if case .pick = request.take {
            // Going back to a take is free: its clip is in the cache; only local work may run.
            let paid = prepared.flatMap { BuildService.paidStaleNodes($0, assignment: nil, batch: prepared.count > 1) }
            if !paid.isEmpty { throw BuildServiceError.take("reel pick would spend:\n" + paid.map { "  \($0)" }.joined(separator: "\n")) }
        }
        if request.noSpend {
            let assignment = request.shardCount.map { ShardAssignment(plans: prepared.map { ($0.plan, CostEstimator(registry: $0.workspace.registry)) }, count: $0) }
            let paid = prepared.flatMap { BuildService.paidStaleNodes($0, assignment: assignment, batch: prepared.count > 1) }
            if !paid.isEmpty { throw BuildServiceError.wouldSpend(paid) }
        }
        var clips = ClipScope.all
        if request.selectOnly {
            clips = .selectionOnly
        } else if let shard = request.shard {
            // Every shard deals the clips out from the same plans, so the selection must be known
            // first: chosen here when it is free (the local selector), else by a job before the shards.
            let unchosen = prepared.filter { $0.plan.selection == nil }
            let paidSelectors = unchosen.filter { ProviderSetup.needs($0.plan, campaign: $0.campaign).selector }
            if !paidSelectors.isEmpty { throw BuildServiceError.selectionFirst(paidSelectors.map(\.campaign.campaign.id)) }
            for index in prepared.indices where prepared[index].plan.selection == nil {
                let engine = BuildEngine(
                    workspace: prepared[index].workspace, executors: ExecutorSet(),
                    options: BuildOptions(jobs: request.jobs, keepGoing: request.keepGoing, clips: .selectionOnly), events: { events(.build($0)) })
                _ = await engine.run(plan: prepared[index].plan)
                prepared[index].plan = await prepared[index].workspace.plan(forced: forced, forceAll: request.forceAll)
            }
            clips = .shard(shard, ShardAssignment(plans: prepared.map { ($0.plan, CostEstimator(registry: $0.workspace.registry)) }, count: shard.count))
        }
        if request.frozen {
            let problems = prepared.flatMap { FrozenPolicy.problems($0.plan, workspace: $0.workspace) }
            if !problems.isEmpty { throw BuildServiceError.frozen(problems) }
        }
        // One throttle per provider and host for the whole batch: a 429 slows that provider down
        // for every campaign, not for each on its own.
        let throttles = Throttles()
        for index in prepared.indices {
            try await setUpProviders(&prepared[index], request: request, throttles: throttles, events: events)
        }

        // One scheduler for the whole batch: the campaigns run at once, sharing the cores for local
        // work and each provider's concurrency; a clip two campaigns share is built once (the
        // second waits on its node lock and then finds it cached).
        let scope = clips
        let shared = SharedRun(
            localSlots: request.jobs ?? ProcessInfo.processInfo.activeProcessorCount, providers: BuildService.providerLimits(prepared))
        let builds = await withTaskGroup(of: (Int, CampaignBuild).self) { group in
            for (index, item) in prepared.enumerated() {
                group.addTask {
                    let options = BuildOptions(
                        jobs: request.jobs, keepGoing: request.keepGoing, forced: forced, forceAll: request.forceAll, frozen: request.frozen,
                        shared: shared, clips: scope)
                    let engine = BuildEngine(
                        workspace: item.workspace, executors: item.executors, options: options, spend: item.spend,
                        coordination: item.coordination, events: { events(.build($0)) })
                    let started = ContinuousClock.now
                    let result = await engine.run(plan: item.plan)
                    if !result.completedItsPart && !result.interrupted { shared.stop() }
                    if !result.interrupted && request.storyboard && scope == .all {
                        await writeStoryboard(result, workspace: item.workspace, seconds: (ContinuousClock.now - started).inSeconds, events: events)
                    }
                    return (index, CampaignBuild(campaign: item.campaign, workspace: item.workspace, plan: item.plan, result: result))
                }
            }
            var collected: [(Int, CampaignBuild)] = []
            for await build in group { collected.append(build) }
            return collected.sorted { $0.0 < $1.0 }.map(\.1)
        }
        if builds.count > 1, request.storyboard, scope == .all, let first = builds.first {
            let index = BatchIndex.path(projectRoot: first.campaign.projectRoot)
            do {
                let started = ContinuousClock.now
                try BatchIndex(fileSystem: environment.fileSystem).write(builds, at: index)
                events(.storyboard(index, seconds: (ContinuousClock.now - started).inSeconds))
            } catch {
                events(.warning("could not write the index of storyboards: \(error)"))
            }
        }
        return ServiceResult(campaigns: builds)
    }

    /// `workspace` building only `names` (`--variant`; all when empty).
    /// - Throws: `BuildServiceError.setup` when a name is not one of the campaign's variants.
    public static func choosingVariants(_ names: [String], in workspace: Workspace) throws -> Workspace {
        guard !names.isEmpty else { return workspace }
        let campaign = workspace.campaign
        let known = campaign.variants.map(\.name)
        guard !known.isEmpty else {
            throw BuildServiceError.setup("--variant: \(campaign.campaign.id) has no variants (add 'variants:' to its manifest)")
        }
        for name in names where !known.contains(name) {
            throw BuildServiceError.setup(
                "--variant \(name): \(campaign.campaign.id) has no such variant\(DidYouMean.hint(for: name, among: known)) (variants: \(known.joined(separator: ", ")))")
        }
        var chosen = workspace
        chosen.onlyVariants = Set(names)
        return chosen
    }

    /// The stale nodes of a campaign that would call a paid provider, for `--no-spend`.
    static func paidStaleNodes(_ item: Prepared, assignment: ShardAssignment?, batch: Bool) -> [String] {
        let needs = ProviderSetup.needs(item.plan, campaign: item.campaign)
        return item.plan.staleNodes.compactMap { node in
            let paid = node.estimatedUSD > 0 || (node.kind == .select && needs.selector) || (node.kind == .generate && needs.generator)
            guard paid else { return nil }
            var line = "\(batch ? node.id.qualified : node.id.rawValue) (~\(usd(node.estimatedUSD))): \(node.reason)"
            if let assignment, let key = node.key, let owner = assignment.owner(of: key) {
                line += "; shard \(owner)/\(assignment.count) should have built it"
            }
            return line
        }
    }

    /// Each paid generation provider's concurrency across the batch: the largest any campaign
    /// asks for (each campaign still keeps to its own).
    static func providerLimits(_ prepared: [Prepared]) -> [String: Int] {
        var limits: [String: Int] = [:]
        for item in prepared {
            for generator in item.campaign.lanes.map(\.generator) {
                guard generator.kind != .local, let provider = generator.modelSpec?.provider else { continue }
                limits[provider] = max(limits[provider] ?? 1, generator.concurrency)
            }
        }
        return limits
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

    /// The command line's node ids, each of which must name a node of the build. Before the
    /// selection is known, any `generate/<n>` is accepted: its pairs are not chosen yet.
    func resolveForced(_ ids: [String], in prepared: [Prepared]) async throws -> Set<NodeID> {
        guard !ids.isEmpty else { return [] }
        // Node ids are known only from a plan (generate nodes depend on the selection).
        var plans: [Plan] = []
        for item in prepared { plans.append(await item.workspace.plan()) }
        let known = plans.flatMap { $0.nodes.map(\.id) }
        var forced: Set<NodeID> = []
        for text in ids {
            let id = NodeID(parsing: text)
            let matches = known.filter { id.matches($0) }
            if !matches.isEmpty {
                forced.formUnion(matches)
            } else if id.kind == .generate, plans.contains(where: { $0.selection == nil }) {
                forced.insert(id)
            } else {
                throw BuildServiceError.unknownNode(text, nodes: plans.map(BuildService.describeNodes).joined(separator: "; "))
            }
        }
        return forced
    }

    /// A plan's node ids, with long runs of `features/…` and `generate/<n>` shortened.
    public static func describeNodes(_ plan: Plan) -> String {
        var parts: [String] = []
        let features = plan.nodes.filter { $0.id.kind == .features }.map(\.id.rawValue)
        let generates = plan.nodes.filter { $0.id.kind == .generate }.map(\.id.rawValue)
        if features.count > 3 { parts.append("\(features[0]) … \(features[features.count - 1]) (\(features.count) features nodes)") } else { parts += features }
        if plan.nodes.contains(where: { $0.id.kind == .select }) { parts.append("select") }
        if generates.count > 3 { parts.append("\(generates[0]) … \(generates[generates.count - 1])") } else { parts += generates }
        if plan.nodes.contains(where: { $0.id.kind == .combine }) { parts.append("combine") }
        return parts.joined(separator: ", ")
    }

    /// Credentials and the ledger gate, checked before anything is spent.
    func setUpProviders(_ item: inout Prepared, request: BuildRequest, throttles: Throttles, events: @escaping ServiceEventSink) async throws {
        do {
            var options = ProviderSetup.Options.from(environment: environment.variables, cancelOnInterrupt: request.cancelOnInterrupt)
            options.allowedHosts = request.allowedHosts
            options.throttles = throttles
            item.executors = try ProviderSetup.executors(
                for: item.plan, campaign: item.campaign, environment: environment, options: options, transport: transport)
            var coordination: Coordination?
            let location = paths(for: item.campaign, overrides: request.paths).ledgerLocation
            var ledgerExists = false
            if case .file(let path) = location { ledgerExists = environment.fileSystem.exists(path) }
            item.spend = try await BudgetPolicy.gate(
                for: item.plan, campaign: item.campaign,
                openLedger: {
                    switch location {
                    case .file(let path):
                        return try Ledger(path: path)
                    case .database(let url, let setting):
                        let shared = try await openShared(url: url, setting: setting, events: events)
                        coordination = shared.coordination
                        return shared.ledger
                    }
                },
                ledgerExists: ledgerExists, maxUSD: request.maxUSD, keepGoing: request.keepGoing, actions: item.workspace.store.actions,
                warn: { events(.warning($0)) })
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

    /// Writes the HTML storyboard after every build (also for failed builds: it shows what exists),
    /// unless it already shows this build.
    func writeStoryboard(_ result: BuildResult, workspace: Workspace, seconds: Double, events: ServiceEventSink) async {
        do {
            let started = ContinuousClock.now
            if let written = try await Storyboard.afterBuild(result, workspace: workspace, seconds: seconds) {
                events(.storyboard(written, seconds: (ContinuousClock.now - started).inSeconds))
            }
        } catch {
            events(.warning("could not write the storyboard: \(error)"))
        }
    }

}

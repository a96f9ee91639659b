import Foundation
import ReelBasics
import ReelCache
import ReelGraph
import ReelLedger
import ReelManifest
import Synchronization

/// Options of one build.
public struct BuildOptions: Sendable {
    /// Most local nodes (ffmpeg) running at once; also caps remote ones when set explicitly.
    public var jobs: Int
    /// Whether `jobs` was given by the user (then it caps remote generation too).
    public var jobsExplicit: Bool
    /// Keep building independent nodes after a failure.
    public var keepGoing: Bool
    public var forced: Set<NodeID>
    public var forceAll: Bool
    /// Never write the lockfile (CI); report whether it would have changed.
    public var frozen: Bool
    /// Limits and the stop signal shared with the other campaigns of the same build.
    public var shared: SharedRun?
    /// Which clips this job builds (all; one shard's; none before selection is done).
    public var clips: ClipScope = .all

    public init(
        jobs: Int? = nil, keepGoing: Bool = false, forced: Set<NodeID> = [], forceAll: Bool = false, frozen: Bool = false,
        shared: SharedRun? = nil, clips: ClipScope = .all
    ) {
        self.frozen = frozen
        self.shared = shared
        self.clips = clips
        self.jobs = max(1, jobs ?? ProcessInfo.processInfo.activeProcessorCount)
        self.jobsExplicit = jobs != nil
        self.keepGoing = keepGoing
        self.forced = forced
        self.forceAll = forceAll
    }
}

/// Carries a campaign's graph out: stage by stage (features → select → generate → combine, the
/// graph's topological levels), each node taken from the cache when its key hits, otherwise run
/// under a per-node lock and recorded. Materialises the outputs and writes the lockfile.
public struct BuildEngine: Sendable {
    public let workspace: Workspace
    public let executors: ExecutorSet
    public let options: BuildOptions
    public let events: BuildEventSink
    /// The ledger gate for paid nodes; `nil` when nothing can cost money.
    public let spend: SpendGate?
    /// The shared journal and node claims (a database); `nil`: the cache's journal and `flock`s.
    public let coordination: Coordination?

    public init(
        workspace: Workspace, executors: ExecutorSet, options: BuildOptions, spend: SpendGate? = nil, coordination: Coordination? = nil,
        events: @escaping BuildEventSink
    ) {
        self.workspace = workspace
        self.executors = executors
        self.options = options
        self.spend = spend
        self.coordination = coordination
        self.events = events
    }

    /// Runs the build. Never throws: failures are node outcomes.
    /// - Parameter plan: the plan already made with the same options, if the caller has one.
    public func run(plan known: Plan? = nil) async -> BuildResult {
        let planner = workspace.planner(forced: options.forced, forceAll: options.forceAll)
        let plan: Plan
        if let known { plan = known } else { plan = await planner.plan() }
        let book = OutcomeBook(capacity: plan.nodes.count)
        events(.planned(total: plan.nodes.count, stale: plan.staleNodes.count))
        if let checked = workspace.imagesChecked { events(.imagesChecked(images: checked.images, seconds: checked.seconds)) }
        if let spend {
            do {
                try await SpendRecovery.settleRecorded(ledger: spend.ledger, campaign: spend.campaign, actions: workspace.store.actions, now: workspace.environment.now())
            } catch {
                events(.note("could not settle reservations left open by an earlier build: \(error)"))
            }
        }

        let walk = await GraphWalk(builder: workspace.builder).run(ExecutionDriver(engine: self, planner: planner, book: book), reusing: plan.clips)

        let materialiser = Materialiser(workspace: workspace)
        var lanes: [VariantResult] = []
        for lane in walk.lanes {
            let clipPaths = await materialiser.materialiseClips(
                lane.clipSpecs.map { ($0, book.outputDigest($0.id)) }, into: lane.variant.output.clipsDirectory
            ) { [events] in events(.note($0)) }
            var video: AbsolutePath?
            var placementError: String?
            let videoDigest = lane.combineSpec.flatMap { book.outputDigest($0.id) }
            if let videoDigest {
                do {
                    video = try await materialiser.materialiseVideo(videoDigest, at: lane.variant.output.path)
                } catch {
                    placementError = Materialiser.placementMessage(lane.variant.output.path, error: error, fileSystem: workspace.environment.fileSystem)
                }
            }
            lanes.append(VariantResult(
                name: lane.variant.name, video: video, videoDigest: videoDigest, clips: clipPaths, clipNodes: lane.clipSpecs.map(\.id),
                combineNode: lane.combineSpec?.id ?? workspace.builder.combineID(variant: lane.variant.name), placementError: placementError))
        }
        let first = lanes.first
        var result = BuildResult(
            nodes: book.all(), selection: walk.selection, video: first?.video, videoDigest: first?.videoDigest, clips: first?.clips ?? [],
            lockfileChanged: false, interrupted: Task.isCancelled)
        result.placementError = lanes.compactMap(\.placementError).first
        if !workspace.campaign.variants.isEmpty { result.variants = lanes }
        if result.succeeded {
            do {
                result.lockfileChanged = try LockfileWriter(workspace: workspace).write(result, dryRun: options.frozen)
            } catch {
                // Never reported as "unchanged": the build fails, saying why.
                result.lockfileError = "\(error)"
                events(.note("error: could not write the lockfile: \(error)"))
            }
        }
        workspace.store.flush()
        return result
    }

    /// How many nodes of `stage` run at once.
    func limit(for stage: NodeKind) -> Int {
        switch stage {
        case .features: return options.jobs
        case .select, .combine: return 1
        case .generate:
            // With variants, the most any of them asks for (each clip still goes through its provider's slots).
            let lanes = workspace.builder.lanes.map(\.generator)
            var generator = lanes.first ?? workspace.campaign.generator
            generator.concurrency = lanes.map(\.concurrency).max() ?? generator.concurrency
            // Local clips share the CPU with ffmpeg's own threads; remote ones wait on the provider's GPUs.
            return generator.kind == .local
                ? min(options.jobs, generator.concurrency)
                : (options.jobsExplicit ? min(options.jobs, generator.concurrency) : generator.concurrency)
        }
    }

    /// Runs `specs` with at most `limit` at once; stops launching after a failure unless
    /// `keepGoing`, and on cancellation.
    func runStage(_ specs: [NodeSpec], limit: Int, planner: Planner, book: OutcomeBook) async {
        await withTaskGroup(of: (NodeSpec, String?).self) { group in
            // With --keep-going, a node refused by a budget cap waits while others run: one that
            // fails frees its reservation, and the refused node is tried again in that headroom.
            var deferred: [(spec: NodeSpec, refusal: String)] = []
            var pending = specs[...]
            var running = 0
            func launch() {
                while running < limit, let spec = pending.popFirst() {
                    if let blocker = blockingDependency(spec, book: book) {
                        book.skip(id: spec.id, kind: spec.kind, label: spec.label, because: blocker, events: events)
                        continue
                    }
                    if Task.isCancelled {
                        book.skipInterrupted(spec, events: events)
                        continue
                    }
                    if book.hasFailure && !options.keepGoing, let failure = book.firstFailure {
                        book.skip(id: spec.id, kind: spec.kind, label: spec.label, because: failure, events: events)
                        continue
                    }
                    if !options.keepGoing, options.shared?.isStopped == true {
                        book.skipInterrupted(spec, because: "another campaign of this build failed", events: events)
                        continue
                    }
                    running += 1
                    group.addTask { (spec, await self.process(spec, planner: planner, book: book)) }
                }
            }
            launch()
            while let (spec, refusal) = await group.next() {
                running -= 1
                if let refusal {
                    deferred.append((spec, refusal))
                } else if !deferred.isEmpty {
                    pending = (deferred.map(\.spec) + pending)[...]
                    deferred = []
                }
                if book.hasFailure { options.shared?.stop() }
                launch()
            }
            for (spec, refusal) in deferred {
                book.fail(spec, message: "not started: \(refusal)", reason: await planner.assess(spec).reason, events: events)
            }
        }
    }

    private func blockingDependency(_ spec: NodeSpec, book: OutcomeBook) -> NodeID? {
        spec.dependencies.first { id in
            let state = book.state(id)
            return state == .failed || state == .skipped
        }
    }

    /// One node: cache hit, or lock → re-check → execute → record.
    /// - Returns: with `keepGoing`, the budget refusal of a node that did not start (the caller
    ///   decides whether freed headroom lets it try again); otherwise `nil`.
    func process(_ spec: NodeSpec, planner: Planner, book: OutcomeBook) async -> String? {
        let (_, reason, cached) = await planner.assess(spec)
        if case .cacheUnavailable(let why) = reason, isPaid(spec) {
            book.fail(spec, message: BuildEngine.failClosed(why), reason: reason, events: events)
            return nil
        }
        if let cached, await adopt(cached, spec: spec, book: book) { return nil }
        let label = spec.label
        // Paid nodes are claimed where every runner sees the claim (the shared database, when
        // configured); free ones only need this machine's lock.
        let paid = isPaid(spec)
        let claims: any NodeClaims = (paid ? coordination?.claims : nil) ?? LocalNodeClaims(layout: workspace.store.layout)
        let claim: any NodeClaim
        do {
            claim = try await claims.claim(spec.key, nodeID: spec.id.rawValue) { [events] in events(.waiting(spec.id, label: label)) }
        } catch {
            book.fail(spec, message: Task.isCancelled ? "interrupted" : "not started: cannot claim \(spec.id): \(error)", events: events)
            return nil
        }
        let refusal = await processClaimed(spec, reason: reason, paid: paid, book: book)
        await claim.release()
        return refusal
    }

    /// A claimed node: re-check the cache (another runner may have just built it), then execute
    /// and record, with the spend reserved before and settled after.
    /// - Returns: with `keepGoing`, the budget refusal of a node that did not start; otherwise `nil`.
    func processClaimed(_ spec: NodeSpec, reason: RunReason, paid: Bool, book: OutcomeBook) async -> String? {
        if reason != .forced {
            // Another runner may have built it while this one waited on the claim: ask the remote again.
            switch await workspace.store.lookup(spec.key, refreshRemote: true) {
            case .hit(let result):
                if await adopt(result, spec: spec, book: book) { return nil }
            case .unavailable(let why) where paid:
                book.fail(spec, message: BuildEngine.failClosed(why), reason: .cacheUnavailable(why), events: events)
                return nil
            default:
                break
            }
        }
        // With a shared ledger, a paid node another runner already paid for (and that this
        // runner's cache cannot see) is not paid for again silently.
        if paid, reason != .forced, let coordination, let spend {
            do {
                if let who = try await coordination.paidFor(spend.campaign, spec.key.hex) {
                    book.fail(spec, message: "not started: \(spec.id) was already paid for (\(who)), but its result is not in this "
                        + "runner's cache; share the cache between runners (REEL_CACHE_DIR or the remote cache), or use --force \(spec.id) to pay for it again",
                        reason: reason, events: events)
                    return nil
                }
            } catch {
                book.fail(spec, message: "not started: cannot check the shared ledger for \(spec.id): \(error)", reason: reason, events: events)
                return nil
            }
        }
        events(.started(spec.id, label: spec.label))
        let clock = ContinuousClock()
        let started = clock.now
        let journal: any JournalStore = coordination?.journal ?? PredictionJournal(layout: workspace.store.layout, fileSystem: workspace.environment.fileSystem)
        let context = ExecutionContext(
            environment: workspace.environment, store: workspace.store,
            upstream: Dictionary(uniqueKeysWithValues: spec.dependencies.compactMap { id in book.outcome(id)?.result.map { (id, $0) } }),
            events: events, journal: coordination?.journal)
        let estimate = CostEstimator(registry: workspace.registry).estimate(spec)
        let executor: any NodeExecutor
        do {
            executor = try executors.executor(for: spec)
        } catch {
            book.fail(spec, message: "\(error)", reason: reason, events: events)
            return nil
        }
        var reservation: Reservation?
        if let spend, estimate > 0 || executor.isPaid {
            do {
                let resuming = try await journal.entry(for: spec.key) != nil
                reservation = try await spend.reserve(spec, estimate: estimate, resuming: resuming, now: workspace.environment.now())
            } catch {
                if options.keepGoing, error is BudgetExceeded { return "\(error)" }
                book.fail(spec, message: "not started: \(error)", reason: reason, events: events)
                return nil
            }
        }
        do {
            let slots = options.shared?.slots(provider: spec.keyMaterial.provider, paid: executor.isPaid)
            await slots?.acquire()
            let outcome: ActionOutcome
            do {
                outcome = try await executor.execute(spec, in: context)
                slots?.release()
            } catch {
                slots?.release()
                throw error
            }
            let seconds = (clock.now - started).inSeconds
            let record = ActionRecord(
                key: spec.key, kind: spec.kind.rawValue, outputs: outcome.outputs, metadata: outcome.metadata,
                keyMaterial: spec.keyMaterial.canonical, createdAt: iso8601(workspace.environment.now()), durationSeconds: seconds)
            try await workspace.store.store(record)
            // Only now that the result is recorded may the journal forget the prediction, and the
            // spend be settled (a failure before this point keeps both, for the next run).
            do {
                try await journal.remove(spec.key)
            } catch {
                events(.note("\(spec.id): could not clear its journal entry (\(error)); the next build finds the result in the cache"))
            }
            if let held = reservation, let spend {
                reservation = nil
                do {
                    let usd = try await spend.settle(held, outcome: outcome, now: workspace.environment.now())
                    events(.spent(spec.id, usd: usd))
                } catch {
                    // Never silent: the clip is recorded, the reservation stays open, and the next
                    // build settles it from the action record (`SpendRecovery`).
                    book.fail(spec, message: "its result is recorded, but its cost could not be written to the ledger (\(error)); "
                        + "the reservation stays open and the next `reel build` settles it", reason: reason, events: events)
                    return nil
                }
            }
            let result = CachedResult(
                outputs: Dictionary(outcome.outputs.map { ($0.name, $0.digest) }, uniquingKeysWith: { first, _ in first }),
                metadata: outcome.metadata)
            book.record(NodeOutcome(
                id: spec.id, kind: spec.kind, label: spec.label, state: .built, reason: reason, seconds: seconds, spec: spec, result: result))
            events(.built(spec.id, label: spec.label, seconds: seconds))
            // Shared with other machines once recorded here (when uploads are on); never fails the node.
            await workspace.store.publish(record)
        } catch {
            var message = error is CancellationError || Task.isCancelled ? "interrupted" : "\(error)"
            if let reservation, let spend {
                // A journal that cannot be read counts as in flight: the reservation is kept.
                let inFlight: Bool
                do {
                    inFlight = try await journal.entry(for: spec.key) != nil
                } catch {
                    inFlight = true
                }
                do {
                    try await spend.failed(reservation, error: error, inFlight: inFlight, now: workspace.environment.now())
                } catch let ledgerError {
                    message += "; and its spend could not be written to the ledger (\(ledgerError)): its reservation stays open"
                }
            }
            book.fail(spec, message: message, detail: (error as? ProcessError)?.detail, reason: reason, events: events)
        }
        return nil
    }



    /// Whether `spec` runs through a paid executor (fail closed: a node without an executor counts
    /// as paid).
    func isPaid(_ spec: NodeSpec) -> Bool {
        do {
            return try executors.executor(for: spec).isPaid
        } catch {
            return true
        }
    }

    /// Takes a cache hit. A remote one is first pulled into the local cache (blobs verified while
    /// they stream, then the record); false when that fails, and the node is built instead.
    private func adopt(_ result: CachedResult, spec: NodeSpec, book: OutcomeBook) async -> Bool {
        guard result.fromRemote else {
            book.record(NodeOutcome(id: spec.id, kind: spec.kind, label: spec.label, state: .cached, reason: .cached, spec: spec, result: result))
            events(.cached(spec.id, label: spec.label))
            return true
        }
        let pulled: Double?
        do {
            pulled = try await workspace.store.pull(spec.key)
        } catch {
            // The remote has it, but storing it here failed: whether it is now cached is unknown.
            guard isPaid(spec) else { return false }
            book.fail(spec, message: BuildEngine.failClosed("\(error)"), reason: .cacheUnavailable("\(error)"), events: events)
            return true
        }
        guard let seconds = pulled else { return false }
        book.record(NodeOutcome(
            id: spec.id, kind: spec.kind, label: spec.label, state: .cached, reason: .cached, seconds: seconds, spec: spec, result: result))
        events(.fetched(spec.id, label: spec.label, seconds: seconds))
        return true
    }

    /// Why a paid node does not run when the cache cannot be read.
    static func failClosed(_ why: String) -> String {
        "not started: \(why); Reel cannot tell whether this paid result already exists, so it does not pay for it again"
    }
}

/// The build's side of the graph walk: each stage runs (cache hits taken, the rest executed).
struct ExecutionDriver: GraphDriver {
    let engine: BuildEngine
    let planner: Planner
    let book: OutcomeBook

    func evaluate(_ specs: [NodeSpec], stage: NodeKind) async -> [NodeID: Digest] {
        var specs = specs
        if stage == .generate, engine.options.clips != .all {
            var mine: [NodeSpec] = []
            for spec in specs {
                // A clip already in the cache is taken whoever owns it; the rest only by their owner.
                let (here, elsewhere) = engine.options.clips.builds(spec.key)
                let cached = here ? false : (await planner.assess(spec)).cached != nil
                if here || cached { mine.append(spec) } else { book.deferTo(spec, elsewhere, events: engine.events) }
            }
            specs = mine
        }
        await engine.runStage(specs, limit: engine.limit(for: stage), planner: planner, book: book)
        var outputs: [NodeID: Digest] = [:]
        for spec in specs {
            if let digest = book.outputDigest(spec.id) { outputs[spec.id] = digest }
        }
        return outputs
    }

    func selection(in digest: Digest) async throws -> Selection? {
        try await engine.workspace.store.selection(digest)
    }

    func selectionUnavailable(_ spec: NodeSpec, reason: String) async {
        book.fail(spec, message: BuildEngine.failClosed(reason), reason: .cacheUnavailable(reason), events: engine.events)
    }

    func selectionUnreadable(_ spec: NodeSpec, digest: Digest) async -> Selection? {
        var selection: Selection?
        if book.outcome(spec.id)?.state == .cached {
            // A cached selection this version cannot decode: select again.
            _ = await engine.process(spec, planner: engine.workspace.planner(forced: [spec.id]), book: book)
            if let rebuilt = book.outcome(spec.id)?.outputDigest {
                do {
                    selection = try await engine.workspace.store.selection(rebuilt)
                } catch {
                    await selectionUnavailable(spec, reason: "\(error)")
                    return nil
                }
            }
        }
        if selection == nil, book.outcome(spec.id)?.state != .failed {
            book.fail(spec, message: "the selection blob \(digest.short) is unreadable; run `reel build` again", events: engine.events)
        }
        return selection
    }

    func pending(_ node: PendingNode) async {
        let builder = engine.workspace.builder
        switch node {
        case .select(_, _, let blocker):
            book.skip(id: builder.selectID, kind: .select, label: "selector", because: blocker, events: engine.events)
        case .generates:
            break
        case .combine(let id, _, let label, _, let blocker):
            if book.outcome(blocker)?.state == .deferred {
                book.deferTo(id: id, kind: .combine, label: label, "assembled by the final job once every shard is done", events: engine.events)
            } else {
                book.skip(id: id, kind: .combine, label: label, because: blocker, events: engine.events)
            }
        }
    }
}

/// Thread-safe record of node outcomes during a build.
final class OutcomeBook: Sendable {
    /// Outcomes in the order they were recorded, and where each node's is: an array sized to the
    /// plan holds a 10,000-node build's outcomes in 3 MB where a dictionary of them took 6.
    private struct Entries {
        var outcomes: [NodeOutcome] = []
        var index: [NodeID: Int] = [:]
        var firstFailure: NodeID?
    }
    private let state: Mutex<Entries>

    /// - Parameter capacity: the number of nodes expected (the plan's), reserved so that the book
    ///   is not copied into ever larger storage as a 10,000-node build records its outcomes.
    init(capacity: Int = 0) {
        var entries = Entries()
        entries.outcomes.reserveCapacity(capacity)
        entries.index.reserveCapacity(capacity)
        state = Mutex(entries)
    }

    func record(_ outcome: NodeOutcome) {
        state.withLock { state in
            if let position = state.index[outcome.id] {
                state.outcomes[position] = outcome
            } else {
                state.index[outcome.id] = state.outcomes.count
                state.outcomes.append(outcome)
            }
            if outcome.state == .failed, state.firstFailure == nil { state.firstFailure = outcome.id }
        }
    }

    func outcome(_ id: NodeID) -> NodeOutcome? {
        state.withLock { state in state.index[id].map { state.outcomes[$0] } }
    }

    /// The main output of `id`'s outcome, without copying the whole outcome out (asked once per
    /// node, 10,000 times in a large build).
    func outputDigest(_ id: NodeID) -> Digest? {
        state.withLock { state in state.index[id].flatMap { state.outcomes[$0].outputDigest } }
    }

    /// The state of `id`'s outcome (see `outputDigest`).
    func state(_ id: NodeID) -> NodeOutcomeState? {
        state.withLock { state in state.index[id].map { state.outcomes[$0].state } }
    }

    var hasFailure: Bool { state.withLock { $0.firstFailure != nil } }
    var firstFailure: NodeID? { state.withLock { $0.firstFailure } }

    func fail(_ spec: NodeSpec, message: String, detail: String? = nil, reason: RunReason = .neverBuilt, events: BuildEventSink? = nil) {
        var outcome = NodeOutcome(id: spec.id, kind: spec.kind, label: spec.label, state: .failed, reason: reason, message: message, spec: spec)
        outcome.detail = detail
        record(outcome)
        events?(.failed(spec.id, label: spec.label, message: message))
    }

    func skip(id: NodeID, kind: NodeKind, label: String, because blocker: NodeID, events: BuildEventSink) {
        record(NodeOutcome(id: id, kind: kind, label: label, state: .skipped, reason: .waitingFor(blocker), message: "not run: \(blocker) did not finish"))
        events(.skipped(id, label: label, because: blocker))
    }

    /// A node another job of a sharded build makes.
    func deferTo(_ spec: NodeSpec, _ elsewhere: String, events: BuildEventSink) {
        deferTo(id: spec.id, kind: spec.kind, label: spec.label, elsewhere, spec: spec, events: events)
    }

    func deferTo(id: NodeID, kind: NodeKind, label: String, _ elsewhere: String, spec: NodeSpec? = nil, events: BuildEventSink) {
        record(NodeOutcome(id: id, kind: kind, label: label, state: .deferred, reason: .neverBuilt, message: elsewhere, spec: spec))
        events(.note("\(id) left to another job: \(elsewhere)"))
    }

    func skipInterrupted(_ spec: NodeSpec, because why: String = "interrupted", events: BuildEventSink) {
        record(NodeOutcome(id: spec.id, kind: spec.kind, label: spec.label, state: .skipped, reason: .neverBuilt, message: "not run: \(why)"))
        events(.note("\(spec.id) not started: \(why)"))
    }

    /// Every outcome in graph order; each id's sort key is computed once, not per comparison, and
    /// positions are sorted rather than the outcomes themselves (one copy of them, not three).
    func all() -> [NodeOutcome] {
        let outcomes = state.withLock { $0.outcomes }
        let order = outcomes.indices.map { (outcomes[$0].id.sortKey, $0) }.sorted { $0.0 < $1.0 }
        return order.map { outcomes[$0.1] }
    }
}

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

    public init(jobs: Int? = nil, keepGoing: Bool = false, forced: Set<NodeID> = [], forceAll: Bool = false, frozen: Bool = false) {
        self.frozen = frozen
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

    public init(workspace: Workspace, executors: ExecutorSet, options: BuildOptions, spend: SpendGate? = nil, events: @escaping BuildEventSink) {
        self.workspace = workspace
        self.executors = executors
        self.options = options
        self.spend = spend
        self.events = events
    }

    /// Runs the build. Never throws: failures are node outcomes.
    /// - Parameter plan: the plan already made with the same options, if the caller has one.
    public func run(plan known: Plan? = nil) async -> BuildResult {
        let book = OutcomeBook()
        let planner = workspace.planner(forced: options.forced, forceAll: options.forceAll)
        let builder = workspace.builder
        let plan = known ?? planner.plan()
        events(.planned(total: plan.nodes.count, stale: plan.staleNodes.count))
        if let spend {
            do {
                try await SpendRecovery.settleRecorded(ledger: spend.ledger, campaign: spend.campaign, actions: workspace.store.actions, now: workspace.environment.now())
            } catch {
                events(.note("could not settle reservations left open by an earlier build: \(error)"))
            }
        }

        let featureSpecs = builder.featureNodes()
        await runStage(featureSpecs, limit: options.jobs, planner: planner, book: book)

        var selection: Selection?
        if builder.selectorSettings != nil {
            let features = Dictionary(uniqueKeysWithValues: featureSpecs.compactMap { spec in
                book.outcome(spec.id)?.outputDigest.map { (spec.id.suffix ?? "", $0) }
            })
            if let spec = builder.selectNode(features: features) {
                await runStage([spec], limit: 1, planner: planner, book: book)
                if let digest = book.outcome(.select)?.outputDigest {
                    selection = workspace.store.selection(digest)
                    if selection == nil, book.outcome(.select)?.state == .cached {
                        // A cached selection this version cannot read: select again.
                        _ = await process(spec, planner: workspace.planner(forced: [.select]), book: book)
                        selection = book.outcome(.select)?.outputDigest.flatMap(workspace.store.selection)
                    }
                    if selection == nil { book.fail(spec, message: "the selection blob \(digest.short) is unreadable; run `reel build` again") }
                }
            } else {
                book.skip(id: .select, kind: .select, label: "selector", because: featureSpecs.first { book.outcome($0.id)?.state != .built && book.outcome($0.id)?.state != .cached }?.id ?? .select, events: events)
            }
        } else {
            selection = builder.explicitSelection()
        }

        var generateSpecs: [NodeSpec] = []
        if let selection {
            generateSpecs = builder.generateNodes(for: selection)
            let generator = workspace.campaign.generator
            // Local clips share the CPU with ffmpeg's own threads; remote ones wait on the provider's GPUs.
            let limit = generator.kind == .local
                ? min(options.jobs, generator.concurrency)
                : (options.jobsExplicit ? min(options.jobs, generator.concurrency) : generator.concurrency)
            await runStage(generateSpecs, limit: limit, planner: planner, book: book)
        }

        let clips = generateSpecs.compactMap { book.outcome($0.id)?.outputDigest }
        if selection != nil, clips.count == generateSpecs.count, !generateSpecs.isEmpty {
            let spec = builder.combineNode(clips: clips, generateIDs: generateSpecs.map(\.id))
            await runStage([spec], limit: 1, planner: planner, book: book)
        } else {
            let blocker = generateSpecs.first { book.outcome($0.id)?.outputDigest == nil }?.id ?? .select
            book.skip(id: .combine, kind: .combine, label: workspace.campaign.output.path.relative(to: workspace.campaign.projectRoot), because: blocker, events: events)
        }

        let materialiser = Materialiser(workspace: workspace)
        let clipPaths = materialiser.materialiseClips(generateSpecs.map { ($0, book.outcome($0.id)?.outputDigest) })
        var video: AbsolutePath?
        let videoDigest = book.outcome(.combine)?.outputDigest
        if let videoDigest {
            do {
                video = try materialiser.materialiseVideo(videoDigest)
            } catch {
                events(.note("could not place the video at \(workspace.campaign.output.path): \(error)"))
            }
        }
        var result = BuildResult(
            nodes: book.all(), selection: selection, video: video, videoDigest: videoDigest, clips: clipPaths, lockfileChanged: false,
            interrupted: Task.isCancelled)
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
                launch()
            }
            for (spec, refusal) in deferred {
                book.fail(spec, message: "not started: \(refusal)", reason: planner.assess(spec).1, events: events)
            }
        }
    }

    private func blockingDependency(_ spec: NodeSpec, book: OutcomeBook) -> NodeID? {
        spec.dependencies.first { id in
            guard let outcome = book.outcome(id) else { return false }
            return outcome.state == .failed || outcome.state == .skipped
        }
    }

    /// One node: cache hit, or lock → re-check → execute → record.
    /// - Returns: with `keepGoing`, the budget refusal of a node that did not start (the caller
    ///   decides whether freed headroom lets it try again); otherwise `nil`.
    func process(_ spec: NodeSpec, planner: Planner, book: OutcomeBook) async -> String? {
        let (_, reason, cached) = planner.assess(spec)
        if let cached {
            book.record(NodeOutcome(id: spec.id, kind: spec.kind, label: spec.label, state: .cached, reason: .cached, spec: spec, result: cached))
            events(.cached(spec.id, label: spec.label))
            return nil
        }
        let layout = workspace.store.layout
        let label = spec.label
        let lock: NodeLock
        do {
            lock = try await NodeLock.acquire(spec.key, layout: layout) { [events] in events(.waiting(spec.id, label: label)) }
        } catch {
            book.fail(spec, message: Task.isCancelled ? "interrupted" : "cannot lock \(spec.id): \(error)", events: events)
            return nil
        }
        defer { lock.release() }
        if reason != .forced, case .hit(let result) = workspace.store.lookup(spec.key) {
            book.record(NodeOutcome(id: spec.id, kind: spec.kind, label: spec.label, state: .cached, reason: .cached, spec: spec, result: result))
            events(.cached(spec.id, label: spec.label))
            return nil
        }
        events(.started(spec.id, label: spec.label))
        let clock = ContinuousClock()
        let started = clock.now
        let context = ExecutionContext(
            environment: workspace.environment, store: workspace.store,
            upstream: Dictionary(uniqueKeysWithValues: spec.dependencies.compactMap { id in book.outcome(id)?.result.map { (id, $0) } }),
            events: events)
        let estimate = CostEstimator(registry: workspace.registry).estimate(spec)
        let journal = PredictionJournal(layout: layout, fileSystem: workspace.environment.fileSystem)
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
                let resuming = try journal.entry(for: spec.key) != nil
                reservation = try await spend.reserve(spec, estimate: estimate, resuming: resuming, now: workspace.environment.now())
            } catch {
                if options.keepGoing, error is BudgetExceeded { return "\(error)" }
                book.fail(spec, message: "not started: \(error)", reason: reason, events: events)
                return nil
            }
        }
        do {
            let outcome = try await executor.execute(spec, in: context)
            let seconds = (clock.now - started).inSeconds
            let record = ActionRecord(
                key: spec.key, kind: spec.kind.rawValue, outputs: outcome.outputs, metadata: outcome.metadata,
                keyMaterial: spec.keyMaterial.canonical, createdAt: iso8601(workspace.environment.now()), durationSeconds: seconds)
            try workspace.store.actions.store(record)
            // Only now that the result is recorded may the journal forget the prediction, and the
            // spend be settled (a failure before this point keeps both, for the next run).
            try journal.remove(spec.key)
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
        } catch {
            var message = error is CancellationError || Task.isCancelled ? "interrupted" : "\(error)"
            if let reservation, let spend {
                do {
                    try await spend.failed(reservation, error: error, inFlight: BuildEngine.inFlight(spec, journal: journal), now: workspace.environment.now())
                } catch let ledgerError {
                    message += "; and its spend could not be written to the ledger (\(ledgerError)): its reservation stays open"
                }
            }
            book.fail(spec, message: message, reason: reason, events: events)
        }
        return nil
    }
}

extension BuildEngine {
    /// Whether remote work may still run for the node: its journal entry exists, or cannot be
    /// read (then it is assumed to, and the reservation stays for the next run).
    static func inFlight(_ spec: NodeSpec, journal: PredictionJournal) -> Bool {
        do {
            return try journal.entry(for: spec.key) != nil
        } catch {
            return true
        }
    }
}

/// Thread-safe record of node outcomes during a build.
final class OutcomeBook: Sendable {
    private let state = Mutex<(outcomes: [NodeID: NodeOutcome], firstFailure: NodeID?)>(([:], nil))

    func record(_ outcome: NodeOutcome) {
        state.withLock { state in
            state.outcomes[outcome.id] = outcome
            if outcome.state == .failed, state.firstFailure == nil { state.firstFailure = outcome.id }
        }
    }

    func outcome(_ id: NodeID) -> NodeOutcome? {
        state.withLock { $0.outcomes[id] }
    }

    var hasFailure: Bool { state.withLock { $0.firstFailure != nil } }
    var firstFailure: NodeID? { state.withLock { $0.firstFailure } }

    func fail(_ spec: NodeSpec, message: String, reason: RunReason = .neverBuilt, events: BuildEventSink? = nil) {
        record(NodeOutcome(id: spec.id, kind: spec.kind, label: spec.label, state: .failed, reason: reason, message: message, spec: spec))
        events?(.failed(spec.id, label: spec.label, message: message))
    }

    func skip(id: NodeID, kind: NodeKind, label: String, because blocker: NodeID, events: BuildEventSink) {
        record(NodeOutcome(id: id, kind: kind, label: label, state: .skipped, reason: .waitingFor(blocker), message: "not run: \(blocker) did not finish"))
        events(.skipped(id, label: label, because: blocker))
    }

    func skipInterrupted(_ spec: NodeSpec, events: BuildEventSink) {
        record(NodeOutcome(id: spec.id, kind: spec.kind, label: spec.label, state: .skipped, reason: .neverBuilt, message: "not run: interrupted"))
        events(.note("\(spec.id) not started: interrupted"))
    }

    func all() -> [NodeOutcome] {
        state.withLock { $0.outcomes.values.sorted { $0.id < $1.id } }
    }
}

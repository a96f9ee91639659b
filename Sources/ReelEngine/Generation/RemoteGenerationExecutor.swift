import Foundation
import ReelBasics
import ReelCache
import ReelGraph
import ReelManifest
import ReelMedia
import ReelProviders

/// `generate/<n>` through any `GenerationProvider`: prepare the request (frames checked against
/// their digests), journal it, create it (journaled again with its id), poll it to the end within a
/// deadline, download the output, check it with ffprobe and store it. After a crash the journal
/// resumes the same generation, or finds it again among recent ones, instead of paying twice.
public struct RemoteGenerationExecutor: NodeExecutor {
    public let provider: any GenerationProvider
    public let pollInterval: Duration
    /// Longest time to poll one generation before giving up (it stays journaled).
    public let pollDeadline: Duration
    public let cancelOnInterrupt: Bool
    public let clock: any Clock<Duration>
    /// How long to let a provider register a create whose reply was lost before looking for it.
    public let reconcileDelay: Duration

    public init(
        provider: any GenerationProvider, pollInterval: Duration = .seconds(2), pollDeadline: Duration = .seconds(3600),
        cancelOnInterrupt: Bool = false, clock: any Clock<Duration> = ContinuousClock(), reconcileDelay: Duration = .seconds(1)
    ) {
        self.reconcileDelay = reconcileDelay
        self.provider = provider
        self.pollInterval = pollInterval
        self.pollDeadline = pollDeadline
        self.cancelOnInterrupt = cancelOnInterrupt
        self.clock = clock
    }

    public var isPaid: Bool { true }

    public func execute(_ spec: NodeSpec, in context: ExecutionContext) async throws -> ActionOutcome {
        guard case .generate(let input) = spec.action, let request = GenerationRequest.canonical(prompt: input.prompt, settings: input.settings)
        else {
            throw EngineError.wrongAction(spec.id)
        }
        let journal = context.journal
        let onRetry: @Sendable (Int, String) -> Void = { attempt, reason in context.events(.retrying(spec.id, attempt: attempt, reason: reason)) }
        var generationID: String?
        var lastStatus: GenerationStatus?
        var sawRunning = false
        do {
            var generation = try await startOrResume(spec, input: input, request: request, journal: journal, context: context, onRetry: onRetry)
            generationID = generation.id
            lastStatus = generation.status
            sawRunning = generation.status == .running
            let started = ContinuousClock.now
            while !generation.status.isTerminal {
                if case .unknown(let text) = generation.status {
                    throw GenerationError.unknownStatus(id: generation.id, status: text, journal: journal.location(of: spec.key))
                }
                if ContinuousClock.now - started > pollDeadline {
                    throw GenerationError.pollDeadline(
                        id: generation.id, minutes: Int(pollDeadline.inSeconds / 60), journal: journal.location(of: spec.key))
                }
                try await clock.sleep(for: pollInterval)
                do {
                    generation = try await provider.status(generation.id, onRetry: onRetry)
                } catch is CancellationError {
                    throw CancellationError()
                } catch {
                    throw GenerationError.pollFailed(
                        id: generation.id, journal: journal.location(of: spec.key), detail: "\(error)")
                }
                lastStatus = generation.status
                if generation.status == .running { sawRunning = true }
            }
            return try await finish(generation, sawRunning: sawRunning, spec: spec, input: input, journal: journal, context: context, onRetry: onRetry)
        } catch is CancellationError {
            if let stopped = await interrupted(
                spec, generationID: generationID, lastStatus: lastStatus, sawRunning: sawRunning,
                frameFields: [request.firstFrameField, request.lastFrameField], journal: journal, context: context)
            {
                throw stopped
            }
            throw CancellationError()
        }
    }

    /// Ctrl-C: the journal keeps the generation for the next run, unless `--cancel-on-interrupt`
    /// cancels it — and the journal entry goes only when the API confirms it stopped. One that
    /// already succeeded is never cancelled: its clip is paid for, and the next run fetches it.
    /// - Returns: `GenerationError.cancelled` when the provider confirmed the cancellation (saying
    ///   whether it ran, and so may be billed for the part that ran); `nil` otherwise.
    func interrupted(
        _ spec: NodeSpec, generationID: String?, lastStatus: GenerationStatus?, sawRunning: Bool, frameFields: [String], journal: any JournalStore,
        context: ExecutionContext
    ) async -> GenerationError? {
        guard cancelOnInterrupt, lastStatus != .succeeded else {
            if let id = generationID { context.events(.note("\(spec.id): prediction \(id) stays in the journal; the next build resumes it")) }
            return nil
        }
        // Interrupted mid-create, the id may be unknown: find it by its fingerprint first.
        let entry: JournalEntry?
        do {
            entry = try await journal.entry(for: spec.key)
        } catch {
            context.events(.note("\(spec.id): \(error)"))
            return nil
        }
        let executor = self
        // Every failure here keeps the journal entry (the next build resumes the prediction); each is said.
        let (outcome, problem): ((id: String, status: GenerationStatus?, computeSeconds: Double?)?, String?) = await Task.detached {
            var id = generationID ?? entry?.predictionID
            if id == nil, let entry {
                do {
                    id = try await executor.reconcile(entry, frameFields: frameFields, spec: spec, journal: journal)?.id
                } catch {
                    return (nil, "its prediction could not be looked up (\(error))")
                }
            }
            guard let id else { return (nil, nil) }
            do {
                let reply = try await executor.provider.cancel(id)
                return ((id, reply?.status, reply?.computeSeconds), nil)
            } catch {
                return ((id, nil, nil), "\(error)")
            }
        }.value
        guard let outcome else {
            if let problem { context.events(.note("\(spec.id): not cancelled: \(problem); it stays in the journal")) }
            return nil
        }
        guard let status = outcome.status, [.canceled, .failed].contains(status) else {
            let why = problem.map { " (\($0))" } ?? ""
            context.events(.note("\(spec.id): could not confirm that prediction \(outcome.id) was cancelled\(why); it stays in the journal"))
            return nil
        }
        do {
            try await journal.remove(spec.key)
        } catch {
            context.events(.note("\(spec.id): cancelled prediction \(outcome.id), but \(error)"))
            return nil
        }
        context.events(.note("\(spec.id): cancelled prediction \(outcome.id)"))
        // Still queued at the last look and no compute reported: it never ran. Otherwise the part
        // that ran may be billed: it is counted at the estimate, flagged.
        let ran = sawRunning || (outcome.computeSeconds ?? 0) > 0 || lastStatus != .queued
        return .cancelled(id: outcome.id, ran: ran)
    }

    /// Resumes the journaled generation for this node, or creates one.
    func startOrResume(
        _ spec: NodeSpec, input: GenerateInput, request: GenerationRequest, journal: any JournalStore, context: ExecutionContext,
        onRetry: @escaping @Sendable (Int, String) -> Void
    ) async throws -> RemoteGeneration {
        if let entry = try await journal.entry(for: spec.key), entry.model == request.model {
            if let id = entry.predictionID {
                context.events(.note("\(spec.id): resuming prediction \(id) from the journal"))
                do {
                    return try await provider.status(id, onRetry: onRetry)
                } catch where provider.isNotFound(error) {
                    throw GenerationError.journaledPredictionMissing(
                        id: id, journal: journal.location(of: spec.key), endpoint: provider.endpoint)
                } catch is CancellationError {
                    throw CancellationError()
                } catch {
                    throw GenerationError.pollFailed(id: id, journal: journal.location(of: spec.key), detail: "\(error)")
                }
            }
            if let found = try await reconcile(entry, frameFields: [request.firstFrameField, request.lastFrameField], spec: spec, journal: journal) {
                context.events(.note("\(spec.id): found prediction \(found.id), whose create response was lost; resuming it"))
                try await journal.record(created(entry, id: found.id, context: context))
                return found
            }
        }
        let prepared: PreparedGeneration
        do {
            let first = try await frame(input.first, digest: input.firstDigest, context: context)
            let last = try await frame(input.last, digest: input.lastDigest, context: context)
            let scratch = GenerationScratch(
                root: context.store.layout.versionRoot.appending("uploads"), fileSystem: context.environment.fileSystem, now: context.environment.now())
            prepared = try await provider.prepare(request, first: first, last: last, scratch: scratch)
        } catch let error as GenerationError {
            throw error
        } catch let error as CancellationError {
            throw error
        } catch {
            throw GenerationError.notCreated("\(error)")  // nothing was sent to create anything
        }
        let now = context.environment.now()
        let entry = JournalEntry(
            nodeKey: spec.key, nodeID: spec.id.rawValue, provider: provider.name, model: request.model, state: .creating, predictionID: nil,
            fingerprint: prepared.fingerprint, createdAfter: iso8601(now.addingTimeInterval(-120)), updatedAt: iso8601(now),
            looseFingerprint: prepared.looseFingerprint, frameForms: prepared.frameForms)
        try await journal.record(entry)
        let generation: RemoteGeneration
        do {
            generation = try await provider.create(prepared, onRetry: onRetry)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            switch provider.classifyCreateFailure(error) {
            case .ambiguous:
                try await clock.sleep(for: reconcileDelay)
                let found: RemoteGeneration?
                do {
                    found = try await reconcile(entry, frameFields: [request.firstFrameField, request.lastFrameField], spec: spec, journal: journal)
                } catch let uncertain as GenerationError {
                    throw uncertain  // a match Reel cannot confirm, or no way to look: the user decides
                } catch {
                    throw error  // the journal keeps `creating`: the next run looks again before creating
                }
                if let found {
                    context.events(.note("\(spec.id): found prediction \(found.id), whose create response was lost; resuming it"))
                    try await journal.record(created(entry, id: found.id, context: context))
                    return found
                }
                throw error  // the journal keeps `creating`: the next run looks again before creating
            case .refused:
                try await journal.remove(spec.key)
                throw GenerationError.notCreated("\(error)")
            case .unknown:
                throw error
            }
        }
        try await journal.record(created(entry, id: generation.id, context: context))
        context.events(.note("\(spec.id): prediction \(generation.id) created"))
        return generation
    }

    func created(_ entry: JournalEntry, id: String, context: ExecutionContext) -> JournalEntry {
        var updated = entry
        updated.state = .created
        updated.predictionID = id
        updated.updatedAt = iso8601(context.environment.now())
        return updated
    }

    /// Looks through recent generations for the one a journaled create (whose reply was lost)
    /// made: same model, created after the entry's time, same input. Returns `nil` only when the
    /// provider's list shows nothing it could be.
    /// - Throws: `GenerationError.uncertainMatch` when generations match everything but frames
    ///   Reel cannot compare (the provider rewrote them); `GenerationError.cannotReconcile` when the
    ///   provider cannot list recent generations. Both keep the journal and name it.
    func reconcile(_ entry: JournalEntry, frameFields: [String], spec: NodeSpec, journal: any JournalStore) async throws -> RemoteGeneration? {
        let path = journal.location(of: entry.nodeKey)
        guard provider.capabilities.canListRecent else {
            throw GenerationError.cannotReconcile(
                node: spec.id.rawValue, label: spec.label, model: entry.model, since: entry.createdAfter, journal: path,
                detail: "\(provider.name) cannot list recent predictions")
        }
        let recent: [RemoteGeneration]
        do {
            recent = try await provider.findRecent(model: entry.model, createdAfter: entry.createdAfter, frameFields: frameFields)
        } catch is CancellationError {
            throw CancellationError()
        } catch where provider.isNotFound(error) {
            throw GenerationError.cannotReconcile(
                node: spec.id.rawValue, label: spec.label, model: entry.model, since: entry.createdAfter, journal: path,
                detail: "\(provider.endpoint) has no list of recent predictions (it answered 'not found')")
        }
        let candidates = recent.filter { generation in
            guard generation.model == nil || generation.model == entry.model else { return false }
            if let created = generation.createdAt.flatMap(Timestamp.parse), let after = Timestamp.parse(entry.createdAfter), created < after {
                return false
            }
            return true
        }
        if let exact = candidates.first(where: { $0.fingerprint == entry.fingerprint }) { return exact }
        guard let loose = entry.looseFingerprint else { return nil }
        // Same model, time and non-image inputs, frames not comparable: unless another journal entry
        // already owns it, it may be this node's. Never guess: creating again could pay twice.
        let claimed = Set(try await journal.all().compactMap(\.predictionID))
        // A candidate that echoes its frames in the form they were sent was compared in full above:
        // it is another request. Only one whose frames were rewritten cannot be told apart.
        let uncertain = candidates.filter { candidate in
            candidate.looseFingerprint == loose && !claimed.contains(candidate.id)
                && (entry.frameForms == nil || candidate.frameForms != entry.frameForms)
        }
        guard uncertain.isEmpty else {
            throw GenerationError.uncertainMatch(
                node: spec.id.rawValue, label: spec.label, candidates: uncertain.map(\.id), model: entry.model, journal: path)
        }
        return nil
    }

    /// A frame read and checked against the digest in the key.
    func frame(_ asset: ResolvedAsset, digest: Digest, context: ExecutionContext) async throws -> GenerationImage {
        let preparer = ImagePreparer(
            runner: context.environment.runner, fileSystem: context.environment.fileSystem, temporaryRoot: context.store.layout.temporaryRoot)
        let image = try await preparer.prepared(asset, expected: digest, maxEdge: nil, maxBytes: 100 * 1024 * 1024)
        return GenerationImage(data: image.data, mime: image.mime, ext: image.ext, digest: digest)
    }

    /// Downloads, checks and stores a finished generation's output.
    func finish(
        _ generation: RemoteGeneration, sawRunning: Bool, spec: NodeSpec, input: GenerateInput, journal: any JournalStore, context: ExecutionContext,
        onRetry: @escaping @Sendable (Int, String) -> Void
    ) async throws -> ActionOutcome {
        let retention = provider.capabilities.outputRetention.map(RemoteGenerationExecutor.describe)
        if generation.status == .canceled {
            try await journal.remove(spec.key)
            // Cancelled after it started (elsewhere, or by the provider): the part that ran may be billed.
            if sawRunning || (generation.computeSeconds ?? 0) > 0 { throw GenerationError.cancelled(id: generation.id, ran: true) }
        }
        guard generation.status == .succeeded else {
            try await journal.remove(spec.key)
            throw GenerationError.predictionEnded(id: generation.id, status: generation.providerStatus, message: generation.error)
        }
        if generation.outputsRemoved {
            try await journal.remove(spec.key)
            throw GenerationError.outputExpired(id: generation.id, retention: retention)
        }
        guard let url = generation.outputs.first else {
            throw GenerationError.unreadableOutput(id: generation.id, detail: "the prediction succeeded but lists no output file")
        }
        let temporary = try context.temporaryPath("prediction.mp4")
        defer { context.removeScratch(temporary) }
        do {
            try await provider.download(url, to: temporary, onRetry: onRetry)
        } catch where provider.isNotFound(error) {
            try await journal.remove(spec.key)
            throw GenerationError.outputExpired(id: generation.id, retention: retention)
        }
        let info: MediaInfo
        do {
            info = try await MediaProbe(runner: context.environment.runner).probe(temporary)
        } catch {
            throw GenerationError.unreadableOutput(id: generation.id, detail: "\(error)")
        }
        guard info.duration > 0, info.width > 0 else { throw GenerationError.unreadableOutput(id: generation.id, detail: "no frames") }
        // The journal entry stays until the engine has recorded this result in the action cache.
        let output = try await context.storeFile(temporary, as: NodeKind.generate.outputName)
        let settings = input.settings
        let cost = settings.modelSpec?.estimatedCost(duration: Int(settings.duration), resolution: settings.modelResolution ?? "", audio: settings.audio) ?? 0
        var metadata: [String: CanonicalValue] = [
            "provider": .string(provider.name), "model": .string(settings.model ?? ""), "prediction_id": .string(generation.id),
            "media": info.canonical, "cost_usd": .decimal(cost), "cost_is_estimate": true,
        ]
        if let seconds = generation.computeSeconds { metadata["predict_time"] = .decimal(seconds) }
        return ActionOutcome(outputs: [output], metadata: metadata)
    }

    /// `an hour`, `90 min`.
    static func describe(_ duration: Duration) -> String {
        let minutes = Int(duration.inSeconds / 60)
        if minutes == 60 { return "an hour" }
        return minutes % 60 == 0 ? "\(minutes / 60) hours" : "\(minutes) min"
    }
}

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

    public init(
        provider: any GenerationProvider, pollInterval: Duration = .seconds(2), pollDeadline: Duration = .seconds(3600),
        cancelOnInterrupt: Bool = false, clock: any Clock<Duration> = ContinuousClock()
    ) {
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
        do {
            var generation = try await startOrResume(spec, input: input, request: request, journal: journal, context: context, onRetry: onRetry)
            generationID = generation.id
            lastStatus = generation.status
            let started = ContinuousClock.now
            while !generation.status.isTerminal {
                if ContinuousClock.now - started > pollDeadline {
                    throw GenerationError.pollDeadline(
                        id: generation.id, minutes: Int(pollDeadline.inSeconds / 60), journal: journal.location(of: spec.key))
                }
                try await clock.sleep(for: pollInterval)
                generation = try await provider.status(generation.id, onRetry: onRetry)
                lastStatus = generation.status
            }
            return try await finish(generation, spec: spec, input: input, journal: journal, context: context, onRetry: onRetry)
        } catch is CancellationError {
            await interrupted(spec, generationID: generationID, lastStatus: lastStatus, journal: journal, context: context)
            throw CancellationError()
        }
    }

    /// Ctrl-C: the journal keeps the generation for the next run, unless `--cancel-on-interrupt`
    /// cancels it — and the journal entry goes only when the API confirms it stopped. One that
    /// already succeeded is never cancelled: its clip is paid for, and the next run fetches it.
    func interrupted(_ spec: NodeSpec, generationID: String?, lastStatus: GenerationStatus?, journal: any JournalStore, context: ExecutionContext) async {
        guard cancelOnInterrupt, lastStatus != .succeeded else {
            if let id = generationID { context.events(.note("\(spec.id): prediction \(id) stays in the journal; the next build resumes it")) }
            return
        }
        // Interrupted mid-create, the id may be unknown: find it by its fingerprint first.
        let entry: JournalEntry?
        do {
            entry = try await journal.entry(for: spec.key)
        } catch {
            context.events(.note("\(spec.id): cannot read the journal (\(error)); nothing was cancelled"))
            return
        }
        let executor = self
        let outcome: (id: String, status: GenerationStatus?)? = await Task.detached {
            var id = generationID ?? entry?.predictionID
            if id == nil, let entry { id = try? await executor.reconcile(entry)?.id }
            guard let id else { return nil }
            let reply = try? await executor.provider.cancel(id)
            return (id, reply?.status)
        }.value
        guard let outcome else { return }
        if let status = outcome.status, [.canceled, .failed].contains(status) {
            do {
                try await journal.remove(spec.key)
            } catch {
                context.events(.note("\(spec.id): prediction \(outcome.id) was cancelled but its journal entry stays (\(error))"))
                return
            }
            context.events(.note("\(spec.id): cancelled prediction \(outcome.id)"))
        } else {
            context.events(.note("\(spec.id): could not confirm that prediction \(outcome.id) was cancelled; it stays in the journal"))
        }
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
                }
            }
            if let found = try await reconcile(entry) {
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
            fingerprint: prepared.fingerprint, createdAfter: iso8601(now.addingTimeInterval(-120)), updatedAt: iso8601(now))
        try await journal.record(entry)
        let generation: RemoteGeneration
        do {
            generation = try await provider.create(prepared, onRetry: onRetry)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            switch provider.classifyCreateFailure(error) {
            case .ambiguous:
                try await clock.sleep(for: .seconds(1))
                if let found = try? await reconcile(entry) {
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

    /// Looks through recent generations for one with this entry's model and fingerprint.
    func reconcile(_ entry: JournalEntry) async throws -> RemoteGeneration? {
        let recent = try await provider.findRecent(model: entry.model, createdAfter: entry.createdAfter)
        return recent.first { generation in
            guard generation.model == nil || generation.model == entry.model, let fingerprint = generation.fingerprint else { return false }
            if let created = generation.createdAt.flatMap(Timestamp.parse), let after = Timestamp.parse(entry.createdAfter), created < after {
                return false
            }
            return fingerprint == entry.fingerprint
        }
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
        _ generation: RemoteGeneration, spec: NodeSpec, input: GenerateInput, journal: any JournalStore, context: ExecutionContext,
        onRetry: @escaping @Sendable (Int, String) -> Void
    ) async throws -> ActionOutcome {
        let retention = provider.capabilities.outputRetention.map(RemoteGenerationExecutor.describe)
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
        defer { try? context.environment.fileSystem.remove(temporary) }
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

import Foundation
import ReelBasics
import ReelCache
import ReelGraph
import ReelManifest
import ReelMedia
import ReelProviders

/// Failures of a remote generation, carrying the provider's words.
public enum GenerationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The prediction ended `failed`, `canceled` or `aborted`.
    case predictionEnded(id: String, status: String, message: String?)
    /// The output was deleted before Reel downloaded it.
    case outputExpired(id: String)
    /// The downloaded file is not a usable video.
    case unreadableOutput(id: String, detail: String)
    /// A prediction in the journal is unknown to the provider (another account or base URL?).
    case journaledPredictionMissing(id: String, journal: String, endpoint: String)
    /// An asset's bytes changed after its digest was taken for the key.
    case assetChanged(String)

    public var description: String {
        switch self {
        case .predictionEnded(let id, let status, let message):
            return "prediction \(id) \(status)" + (message.map { ": \($0)" } ?? "")
        case .outputExpired(let id):
            return "the output of prediction \(id) expired before it was downloaded (Replicate deletes API outputs after an hour); "
                + "run `reel build` again to generate it again (this is paid again)"
        case .unreadableOutput(let id, let detail):
            return "the output of prediction \(id) is not a readable video: \(detail)"
        case .journaledPredictionMissing(let id, let journal, let endpoint):
            return "prediction \(id), recorded in \(journal), is not found at \(endpoint) (another account, token or base URL?); "
                + "if it is really gone, delete that file to create a new prediction (this is paid again)"
        case .assetChanged(let path):
            return "'\(path)' changed during the build; run `reel build` again so the clip matches the file"
        }
    }
}

/// `generate/<n>` through a Replicate model: upload or inline the two frames, create the
/// prediction (journaled before and after), poll it to the end, stream the output to disk with
/// the Authorization header, check it with ffprobe and store it.
public struct ReplicateExecutor: NodeExecutor {
    public let client: ReplicateClient
    public let pollInterval: Duration
    public let cancelOnInterrupt: Bool
    public let clock: any Clock<Duration>
    /// Images at most this size go inline as data URLs; larger ones through the Files API.
    public static let inlineLimit = 256 * 1024

    public init(client: ReplicateClient, pollInterval: Duration = .seconds(2), cancelOnInterrupt: Bool = false, clock: any Clock<Duration> = ContinuousClock()) {
        self.client = client
        self.pollInterval = pollInterval
        self.cancelOnInterrupt = cancelOnInterrupt
        self.clock = clock
    }

    public func execute(_ spec: NodeSpec, in context: ExecutionContext) async throws -> ActionOutcome {
        guard case .generate(let input) = spec.action, let model = input.settings.model, let modelSpec = input.settings.modelSpec else {
            throw EngineError.wrongAction(spec.id)
        }
        let journal = PredictionJournal(layout: context.store.layout, fileSystem: context.environment.fileSystem)
        let onRetry: @Sendable (Int, String) -> Void = { attempt, reason in context.events(.retrying(spec.id, attempt: attempt, reason: reason)) }
        var predictionID: String?
        var lastStatus: Prediction.Status?
        do {
            var prediction = try await startOrResume(spec, input: input, model: model, modelSpec: modelSpec, journal: journal, context: context, onRetry: onRetry)
            predictionID = prediction.id
            lastStatus = prediction.status
            while !prediction.status.isTerminal {
                try await clock.sleep(for: pollInterval)
                prediction = try await client.prediction(prediction.id, onRetry: onRetry)
                lastStatus = prediction.status
            }
            return try await finish(prediction, spec: spec, input: input, journal: journal, context: context, onRetry: onRetry)
        } catch is CancellationError {
            await interrupted(spec, predictionID: predictionID, lastStatus: lastStatus, journal: journal, context: context)
            throw CancellationError()
        }
    }

    /// Ctrl-C: the journal keeps the prediction for the next run, unless `--cancel-on-interrupt`
    /// cancels it — and the journal entry goes only when the API confirms it stopped. A prediction
    /// that already succeeded is never cancelled: its clip is paid for, and the next run fetches it.
    func interrupted(_ spec: NodeSpec, predictionID: String?, lastStatus: Prediction.Status?, journal: PredictionJournal, context: ExecutionContext) async {
        guard cancelOnInterrupt, lastStatus != .succeeded else {
            if let id = predictionID { context.events(.note("\(spec.id): prediction \(id) stays in the journal; the next build resumes it")) }
            return
        }
        // Interrupted mid-create, the id may be unknown: find it by its fingerprint first.
        let entry = journal.entry(for: spec.key)
        let executor = self
        let outcome: (id: String, status: Prediction.Status?)? = await Task.detached {
            var id = predictionID ?? entry?.predictionID
            if id == nil, let entry { id = try? await executor.reconcile(entry)?.id }
            guard let id else { return nil }
            let reply = try? await executor.client.cancel(id)
            return (id, reply?.status)
        }.value
        guard let outcome else { return }
        if let status = outcome.status, [.canceled, .failed, .aborted].contains(status) {
            journal.remove(spec.key)
            context.events(.note("\(spec.id): cancelled prediction \(outcome.id)"))
        } else {
            context.events(.note("\(spec.id): could not confirm that prediction \(outcome.id) was cancelled; it stays in the journal"))
        }
    }

    /// Resumes the journaled prediction for this node, or creates one.
    func startOrResume(
        _ spec: NodeSpec, input: GenerateInput, model: String, modelSpec: ModelSpec, journal: PredictionJournal, context: ExecutionContext,
        onRetry: @escaping @Sendable (Int, String) -> Void
    ) async throws -> Prediction {
        if let entry = journal.entry(for: spec.key), entry.model == model {
            if let id = entry.predictionID {
                context.events(.note("\(spec.id): resuming prediction \(id) from the journal"))
                do {
                    return try await client.prediction(id, onRetry: onRetry)
                } catch let error as ProviderError where error.status == 404 {
                    throw GenerationError.journaledPredictionMissing(
                        id: id, journal: context.store.layout.journalPath(spec.key).pathString, endpoint: client.baseURL.absoluteString)
                }
            }
            if let found = try await reconcile(entry) {
                context.events(.note("\(spec.id): found prediction \(found.id), whose create response was lost; resuming it"))
                try journal.record(created(entry, id: found.id, context: context))
                return found
            }
        }
        let body = try await requestBody(input: input, modelSpec: modelSpec, context: context)
        let now = context.environment.now()
        let entry = JournalEntry(
            nodeKey: spec.key, nodeID: spec.id.rawValue, provider: "replicate", model: model, state: .creating, predictionID: nil,
            fingerprint: ReplicateExecutor.fingerprint(model: model, body: body), createdAfter: iso8601(now.addingTimeInterval(-120)),
            updatedAt: iso8601(now))
        try journal.record(entry)
        let prediction: Prediction
        do {
            prediction = try await client.createPrediction(model: model, body: body, onRetry: onRetry)
        } catch let error as ProviderError {
            if case .ambiguousCreate = error {
                try await clock.sleep(for: .seconds(1))
                if let found = try? await reconcile(entry) {
                    context.events(.note("\(spec.id): found prediction \(found.id), whose create response was lost; resuming it"))
                    try journal.record(created(entry, id: found.id, context: context))
                    return found
                }
                throw error  // the journal keeps `creating`: the next run looks again before creating
            }
            // Only a definite refusal (a 4xx answer, or a request that provably never left) created nothing.
            let refused: Bool
            switch error {
            case .http(_, _, let status, _): refused = (400..<500).contains(status)
            case .exhausted: refused = true
            default: refused = false
            }
            if refused { journal.remove(spec.key) }
            throw error
        }
        try journal.record(created(entry, id: prediction.id, context: context))
        context.events(.note("\(spec.id): prediction \(prediction.id) created"))
        return prediction
    }

    func created(_ entry: JournalEntry, id: String, context: ExecutionContext) -> JournalEntry {
        var updated = entry
        updated.state = .created
        updated.predictionID = id
        updated.updatedAt = iso8601(context.environment.now())
        return updated
    }

    /// Looks through recent predictions for one with this entry's model and fingerprint.
    func reconcile(_ entry: JournalEntry) async throws -> Prediction? {
        let recent = try await client.recentPredictions(createdAfter: entry.createdAfter)
        return recent.first { prediction in
            guard prediction.model == nil || prediction.model == entry.model, let input = prediction.inputJSON else { return false }
            if let created = prediction.createdAt.flatMap(Timestamp.parse), let after = Timestamp.parse(entry.createdAfter),
                created < after
            {
                return false
            }
            return ReplicateExecutor.fingerprint(model: entry.model, inputJSON: input) == entry.fingerprint
        }
    }

    /// `{"input": {...}}` with the two frames added to the node's model input.
    func requestBody(input: GenerateInput, modelSpec: ModelSpec, context: ExecutionContext) async throws -> Data {
        var values = input.modelInput
        values[modelSpec.firstFrameField] = .string(try await frameURL(input.first, digest: input.firstDigest, context: context))
        values[modelSpec.lastFrameField] = .string(try await frameURL(input.last, digest: input.lastDigest, context: context))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(["input": CanonicalValue.object(values)])
    }

    /// A data URL for a small image, else a (reused) upload.
    func frameURL(_ asset: ResolvedAsset, digest: Digest, context: ExecutionContext) async throws -> String {
        let preparer = ImagePreparer(
            runner: context.environment.runner, fileSystem: context.environment.fileSystem, temporaryRoot: context.store.layout.temporaryRoot)
        let image = try await preparer.prepared(asset, expected: digest, maxEdge: nil, maxBytes: 100 * 1024 * 1024)
        if image.data.count <= ReplicateExecutor.inlineLimit { return ImagePreparer.dataURL(image.data, mime: image.mime) }
        let uploads = UploadCache(root: context.store.layout.versionRoot.appending("uploads"), fileSystem: context.environment.fileSystem)
        let endpoint = client.baseURL.absoluteString
        if let known = uploads.lookup(digest, endpoint: endpoint, now: context.environment.now()) { return known.url }
        let file = try await client.upload(image.data, filename: "\(digest.short).\(image.ext)", contentType: image.mime)
        uploads.remember(file, for: digest, endpoint: endpoint)
        return file.url
    }

    /// Downloads, checks and stores a finished prediction's output.
    func finish(
        _ prediction: Prediction, spec: NodeSpec, input: GenerateInput, journal: PredictionJournal, context: ExecutionContext,
        onRetry: @escaping @Sendable (Int, String) -> Void
    ) async throws -> ActionOutcome {
        guard prediction.status == .succeeded else {
            journal.remove(spec.key)
            throw GenerationError.predictionEnded(id: prediction.id, status: prediction.status.rawValue, message: prediction.error)
        }
        if prediction.dataRemoved {
            journal.remove(spec.key)
            throw GenerationError.outputExpired(id: prediction.id)
        }
        guard let url = prediction.outputURLs.first else {
            throw GenerationError.unreadableOutput(id: prediction.id, detail: "the prediction succeeded but lists no output file")
        }
        let temporary = try context.temporaryPath("prediction.mp4")
        defer { try? context.environment.fileSystem.remove(temporary) }
        do {
            _ = try await client.download(url, to: temporary, onRetry: onRetry)
        } catch let error as ProviderError where error.status == 404 || error.status == 410 {
            journal.remove(spec.key)
            throw GenerationError.outputExpired(id: prediction.id)
        }
        let info: MediaInfo
        do {
            info = try await MediaProbe(runner: context.environment.runner).probe(temporary)
        } catch {
            throw GenerationError.unreadableOutput(id: prediction.id, detail: "\(error)")
        }
        guard info.duration > 0, info.width > 0 else { throw GenerationError.unreadableOutput(id: prediction.id, detail: "no frames") }
        // The journal entry stays until the engine has recorded this result in the action cache.
        let output = try await context.storeFile(temporary, as: NodeKind.generate.outputName)
        let settings = input.settings
        let cost = settings.modelSpec?.estimatedCost(duration: Int(settings.duration), resolution: settings.modelResolution ?? "", audio: settings.audio) ?? 0
        var metadata: [String: CanonicalValue] = [
            "provider": "replicate", "model": .string(settings.model ?? ""), "prediction_id": .string(prediction.id),
            "media": info.canonical, "cost_usd": .decimal(cost), "cost_is_estimate": true,
        ]
        if let seconds = prediction.predictTime { metadata["predict_time"] = .decimal(seconds) }
        return ActionOutcome(outputs: [output], metadata: metadata)
    }

    /// Identifies a request by model and its input (frames included), from the JSON body sent or
    /// the input a listed prediction echoes: both are normalised through `CanonicalValue`.
    static func fingerprint(model: String, body: Data) -> String {
        guard let object = try? JSONDecoder().decode([String: CanonicalValue].self, from: body), let input = object["input"] else {
            return Digest.of(body).hex
        }
        return Digest.of(string: model + "\n" + input.canonicalText).hex
    }

    static func fingerprint(model: String, inputJSON: Data) -> String {
        guard let input = try? JSONDecoder().decode(CanonicalValue.self, from: inputJSON) else { return "" }
        return Digest.of(string: model + "\n" + input.canonicalText).hex
    }
}

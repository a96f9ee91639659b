import Foundation
import ReelBasics
import ReelGraph
import ReelProviders

/// Replicate as a `GenerationProvider`: predictions on official models
/// (`POST /models/{owner}/{name}/predictions`), small frames inline as data URLs and larger ones
/// through the Files API (uploads reused while valid), recent predictions through the list
/// endpoint with their echoed inputs.
public struct ReplicateGeneration: GenerationProvider {
    public let client: ReplicateClient
    /// Images at most this size go inline as data URLs; larger ones through the Files API.
    public static let inlineLimit = 256 * 1024

    public init(client: ReplicateClient) {
        self.client = client
    }

    public var name: String { "replicate" }
    public var endpoint: String { client.baseURL.absoluteString }
    public var capabilities: GenerationCapabilities {
        GenerationCapabilities(canListRecent: true, canCancel: true, outputRetention: .seconds(3600))
    }

    public func prepare(_ request: GenerationRequest, first: GenerationImage, last: GenerationImage, scratch: GenerationScratch) async throws
        -> PreparedGeneration
    {
        var values = request.input
        values[request.firstFrameField] = .string(try await frameURL(first, scratch: scratch))
        values[request.lastFrameField] = .string(try await frameURL(last, scratch: scratch))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = try encoder.encode(["input": CanonicalValue.object(values)])
        return PreparedGeneration(
            model: request.model, body: body, fingerprint: ReplicateGeneration.fingerprint(model: request.model, body: body),
            looseFingerprint: ReplicateGeneration.fingerprint(model: request.model, input: .object(request.input)),
            frameForms: ReplicateGeneration.frameForms(values, fields: [request.firstFrameField, request.lastFrameField]))
    }

    /// A data URL for a small image, else a (reused) upload.
    func frameURL(_ image: GenerationImage, scratch: GenerationScratch) async throws -> String {
        if image.data.count <= ReplicateGeneration.inlineLimit { return ImagePreparer.dataURL(image.data, mime: image.mime) }
        let uploads = UploadCache(root: scratch.root, fileSystem: scratch.fileSystem)
        if let known = uploads.lookup(image.digest, endpoint: endpoint, now: scratch.now) { return known.url }
        let file = try await client.upload(image.data, filename: "\(image.digest.short).\(image.ext)", contentType: image.mime)
        uploads.remember(file, for: image.digest, endpoint: endpoint)
        return file.url
    }

    public func create(_ request: PreparedGeneration, onRetry: @escaping @Sendable (Int, String) -> Void) async throws -> RemoteGeneration {
        ReplicateGeneration.generation(try await client.createPrediction(model: request.model, body: request.body, onRetry: onRetry))
    }

    public func status(_ id: String, onRetry: @escaping @Sendable (Int, String) -> Void) async throws -> RemoteGeneration {
        ReplicateGeneration.generation(try await client.prediction(id, onRetry: onRetry))
    }

    public func cancel(_ id: String) async throws -> RemoteGeneration? {
        try await client.cancel(id).map { ReplicateGeneration.generation($0) }
    }

    public func findRecent(model: String, createdAfter: String, frameFields: [String]) async throws -> [RemoteGeneration] {
        try await client.recentPredictions(createdAfter: createdAfter).map { prediction in
            var generation = ReplicateGeneration.generation(
                prediction, fingerprint: prediction.inputJSON.map { ReplicateGeneration.fingerprint(model: model, inputJSON: $0) })
            if let data = prediction.inputJSON, case .object(var input)? = try? JSONDecoder().decode(CanonicalValue.self, from: data) {
                generation.frameForms = ReplicateGeneration.frameForms(input, fields: frameFields)
                for field in frameFields { input[field] = nil }
                generation.looseFingerprint = ReplicateGeneration.fingerprint(model: model, input: .object(input))
            }
            return generation
        }
    }

    public func download(_ output: String, to destination: AbsolutePath, onRetry: @escaping @Sendable (Int, String) -> Void) async throws {
        _ = try await client.download(output, to: destination, onRetry: onRetry)
    }

    public func classifyCreateFailure(_ error: any Error) -> CreateFailure {
        guard let error = error as? ProviderError else { return .unknown }
        switch error {
        case .ambiguousCreate: return .ambiguous
        // Only a definite refusal (a 4xx answer, or a request that provably never left) created nothing.
        case .http(_, _, let status, _): return (400..<500).contains(status) ? .refused : .unknown
        // A create is retried only while it provably never left, so running out means nothing was sent.
        case .exhausted: return .refused
        case .malformedResponse: return .unknown
        }
    }

    public func isNotFound(_ error: any Error) -> Bool {
        guard let status = (error as? ProviderError)?.status else { return false }
        return status == 404 || status == 410
    }

    static func generation(_ prediction: Prediction, fingerprint: String? = nil) -> RemoteGeneration {
        let status: GenerationStatus
        switch prediction.status {
        case .starting: status = .queued
        case .processing: status = .running
        case .succeeded: status = .succeeded
        case .failed: status = .failed
        case .canceled, .aborted: status = .canceled
        case .unknown: status = .unknown(prediction.statusText)
        }
        var generation = RemoteGeneration(
            id: prediction.id, model: prediction.model, status: status, providerStatus: prediction.statusText, outputs: prediction.outputURLs,
            error: prediction.error, createdAt: prediction.createdAt, outputsRemoved: prediction.dataRemoved, computeSeconds: prediction.predictTime,
            fingerprint: fingerprint)
        generation.completedAt = prediction.completedAt
        return generation
    }

    /// Identifies a request by model and its input (frames included), from the JSON body sent or
    /// the input a listed prediction echoes: both are normalised through `CanonicalValue`.
    static func fingerprint(model: String, body: Data) -> String {
        guard let object = try? JSONDecoder().decode([String: CanonicalValue].self, from: body), let input = object["input"] else {
            return Digest.of(body).hex
        }
        return Digest.of(string: model + "\n" + input.canonicalText).hex
    }

    /// `data|data`, `api.replicate.com|…`: how each frame input is written (inline, or a URL's host).
    static func frameForms(_ input: [String: CanonicalValue], fields: [String]) -> String {
        fields.map { field -> String in
            guard let text = input[field]?.stringValue else { return "-" }
            if text.hasPrefix("data:") { return "data" }
            return URL(string: text)?.host?.lowercased() ?? "?"
        }.joined(separator: "|")
    }

    static func fingerprint(model: String, input: CanonicalValue) -> String {
        Digest.of(string: model + "\n" + input.canonicalText).hex
    }

    static func fingerprint(model: String, inputJSON: Data) -> String {
        guard let input = try? JSONDecoder().decode(CanonicalValue.self, from: inputJSON) else { return "" }
        return Digest.of(string: model + "\n" + input.canonicalText).hex
    }
}

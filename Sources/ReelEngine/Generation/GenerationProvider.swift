import Foundation
import ReelBasics
import ReelGraph

/// Where a remote generation is in its life, in provider-neutral terms.
public enum GenerationStatus: Sendable, Equatable, CustomStringConvertible {
    case queued, running, succeeded, failed, canceled
    /// A status this version does not know: never guessed at (it is an error, not "running").
    case unknown(String)

    /// Whether the generation has stopped (and will not be billed further).
    public var isTerminal: Bool {
        switch self {
        case .queued, .running, .unknown: return false
        case .succeeded, .failed, .canceled: return true
        }
    }

    public var description: String {
        switch self {
        case .queued: return "queued"
        case .running: return "running"
        case .succeeded: return "succeeded"
        case .failed: return "failed"
        case .canceled: return "canceled"
        case .unknown(let text): return text
        }
    }
}

/// One remote generation as a provider reports it.
public struct RemoteGeneration: Sendable, Equatable {
    public var id: String
    public var model: String?
    public var status: GenerationStatus
    /// The provider's own word for the status (`processing`, `aborted`…), for messages and the ledger.
    public var providerStatus: String
    /// Output file URLs (empty when none, or removed).
    public var outputs: [String]
    public var error: String?
    /// When it was created (ISO 8601), if the provider says.
    public var createdAt: String?
    /// When it ended (ISO 8601), if the provider says.
    public var completedAt: String?
    /// The provider deleted the outputs.
    public var outputsRemoved: Bool
    /// Seconds of compute the provider reports (not queueing).
    public var computeSeconds: Double?
    /// The fingerprint of the input the provider echoed back (see `PreparedGeneration.fingerprint`),
    /// when it echoes one: how a generation whose create reply was lost is recognised.
    public var fingerprint: String?
    /// The fingerprint of the echoed input without its frames (see `PreparedGeneration.looseFingerprint`).
    public var looseFingerprint: String?
    /// The form of the echoed frame inputs (see `PreparedGeneration.frameForms`).
    public var frameForms: String?

    public init(
        id: String, model: String? = nil, status: GenerationStatus, providerStatus: String? = nil, outputs: [String] = [], error: String? = nil,
        createdAt: String? = nil, outputsRemoved: Bool = false, computeSeconds: Double? = nil, fingerprint: String? = nil,
        looseFingerprint: String? = nil
    ) {
        self.looseFingerprint = looseFingerprint
        self.id = id
        self.model = model
        self.status = status
        self.providerStatus = providerStatus ?? status.description
        self.outputs = outputs
        self.error = error
        self.createdAt = createdAt
        self.outputsRemoved = outputsRemoved
        self.computeSeconds = computeSeconds
        self.fingerprint = fingerprint
    }
}

/// A frame, prepared (checked against its digest, converted if needed) for sending.
public struct GenerationImage: Sendable, Equatable {
    public var data: Data
    public var mime: String
    public var ext: String
    public var digest: Digest

    public init(data: Data, mime: String, ext: String, digest: Digest) {
        self.data = data
        self.mime = mime
        self.ext = ext
        self.digest = digest
    }
}

/// A request ready to send: the provider's own body, and a fingerprint that identifies it among
/// the provider's recent generations (the idempotency fingerprint journaled before the create).
public struct PreparedGeneration: Sendable, Equatable {
    public var model: String
    public var body: Data
    /// Identifies the whole request (model and input, frames included).
    public var fingerprint: String
    /// Identifies the request without its frames: model and the non-image inputs, which a provider
    /// certainly echoes back even when it rewrites frame inputs (data URLs).
    public var looseFingerprint: String
    /// The form the frames were sent in (`data`, or an upload host): when a listed generation echoes
    /// its frames in the same form, the full fingerprint decides; otherwise they cannot be compared.
    public var frameForms: String

    public init(model: String, body: Data, fingerprint: String, looseFingerprint: String, frameForms: String = "") {
        self.frameForms = frameForms
        self.model = model
        self.body = body
        self.fingerprint = fingerprint
        self.looseFingerprint = looseFingerprint
    }
}

/// What a provider can do beyond create and status.
public struct GenerationCapabilities: Sendable, Equatable {
    /// It lists recent generations (`findRecent`), so a lost create reply can be found again.
    public var canListRecent: Bool
    /// It cancels running generations.
    public var canCancel: Bool
    /// How long outputs stay downloadable after the generation ends, when the provider deletes them.
    public var outputRetention: Duration?

    public init(canListRecent: Bool, canCancel: Bool, outputRetention: Duration?) {
        self.canListRecent = canListRecent
        self.canCancel = canCancel
        self.outputRetention = outputRetention
    }
}

/// How a failed create ended, as far as the provider can tell.
public enum CreateFailure: Sendable, Equatable {
    /// Definitely refused, or never sent: nothing was created, nothing is billed.
    case refused
    /// It may have reached the provider: look for it before creating again.
    case ambiguous
    /// Anything else: the journal keeps the request, and the next run looks for it.
    case unknown
}

/// A remote image-to-video provider, in provider-neutral terms. The generic
/// `RemoteGenerationExecutor` owns the journal, reconciliation, polling, download and checks;
/// an implementation only speaks its provider's API. Chosen by the model registry's `provider`.
public protocol GenerationProvider: Sendable {
    /// The registry's `provider` value this implementation serves (`replicate`).
    var name: String { get }
    /// The API endpoint, for messages (never a secret).
    var endpoint: String { get }
    var capabilities: GenerationCapabilities { get }

    /// The provider's request for `request` with the two frames added (inline or uploaded).
    func prepare(_ request: GenerationRequest, first: GenerationImage, last: GenerationImage, scratch: GenerationScratch) async throws
        -> PreparedGeneration
    /// Creates the generation. Never retried blindly: a create that may have arrived throws, and
    /// `classifyCreateFailure` says whether it may exist.
    func create(_ request: PreparedGeneration, onRetry: @escaping @Sendable (Int, String) -> Void) async throws -> RemoteGeneration
    /// The generation's current state.
    func status(_ id: String, onRetry: @escaping @Sendable (Int, String) -> Void) async throws -> RemoteGeneration
    /// Asks the provider to stop it; `nil` when the reply says nothing about its state.
    func cancel(_ id: String) async throws -> RemoteGeneration?
    /// Generations of `model` created after `createdAfter` (ISO 8601), newest first, each with the
    /// fingerprints of its echoed input (whole, and without `frameFields`) where it echoes one.
    func findRecent(model: String, createdAfter: String, frameFields: [String]) async throws -> [RemoteGeneration]
    /// Streams an output to `destination`.
    func download(_ output: String, to destination: AbsolutePath, onRetry: @escaping @Sendable (Int, String) -> Void) async throws

    /// What a failed `create` means.
    func classifyCreateFailure(_ error: any Error) -> CreateFailure
    /// Whether `error` says the thing asked for does not exist (a 404 or 410).
    func isNotFound(_ error: any Error) -> Bool
}

/// Local state a provider may keep between runs (uploads it can reuse), under the cache.
public struct GenerationScratch: Sendable {
    public var root: AbsolutePath
    public var fileSystem: any FileSystem
    public var now: Date

    public init(root: AbsolutePath, fileSystem: any FileSystem, now: Date) {
        self.root = root
        self.fileSystem = fileSystem
        self.now = now
    }
}

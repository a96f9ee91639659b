import Foundation
import ReelBasics
import ReelEngine
import ReelGraph
import Synchronization

/// A generation provider written in Swift against `GenerationProvider` (no HTTP, no Replicate
/// wire format): proof that the generic executor, the journal and the ledger work with any
/// provider. Generations run for `pollsToFinish` status calls, or until released when `hold` is set.
public final class FakeGenerationProvider: GenerationProvider {
    public struct Generation: Sendable {
        public var id: String
        public var model: String
        public var fingerprint: String
        public var polls: Int
        public var status: GenerationStatus
        public var createdAt: String
    }

    struct State {
        var generations: [String: Generation] = [:]
        var order: [String] = []
        var creates = 0
        var statusCalls = 0
        var cancels = 0
        var downloads = 0
        var hold = false
        var pollsToFinish = 1
        var listing = true
    }

    private let state = Mutex(State())
    /// The clip every succeeded generation returns.
    public let output: AbsolutePath
    public let name: String

    public init(name: String = "fakegen", output: AbsolutePath) {
        self.name = name
        self.output = output
    }

    public var endpoint: String { "in-process:\(name)" }
    public var capabilities: GenerationCapabilities {
        GenerationCapabilities(canListRecent: state.withLock { $0.listing }, canCancel: true, outputRetention: nil)
    }

    /// While set, generations stay `running`.
    public var hold: Bool {
        get { state.withLock { $0.hold } }
        set { state.withLock { $0.hold = newValue } }
    }

    public var createCount: Int { state.withLock { $0.creates } }
    public var statusCount: Int { state.withLock { $0.statusCalls } }
    public var downloadCount: Int { state.withLock { $0.downloads } }
    public var generations: [Generation] { state.withLock { state in state.order.compactMap { state.generations[$0] } } }

    public func prepare(_ request: GenerationRequest, first: GenerationImage, last: GenerationImage, scratch: GenerationScratch) async throws
        -> PreparedGeneration
    {
        var input = request.input
        input[request.firstFrameField] = .string("digest:\(first.digest.hex)")
        input[request.lastFrameField] = .string("digest:\(last.digest.hex)")
        let text = CanonicalValue.object(input).canonicalText
        return PreparedGeneration(model: request.model, body: Data(text.utf8), fingerprint: Digest.of(string: request.model + "\n" + text).hex)
    }

    public func create(_ request: PreparedGeneration, onRetry: @escaping @Sendable (Int, String) -> Void) async throws -> RemoteGeneration {
        let generation = state.withLock { state -> Generation in
            state.creates += 1
            let id = "fg-\(state.creates)"
            let generation = Generation(
                id: id, model: request.model, fingerprint: request.fingerprint, polls: 0, status: .queued, createdAt: Timestamp.iso8601(Date()))
            state.generations[id] = generation
            state.order.append(id)
            return generation
        }
        return remote(generation)
    }

    public func status(_ id: String, onRetry: @escaping @Sendable (Int, String) -> Void) async throws -> RemoteGeneration {
        try state.withLock { state -> RemoteGeneration in
            state.statusCalls += 1
            guard var generation = state.generations[id] else { throw FakeGenerationError.notFound(id) }
            if !generation.status.isTerminal {
                generation.polls += 1
                generation.status = state.hold || generation.polls < state.pollsToFinish ? .running : .succeeded
            }
            state.generations[id] = generation
            return remote(generation)
        }
    }

    public func cancel(_ id: String) async throws -> RemoteGeneration? {
        try state.withLock { state -> RemoteGeneration? in
            state.cancels += 1
            guard var generation = state.generations[id] else { throw FakeGenerationError.notFound(id) }
            if !generation.status.isTerminal { generation.status = .canceled }
            state.generations[id] = generation
            return remote(generation)
        }
    }

    public func findRecent(model: String, createdAfter: String) async throws -> [RemoteGeneration] {
        generations.reversed().filter { $0.model == model }.map(remote)
    }

    public func download(_ output: String, to destination: AbsolutePath, onRetry: @escaping @Sendable (Int, String) -> Void) async throws {
        state.withLock { $0.downloads += 1 }
        try? FileManager.default.removeItem(atPath: destination.pathString)
        try FileManager.default.copyItem(atPath: self.output.pathString, toPath: destination.pathString)
    }

    public func classifyCreateFailure(_ error: any Error) -> CreateFailure { .unknown }

    public func isNotFound(_ error: any Error) -> Bool {
        if case FakeGenerationError.notFound = error { return true }
        return false
    }

    func remote(_ generation: Generation) -> RemoteGeneration {
        RemoteGeneration(
            id: generation.id, model: generation.model, status: generation.status,
            outputs: generation.status == .succeeded ? ["fake://\(generation.id)/output.mp4"] : [], createdAt: generation.createdAt,
            fingerprint: generation.fingerprint)
    }
}

public enum FakeGenerationError: Error, Sendable {
    case notFound(String)
}

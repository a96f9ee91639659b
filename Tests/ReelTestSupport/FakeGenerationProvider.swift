import Foundation
import ReelBasics
import ReelEngine
import ReelGraph
import ReelLedger
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
        var refuseCreates = false
        var reportedStatus: GenerationStatus?
        var failing: Set<Int> = []
        var statusErrors = 0
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

    /// While set, every status call reports this status (e.g. one the client does not know).
    public var reportedStatus: GenerationStatus? {
        get { state.withLock { $0.reportedStatus } }
        set { state.withLock { $0.reportedStatus = newValue } }
    }

    /// The generations (by creation number, from 1) that end `failed`.
    public var failing: Set<Int> {
        get { state.withLock { $0.failing } }
        set { state.withLock { $0.failing = newValue } }
    }

    /// The next this many status calls fail (as an API outage would, after the client's retries).
    public var statusErrors: Int {
        get { state.withLock { $0.statusErrors } }
        set { state.withLock { $0.statusErrors = newValue } }
    }

    /// While set, creates are refused (as a 4xx would be): nothing is created.
    public var refuseCreates: Bool {
        get { state.withLock { $0.refuseCreates } }
        set { state.withLock { $0.refuseCreates = newValue } }
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
        return PreparedGeneration(
            model: request.model, body: Data(text.utf8), fingerprint: Digest.of(string: request.model + "\n" + text).hex,
            looseFingerprint: Digest.of(string: request.model + "\n" + CanonicalValue.object(request.input).canonicalText).hex,
            frameForms: "digest|digest")
    }

    public func create(_ request: PreparedGeneration, onRetry: @escaping @Sendable (Int, String) -> Void) async throws -> RemoteGeneration {
        let generation = try state.withLock { state -> Generation in
            if state.refuseCreates { throw FakeGenerationError.refused("the fake provider refuses this request") }
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
            if state.statusErrors > 0 {
                state.statusErrors -= 1
                throw FakeGenerationError.unavailable("HTTP 500: internal error")
            }
            guard var generation = state.generations[id] else { throw FakeGenerationError.notFound(id) }
            if !generation.status.isTerminal {
                generation.polls += 1
                let number = Int(id.dropFirst(3)) ?? 0
                generation.status = state.hold || generation.polls < state.pollsToFinish ? .running
                    : state.failing.contains(number) ? .failed : .succeeded
                if let reported = state.reportedStatus { generation.status = reported }
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

    public func findRecent(model: String, createdAfter: String, frameFields: [String]) async throws -> [RemoteGeneration] {
        generations.reversed().filter { $0.model == model }.map(remote)
    }

    public func download(_ output: String, to destination: AbsolutePath, onRetry: @escaping @Sendable (Int, String) -> Void) async throws {
        state.withLock { $0.downloads += 1 }
        try? FileManager.default.removeItem(atPath: destination.pathString)
        try FileManager.default.copyItem(atPath: self.output.pathString, toPath: destination.pathString)
    }

    public func classifyCreateFailure(_ error: any Error) -> CreateFailure {
        if case FakeGenerationError.refused = error { return .refused }
        return .unknown
    }

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
    case refused(String)
    case unavailable(String)
}

/// A spend ledger whose writes fail while `failing` is set (a locked or full database), over a
/// real `Ledger`.
public final class FailingLedger: SpendLedger {
    public let base: Ledger
    private let failingWrites = Mutex(false)

    public init(_ base: Ledger) {
        self.base = base
    }

    public var failing: Bool {
        get { failingWrites.withLock { $0 } }
        set { failingWrites.withLock { $0 = newValue } }
    }

    struct Locked: Error, CustomStringConvertible {
        var description: String { "database is locked" }
    }

    public func reserve(
        runID: String, campaign: String, nodeID: String, nodeKey: String, provider: String, model: String, estimate: Double, caps: BudgetCaps,
        takeOver: Bool, now: String
    ) async throws -> Reservation {
        try base.reserve(
            runID: runID, campaign: campaign, nodeID: nodeID, nodeKey: nodeKey, provider: provider, model: model, estimate: estimate, caps: caps,
            takeOver: takeOver, now: now)
    }

    public func settle(_ reservation: Reservation, actualUSD: Double, predictionID: String?, status: String, now: String) async throws {
        if failing { throw Locked() }
        try base.settle(reservation, actualUSD: actualUSD, predictionID: predictionID, status: status, now: now)
    }

    public func release(_ reservation: Reservation, now: String) async throws {
        if failing { throw Locked() }
        try base.release(reservation, now: now)
    }

    public func committed(campaign: String) async throws -> Double { try base.committed(campaign: campaign) }
    public func committed(run: String) async throws -> Double { try base.committed(run: run) }
    public func reserved(campaign: String, nodeKeys: [String]) async throws -> Double { try base.reserved(campaign: campaign, nodeKeys: nodeKeys) }
    public func rows(campaign: String?) async throws -> [SpendRow] { try base.rows(campaign: campaign) }
    public func openReservations(campaign: String?) async throws -> [SpendRow] { try base.openReservations(campaign: campaign) }
}

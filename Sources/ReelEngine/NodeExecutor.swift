import Foundation
import ReelBasics
import ReelCache
import ReelGraph

/// What running a node produced: blobs already in the content store, plus metadata for the
/// action cache (provider, model, prediction id, cost, media facts, token usage…).
public struct ActionOutcome: Sendable, Equatable {
    public var outputs: [ActionOutput]
    public var metadata: [String: CanonicalValue]

    public init(outputs: [ActionOutput], metadata: [String: CanonicalValue] = [:]) {
        self.outputs = outputs
        self.metadata = metadata
    }
}

/// Everything an executor may use.
public struct ExecutionContext: Sendable {
    public var environment: BuildEnvironment
    public var store: CacheStore
    /// Results of the node's dependencies.
    public var upstream: [NodeID: CachedResult]
    public var events: BuildEventSink
    /// The shared journal when a database is configured (else the cache's `journal/` folder).
    public var sharedJournal: (any JournalStore)?

    public init(
        environment: BuildEnvironment, store: CacheStore, upstream: [NodeID: CachedResult], events: @escaping BuildEventSink,
        journal: (any JournalStore)? = nil
    ) {
        self.environment = environment
        self.store = store
        self.upstream = upstream
        self.events = events
        self.sharedJournal = journal
    }

    /// Where in-flight remote work is journaled.
    public var journal: any JournalStore {
        sharedJournal ?? PredictionJournal(layout: store.layout, fileSystem: environment.fileSystem)
    }

    /// Stores a file that the action wrote (moving it into the store).
    public func storeFile(_ file: AbsolutePath, as name: String) async throws -> ActionOutput {
        let size = environment.fileSystem.info(file)?.size ?? 0
        let digest = try await store.content.insert(movingFile: file)
        return ActionOutput(name: name, digest: digest, size: size)
    }

    /// Stores bytes.
    public func storeData(_ data: Data, as name: String) async throws -> ActionOutput {
        ActionOutput(name: name, digest: try await store.content.insert(data), size: Int64(data.count))
    }

    /// Removes an action's scratch file (gone already when it was stored); a failure is said, and
    /// `reel cache gc` removes the leftover later.
    public func removeScratch(_ path: AbsolutePath) {
        do {
            try environment.fileSystem.remove(path)
        } catch {
            events(.note("could not remove the scratch file \(path): \(error); `reel cache gc` removes it"))
        }
    }

    /// A fresh temporary path in the cache's file system.
    public func temporaryPath(_ name: String) throws -> AbsolutePath {
        try store.content.temporaryPath(named: name)
    }
}

/// Runs one kind of node.
public protocol NodeExecutor: Sendable {
    /// Runs `spec` and returns its stored outputs.
    /// - Throws: an error whose description tells the user what went wrong and what to do.
    func execute(_ spec: NodeSpec, in context: ExecutionContext) async throws -> ActionOutcome
    /// Whether it calls a paid provider: the engine then reserves the node's estimate in the
    /// ledger first, even when the estimate is zero.
    var isPaid: Bool { get }
}

extension NodeExecutor {
    public var isPaid: Bool { false }
}

/// Failures the engine reports for a node.
public enum EngineError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The node needs a provider that is not configured in this build.
    case providerUnavailable(String)
    /// A node's action does not match the executor it was given.
    case wrongAction(NodeID)
    /// An upstream result the node needs is missing.
    case missingInput(NodeID, String)
    /// The produced media is not what was asked for.
    case badOutput(NodeID, String)

    public var description: String {
        switch self {
        case .providerUnavailable(let what): return what
        case .wrongAction(let id): return "internal error: \(id) was given to the wrong executor"
        case .missingInput(let id, let what): return "\(id) is missing its input \(what); run `reel build` again"
        case .badOutput(let id, let what): return "\(id) produced an unusable result: \(what)"
        }
    }
}

import Foundation
import ReelBasics
import ReelEngine
import ReelGraph
import Synchronization

/// An executor that records which nodes ran and produces deterministic outputs from a closure:
/// engine tests of caching, early cutoff and failure handling without ffmpeg or a network.
public final class RecordingExecutor: NodeExecutor {
    public typealias Produce = @Sendable (NodeSpec, ExecutionContext) throws -> (Data, [String: CanonicalValue])

    private let runs = Mutex<[NodeID]>([])
    private let produce: Produce

    public init(_ produce: @escaping Produce) {
        self.produce = produce
    }

    public func execute(_ spec: NodeSpec, in context: ExecutionContext) async throws -> ActionOutcome {
        runs.withLock { $0.append(spec.id) }
        let (data, metadata) = try produce(spec, context)
        return ActionOutcome(outputs: [try await context.storeData(data, as: spec.kind.outputName)], metadata: metadata)
    }

    /// The nodes run so far, in order.
    public var ran: [NodeID] { runs.withLock { $0 } }

    /// Forgets the runs so far.
    public func reset() {
        runs.withLock { $0.removeAll() }
    }

    /// An executor whose output is a pure function of the node's inputs (not its whole key), like a
    /// well-behaved generator: a clip from (first, last), a video from the clips.
    public static func contentAddressed() -> RecordingExecutor {
        RecordingExecutor { spec, _ in
            let inputs = spec.keyMaterial.inputs.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.hex)" }.joined(separator: ",")
            return (Data("\(spec.kind.rawValue)(\(inputs))".utf8), [:])
        }
    }

    /// A selector that always returns `pairs`, whatever changed in its key.
    public static func fixedSelector(_ pairs: [(String, String)]) -> RecordingExecutor {
        RecordingExecutor { _, _ in
            let selection = Selection(pairs: pairs.map { SelectedPair(first: $0.0, last: $0.1, score: 0.5, reasoning: "fixed") })
            return (selection.canonicalData(), [:])
        }
    }
}

import Foundation
import ReelBasics

/// A pair chosen by a selector (or written in the manifest), with why.
public struct SelectedPair: Sendable, Equatable, Codable {
    public var first: String
    public var last: String
    /// 0…1, higher is better.
    public var score: Double
    public var reasoning: String
    /// A motion prompt for the clip, when the selector wrote one.
    public var prompt: String?

    public init(first: String, last: String, score: Double, reasoning: String, prompt: String? = nil) {
        self.first = first
        self.last = last
        self.score = score
        self.reasoning = reasoning
        self.prompt = prompt
    }
}

/// The output of the `select` node: stored as a canonical JSON blob, so identical selections have
/// identical digests (early cutoff).
public struct Selection: Sendable, Equatable, Codable {
    public var pairs: [SelectedPair]

    public init(pairs: [SelectedPair]) {
        self.pairs = pairs
    }

    /// The canonical bytes stored in the content store.
    public func canonicalData() -> Data {
        let value = CanonicalValue.object([
            "pairs": .array(pairs.map { pair in
                var members: [String: CanonicalValue] = [
                    "first": .string(pair.first), "last": .string(pair.last),
                    "score": .decimal(pair.score), "reasoning": .string(pair.reasoning),
                ]
                if let prompt = pair.prompt { members["prompt"] = .string(prompt) }
                return .object(members)
            })
        ])
        return Data(value.canonicalText.utf8)
    }

    /// Reads a selection blob.
    public init(data: Data) throws {
        self.init(raw: try JSONDecoder().decode(RawSelection.self, from: data))
    }

    /// A selection blob's content, or nil when it is not in the form this version writes (an older
    /// or damaged blob: selecting again is right). Reading the bytes is the caller's, and fails closed.
    public init?(decoding data: Data) {
        do {
            self.init(raw: try JSONDecoder().decode(RawSelection.self, from: data))
        } catch {
            return nil
        }
    }

    private init(raw: RawSelection) {
        self.pairs = raw.pairs.map { pair in
            SelectedPair(first: pair.first, last: pair.last, score: pair.score, reasoning: pair.reasoning, prompt: pair.prompt)
        }
    }

    private struct RawSelection: Decodable {
        var pairs: [RawPair]
    }

    private struct RawPair: Decodable {
        var first: String
        var last: String
        var score: Double
        var reasoning: String
        var prompt: String?
    }
}

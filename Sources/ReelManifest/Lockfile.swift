import Foundation
import ReelBasics
import Yams

/// The lockfile written next to each manifest (`campaign.yaml` → `campaign.lock`), meant to be
/// committed: per node its key, output digest, model and settings; the selected pairs with score
/// and reasoning. With it and a shared cache, a rerun anywhere reproduces the same video without
/// spending.
public struct Lockfile: Sendable, Equatable, Codable {
    public var version: Int
    public var campaign: String
    public var quality: String
    public var output: LockedOutput?
    public var pairs: [LockedPair]
    /// The chosen takes above 1, each by its pair (and variant): a take follows its pair when the
    /// selection changes. Absent when every clip is take 1.
    public var takes: [LockedTake]?
    /// Each variant's video and clips (`variants:` in the manifest); absent without variants.
    public var variants: [LockedVariant]?
    public var nodes: [LockedNode]

    public init(
        version: Int = 1, campaign: String, quality: String, output: LockedOutput?, pairs: [LockedPair], takes: [LockedTake]? = nil,
        variants: [LockedVariant]? = nil, nodes: [LockedNode]
    ) {
        self.version = version
        self.campaign = campaign
        self.quality = quality
        self.output = output
        self.pairs = pairs
        self.takes = takes
        self.variants = variants
        self.nodes = nodes
    }

    static let header = """
        # reel lockfile: written by `reel build`; do not edit. Commit it with the manifest:
        # with it and a shared cache, a rerun reproduces this video without spending.

        """

    /// The YAML text (deterministic: same lockfile, same bytes).
    /// - Parameter sizeHint: the expected length (the previous lockfile's), to write it in one buffer.
    public func yamlText(sizeHint: Int = 0) throws -> String {
        LockfileEmitter.render(self, sizeHint: sizeHint)
    }

    /// The YAML text, or `nil` when it is exactly `existing` (compared as it is rendered, without
    /// a second copy of an unchanged lockfile in memory).
    public func yamlText(unlessItIs existing: String) -> String? {
        LockfileEmitter.render(self, unlessItIs: existing)
    }

    /// Reads lockfile text.
    /// - Throws: when it is not a lockfile this version of Reel understands.
    public init(yaml: String) throws {
        self = try YAMLDecoder().decode(Lockfile.self, from: yaml)
    }
}

/// The final video in the lockfile.
public struct LockedOutput: Sendable, Equatable, Codable {
    public var path: String
    public var digest: Digest

    public init(path: String, digest: Digest) {
        self.path = path
        self.digest = digest
    }
}

/// A chosen take in the lockfile: the clip of `first` → `last` (in `variant`) is take `take`.
public struct LockedTake: Sendable, Equatable, Codable {
    public var variant: String?
    public var first: String
    public var last: String
    public var take: Int

    public init(variant: String?, first: String, last: String, take: Int) {
        self.variant = variant
        self.first = first
        self.last = last
        self.take = take
    }
}

/// A variant's video in the lockfile: where it is, its digest, and the nodes of its clips (a clip
/// shared with an earlier variant is listed by that variant's node id) and video.
public struct LockedVariant: Sendable, Equatable, Codable {
    public var name: String
    public var path: String
    public var digest: Digest?
    public var clips: [String]
    public var combine: String

    public init(name: String, path: String, digest: Digest?, clips: [String], combine: String) {
        self.name = name
        self.path = path
        self.digest = digest
        self.clips = clips
        self.combine = combine
    }
}

/// A selected pair in the lockfile.
public struct LockedPair: Sendable, Equatable, Codable {
    public var first: String
    public var last: String
    public var score: FixedDecimal
    public var reasoning: String
    public var prompt: String?

    public init(first: String, last: String, score: Double, reasoning: String, prompt: String?) {
        self.first = first
        self.last = last
        self.score = FixedDecimal(score)
        self.reasoning = reasoning
        self.prompt = prompt
    }
}

/// One node in the lockfile.
public struct LockedNode: Sendable, Equatable, Codable {
    public var id: String
    public var kind: String
    public var key: Digest
    public var output: Digest?
    public var engine: String
    public var provider: String
    public var model: String
    /// The resolved parameters that went into the key.
    public var settings: CanonicalValue
    /// Input content digests that went into the key.
    public var inputs: [String: Digest]
    public var costUSD: FixedDecimal?
    public var predictionID: String?

    public init(
        id: String, kind: String, key: Digest, output: Digest?, engine: String, provider: String, model: String, settings: CanonicalValue,
        inputs: [String: Digest], costUSD: Double? = nil, predictionID: String? = nil
    ) {
        self.id = id
        self.kind = kind
        self.key = key
        self.output = output
        self.engine = engine
        self.provider = provider
        self.model = model
        self.settings = settings
        self.inputs = inputs
        self.costUSD = costUSD.map(FixedDecimal.init)
        self.predictionID = predictionID
    }

    enum CodingKeys: String, CodingKey {
        case id, kind, key, output, engine, provider, model, settings, inputs
        case costUSD = "cost_usd"
        case predictionID = "prediction_id"
    }

    /// The key material this entry was made from, in canonical form.
    public var keyMaterial: CanonicalValue {
        .object([
            "kind": .string(kind), "engine": .string(engine), "provider": .string(provider), "model": .string(model),
            "params": settings, "inputs": .object(inputs.mapValues { .string($0.description) }),
        ])
    }
}

/// A number written with a fixed number of decimals (`0.5117`, `1.2500`) so lockfiles read well
/// and stay byte-stable (see `LockfileEmitter`).
public struct FixedDecimal: Sendable, Equatable, Codable {
    public var value: Double
    public static let places = 4

    public init(_ value: Double) {
        // `+ 0` turns -0.0 (a tiny negative rounded away) into 0.0, so that it is written "0.0000", never "-0.0000".
        self.value = (value * 10_000).rounded() / 10_000 + 0
    }

    public init(from decoder: any Decoder) throws {
        self.init(try decoder.singleValueContainer().decode(Double.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }
}

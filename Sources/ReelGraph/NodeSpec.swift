import ReelBasics
import ReelManifest

/// A fully resolved node: its id, key material, dependencies and what its action needs.
public struct NodeSpec: Sendable, Equatable {
    public let id: NodeID
    public let keyMaterial: KeyMaterial
    /// SHA-256 of the key material, computed once.
    public let key: Digest
    public let dependencies: [NodeID]
    public let action: NodeAction
    /// A short description for people (`rocket -> astronaut`).
    public let label: String

    public init(id: NodeID, keyMaterial: KeyMaterial, dependencies: [NodeID], action: NodeAction, label: String) {
        self.id = id
        self.keyMaterial = keyMaterial
        self.key = keyMaterial.key
        self.dependencies = dependencies
        self.action = action
        self.label = label
    }

    public var kind: NodeKind { keyMaterial.kind }
}

/// What a node's action needs to run, beyond its key material. Indirect: the payload (a generate
/// node's settings, assets and model input) is one shared box, not copied inline into every array
/// and dictionary that holds the node (plan, outcomes): a third of a no-op's heap per pair.
public indirect enum NodeAction: Sendable, Equatable {
    case features(FeaturesInput)
    case select(SelectInput)
    case generate(GenerateInput)
    case combine(CombineInput)
}

/// Input of a `features/<asset>` node.
public struct FeaturesInput: Sendable, Equatable {
    public var asset: ResolvedAsset
    public var digest: Digest
    /// Thumbnail edge in pixels.
    public var size: Int
}

/// A candidate image for selection.
public struct Candidate: Sendable, Equatable {
    public var asset: ResolvedAsset
    public var digest: Digest
    /// The features blob (local selector only).
    public var features: Digest?
}

/// Input of the `select` node.
public struct SelectInput: Sendable, Equatable {
    public var settings: SelectorSettings
    public var candidates: [Candidate]
    public var campaign: Campaign
    public var brand: Brand
}

/// Input of a `generate/<n>` node.
public struct GenerateInput: Sendable, Equatable {
    public var index: Int
    public var pair: SelectedPair
    public var first: ResolvedAsset
    public var last: ResolvedAsset
    public var firstDigest: Digest
    public var lastDigest: Digest
    /// The prompt the clip is generated with.
    public var prompt: String
    public var settings: GeneratorSettings
    /// For Replicate: the prediction input without the two frames (they are added as URLs).
    public var modelInput: [String: CanonicalValue]
}

/// Input of the `combine` node.
public struct CombineInput: Sendable, Equatable {
    public var clips: [Digest]
    public var output: OutputSettings
}

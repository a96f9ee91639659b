/// What a node does.
public enum NodeKind: String, Sendable, Equatable, Hashable, Codable, CaseIterable {
    /// Image features of one asset (local selector input).
    case features
    /// Pair selection.
    case select
    /// One clip from one pair.
    case generate
    /// The final video.
    case combine
}

/// A node's name in the graph: `features/<asset>`, `select`, `generate/<n>`, `combine`.
public struct NodeID: Hashable, Comparable, Sendable, Codable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let rawValue: String

    public init(_ rawValue: String) {
        self.rawValue = rawValue
    }

    public init(stringLiteral value: String) {
        self.rawValue = value
    }

    public static let select = NodeID("select")
    public static let combine = NodeID("combine")

    /// `features/<asset id>`.
    public static func features(_ assetID: String) -> NodeID { NodeID("features/\(assetID)") }

    /// `generate/<index>`.
    public static func generate(_ index: Int) -> NodeID { NodeID("generate/\(index)") }

    /// The kind named by the id's first component.
    public var kind: NodeKind? {
        NodeKind(rawValue: String(rawValue.split(separator: "/").first ?? ""))
    }

    /// The part after `/`, if any (`3` for `generate/3`).
    public var suffix: String? {
        guard let slash = rawValue.firstIndex(of: "/") else { return nil }
        return String(rawValue[rawValue.index(after: slash)...])
    }

    public var description: String { rawValue }

    public static func < (lhs: NodeID, rhs: NodeID) -> Bool {
        let order: [NodeKind: Int] = [.features: 0, .select: 1, .generate: 2, .combine: 3]
        let left = lhs.kind.flatMap { order[$0] } ?? 9
        let right = rhs.kind.flatMap { order[$0] } ?? 9
        if left != right { return left < right }
        if let a = lhs.suffix.flatMap(Int.init), let b = rhs.suffix.flatMap(Int.init) { return a < b }
        return lhs.rawValue < rhs.rawValue
    }

    public init(from decoder: any Decoder) throws {
        self.rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

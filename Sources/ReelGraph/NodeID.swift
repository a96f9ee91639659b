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

/// A node's name in the graph: a campaign namespace plus the campaign-local name
/// (`features/<asset>`, `select`, `generate/<n>`, `combine`). A campaign with `variants:` has
/// clips and a video per variant: `generate/<n>@<variant>` and `combine@<variant>`
/// (`spring:generate/3@fast` qualified); a campaign without variants keeps the plain names.
///
/// Two campaigns in one graph keep their nodes apart by the namespace; people and the lockfile use
/// the short local name (`description`), and the qualified form `campaign:generate/3` where a
/// command spans several campaigns. An id without a namespace (parsed from a short command-line
/// id) *matches* the node of that name in any campaign, but is not *equal* to it.
public struct NodeID: Hashable, Comparable, Sendable, Codable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The campaign id, or `""` when not namespaced.
    public let campaign: String
    /// The campaign-local name: `generate/3`.
    public let rawValue: String

    public init(_ rawValue: String, campaign: String = "") {
        self.rawValue = rawValue
        self.campaign = campaign
    }

    /// Parses `generate/3` or `campaign:generate/3`.
    public init(parsing text: String) {
        if let colon = text.firstIndex(of: ":") {
            self.init(String(text[text.index(after: colon)...]), campaign: String(text[..<colon]))
        } else {
            self.init(text)
        }
    }

    public init(stringLiteral value: String) {
        self.init(value)
    }

    public static let select = NodeID("select")
    public static let combine = NodeID("combine")

    /// `features/<asset id>`.
    public static func features(_ assetID: String, campaign: String = "") -> NodeID { NodeID("features/\(assetID)", campaign: campaign) }

    /// `generate/<index>`, or `generate/<index>@<variant>`.
    public static func generate(_ index: Int, campaign: String = "", variant: String = "") -> NodeID {
        NodeID("generate/\(index)" + (variant.isEmpty ? "" : "@\(variant)"), campaign: campaign)
    }

    /// `combine@<variant>` of a campaign (`combine` for the unnamed lane).
    public static func combine(campaign: String, variant: String) -> NodeID {
        NodeID("combine" + (variant.isEmpty ? "" : "@\(variant)"), campaign: campaign)
    }

    /// The variant named after `@` (`fast` for `generate/3@fast`); `""` when there is none.
    public var variant: String {
        guard let at = rawValue.firstIndex(of: "@") else { return "" }
        return String(rawValue[rawValue.index(after: at)...])
    }

    /// The local name without its variant (`generate/3` for `generate/3@fast`).
    public var baseName: String {
        guard let at = rawValue.firstIndex(of: "@") else { return rawValue }
        return String(rawValue[..<at])
    }

    /// This id in `variant` (replacing any variant it names).
    public func inVariant(_ variant: String) -> NodeID {
        NodeID(baseName + (variant.isEmpty ? "" : "@\(variant)"), campaign: campaign)
    }

    /// `select` of a campaign.
    public static func select(campaign: String) -> NodeID { NodeID("select", campaign: campaign) }

    /// `combine` of a campaign.
    public static func combine(campaign: String) -> NodeID { NodeID("combine", campaign: campaign) }

    /// This id in `campaign`'s namespace.
    public func namespaced(_ campaign: String) -> NodeID { NodeID(rawValue, campaign: campaign) }

    /// The id without its namespace.
    public var local: NodeID { NodeID(rawValue) }

    /// `campaign:generate/3`, or the local name when not namespaced.
    public var qualified: String { campaign.isEmpty ? rawValue : "\(campaign):\(rawValue)" }

    /// Whether `self` names `node`: the same local name, and the same campaign unless `self` has none.
    public func matches(_ node: NodeID) -> Bool {
        rawValue == node.rawValue && (campaign.isEmpty || campaign == node.campaign)
    }

    /// The kind named by the id's first component.
    public var kind: NodeKind? {
        NodeKind(rawValue: String(baseName.split(separator: "/").first ?? ""))
    }

    /// The part after `/`, without any variant (`3` for `generate/3` and `generate/3@fast`).
    public var suffix: String? {
        let base = baseName
        guard let slash = base.firstIndex(of: "/") else { return nil }
        return String(base[base.index(after: slash)...])
    }

    /// The local name: ids print short; `qualified` names the campaign too.
    public var description: String { rawValue }

    public static func < (lhs: NodeID, rhs: NodeID) -> Bool {
        lhs.sortKey < rhs.sortKey
    }

    /// Graph order: campaign, then features → select → generate → combine, then the number of a
    /// `generate/<n>` (so 10 follows 9), then the name. Compute once when sorting many ids.
    public var sortKey: SortKey {
        SortKey(campaign: campaign, kind: kindOrder, number: suffix.flatMap { Int($0) } ?? -1, name: rawValue)
    }

    /// See `sortKey`.
    public struct SortKey: Comparable, Sendable {
        let campaign: String
        let kind: Int
        let number: Int
        let name: String

        public static func < (lhs: SortKey, rhs: SortKey) -> Bool {
            if lhs.campaign != rhs.campaign { return lhs.campaign < rhs.campaign }
            if lhs.kind != rhs.kind { return lhs.kind < rhs.kind }
            if lhs.number != rhs.number, lhs.number >= 0, rhs.number >= 0 { return lhs.number < rhs.number }
            return lhs.name < rhs.name
        }
    }

    private var kindOrder: Int {
        switch kind {
        case .features: return 0
        case .select: return 1
        case .generate: return 2
        case .combine: return 3
        case nil: return 9
        }
    }

    /// Decoded from either form; encoded as the local name (what the lockfile and JSON outputs show).
    public init(from decoder: any Decoder) throws {
        self.init(parsing: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// What a failed paid call was billed, as far as Reel can tell. The money layer (`SpendGate`)
/// settles a reservation from this alone: it never looks at provider names or error types.
public enum Billed: Sendable, Equatable {
    /// Nothing ran, so nothing was billed: the reservation is released.
    case none
    /// Something ran and was (or may have been) billed, at an unknown amount: the estimate counts.
    case estimate
    /// The amount is known.
    case actual(Double)
}

/// How a failure settles in the ledger: what was billed, the row's status and the provider's id
/// for the work, if any.
public struct BillingReport: Sendable, Equatable {
    public var billed: Billed
    /// The ledger status for a settled row (`failed`, `canceled`, `lost`, `uncertain`…).
    public var status: String
    public var predictionID: String?

    public init(billed: Billed, status: String, predictionID: String? = nil) {
        self.billed = billed
        self.status = status
        self.predictionID = predictionID
    }
}

/// An error that says what its call was billed.
public protocol ReportsBilling: Error {
    var billing: BillingReport { get }
}

extension ProviderError: ReportsBilling {
    /// A refusal (4xx) ran nothing; anything else may have been answered and billed.
    public var billing: BillingReport {
        if case .http(_, _, let status, _) = self, (400..<500).contains(status) {
            return BillingReport(billed: .none, status: "released")
        }
        // Provably never reached the provider (every attempt failed to connect): nothing to bill.
        if case .exhausted(_, _, _, _, true) = self { return BillingReport(billed: .none, status: "released") }
        return BillingReport(billed: .estimate, status: "uncertain")
    }
}

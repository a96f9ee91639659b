import ReelProviders

/// Failures of a remote generation, carrying the provider's words and what was billed.
public enum GenerationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The generation ended `failed`, `canceled` or `aborted` (`status` is the provider's word).
    case predictionEnded(id: String, status: String, message: String?)
    /// The output was deleted before Reel downloaded it.
    case outputExpired(id: String, retention: String?)
    /// The downloaded file is not a usable video.
    case unreadableOutput(id: String, detail: String)
    /// A generation in the journal is unknown to the provider (another account or base URL?).
    case journaledPredictionMissing(id: String, journal: String, endpoint: String)
    /// An asset's bytes changed after its digest was taken for the key.
    case assetChanged(String)
    /// The create request was refused or never sent: nothing was created (the provider's words).
    case notCreated(String)
    /// Polling outlasted its deadline; the generation stays journaled and the next build resumes it.
    case pollDeadline(id: String, minutes: Int, journal: String)

    public var description: String {
        switch self {
        case .predictionEnded(let id, let status, let message):
            return "prediction \(id) \(status)" + (message.map { ": \($0)" } ?? "")
        case .outputExpired(let id, let retention):
            return "the output of prediction \(id) expired before it was downloaded"
                + (retention.map { " (the provider deletes API outputs after \($0))" } ?? "")
                + "; run `reel build` again to generate it again (this is paid again)"
        case .unreadableOutput(let id, let detail):
            return "the output of prediction \(id) is not a readable video: \(detail)"
        case .journaledPredictionMissing(let id, let journal, let endpoint):
            return "prediction \(id), recorded in \(journal), is not found at \(endpoint) (another account, token or base URL?); "
                + "if it is really gone, delete that file to create a new prediction (this is paid again)"
        case .assetChanged(let path):
            return "'\(path)' changed during the build; run `reel build` again so the clip matches the file"
        case .notCreated(let detail):
            return detail
        case .pollDeadline(let id, let minutes, let journal):
            return "prediction \(id) did not finish within \(minutes) min; it stays journaled in \(journal) "
                + "and the next `reel build` resumes it (set REEL_POLL_DEADLINE_MIN to wait longer)"
        }
    }
}

extension GenerationError: ReportsBilling {
    public var billing: BillingReport {
        switch self {
        case .predictionEnded(let id, let status, _):
            return BillingReport(billed: .actual(0), status: status, predictionID: id)
        case .outputExpired(let id, _), .unreadableOutput(let id, _), .journaledPredictionMissing(let id, _, _):
            // It ran (and was billed) but its output cannot be used.
            return BillingReport(billed: .estimate, status: "lost", predictionID: id)
        case .pollDeadline(let id, _, _):
            return BillingReport(billed: .estimate, status: "uncertain", predictionID: id)
        case .assetChanged, .notCreated:
            return BillingReport(billed: .none, status: "released")
        }
    }
}

extension SelectionError: ReportsBilling {
    /// The selector's calls were answered and billed by their token usage.
    public var billing: BillingReport { BillingReport(billed: .actual(costUSD), status: "failed") }
}

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
    /// The generation was cancelled; `ran` when it had started (the part that ran may be billed).
    case cancelled(id: String, ran: Bool)
    /// The provider reports a status this version does not know; the generation stays journaled.
    case unknownStatus(id: String, status: String, journal: String)
    /// A create whose reply was lost may have made one of these generations, but Reel cannot tell
    /// which (their frames cannot be compared); the journal is kept and the user decides.
    case uncertainMatch(node: String, label: String, candidates: [String], model: String, journal: String)
    /// A create whose reply was lost cannot be looked for (no list of recent generations).
    case cannotReconcile(node: String, label: String, model: String, since: String, journal: String, detail: String)
    /// Asking for the generation's state failed (after retries); it stays journaled and is resumed.
    case pollFailed(id: String, journal: String, detail: String)
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
        case .cancelled(let id, let ran):
            return "prediction \(id) was cancelled" + (ran ? " after it started; the part that ran may be billed, so its estimate is counted (flagged canceled-estimate in `reel spend`)" : "")
        case .unknownStatus(let id, let status, let journal):
            return "prediction \(id) reports status '\(status)', which this version of Reel does not know; it stays journaled in \(journal) "
                + "and the next `reel build` looks at it again (update Reel if this persists, or check the prediction with the provider)"
        case .uncertainMatch(let node, let label, let candidates, let model, let journal):
            return "\(node) (\(label)): the reply to its create request was lost, and recent \(model) predictions "
                + "\(candidates.joined(separator: ", ")) match its prompt and settings, but Reel cannot compare their frames. "
                + "Nothing new was created. Check which of them (if any) turns \(label): to resume it, set \"predictionID\" to its id "
                + "and \"state\" to \"created\" in \(journal); if none does, delete \(journal) to create a new prediction (paid again)"
        case .cannotReconcile(let node, let label, let model, let since, let journal, let detail):
            return "\(node) (\(label)): the reply to its create request was lost (journaled in \(journal)), and Reel cannot look for "
                + "the prediction it may have made: \(detail). Nothing new was created. Check the provider's dashboard for a \(model) "
                + "prediction created after \(since): if there is one, set \"predictionID\" to its id and \"state\" to \"created\" in "
                + "\(journal); if there is none, delete \(journal) to create a new prediction (paid again)"
        case .pollFailed(let id, let journal, let detail):
            return "could not get the state of prediction \(id) (\(detail)); it is journaled in \(journal) and may still be running: "
                + "the next `reel build` resumes it without paying again"
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
        case .cancelled(let id, let ran):
            // Whether a cancelled per-second model bills the part that ran is unconfirmed: count the
            // estimate, flagged, rather than $0 (the ledger must never be below the bill).
            return ran ? BillingReport(billed: .estimate, status: "canceled-estimate", predictionID: id)
                : BillingReport(billed: .actual(0), status: "canceled", predictionID: id)
        case .pollDeadline(let id, _, _), .unknownStatus(let id, _, _), .pollFailed(let id, _, _):
            return BillingReport(billed: .estimate, status: "uncertain", predictionID: id)
        case .uncertainMatch, .cannotReconcile:
            // Only reached when the journal is gone (the engine keeps the reservation while it exists).
            return BillingReport(billed: .estimate, status: "uncertain")
        case .assetChanged, .notCreated:
            return BillingReport(billed: .none, status: "released")
        }
    }
}

extension SelectionError: ReportsBilling {
    /// The selector's calls were answered and billed by their token usage.
    public var billing: BillingReport { BillingReport(billed: .actual(costUSD), status: "failed") }
}

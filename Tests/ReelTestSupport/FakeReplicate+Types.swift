import Foundation

extension FakeReplicate {
    /// The routes the fake serves; faults are injected per route.
    public enum Route: String, Sendable, Hashable, CaseIterable {
        /// `POST /v1/models/{owner}/{name}/predictions`
        case createPrediction
        /// `GET /v1/predictions/{id}`
        case getPrediction
        /// `POST /v1/predictions/{id}/cancel`
        case cancelPrediction
        /// `GET /v1/predictions`
        case listPredictions
        /// `POST /v1/files`
        case createFile
        /// `GET /v1/files/{id}`
        case getFile
        /// `DELETE /v1/files/{id}`
        case deleteFile
        /// `GET /delivery/{id}/out.mp4`
        case download

        /// The route of a request, nil for paths the fake does not serve.
        static func of(method: String, path: String) -> (Route, [String])? {
            let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
            switch (method, parts.count) {
            case ("POST", 5) where parts[0] == "v1" && parts[1] == "models" && parts[4] == "predictions":
                return (.createPrediction, [parts[2], parts[3]])
            case ("GET", 2) where parts == ["v1", "predictions"]: return (.listPredictions, [])
            case ("GET", 3) where parts[0] == "v1" && parts[1] == "predictions": return (.getPrediction, [parts[2]])
            case ("POST", 4) where parts[0] == "v1" && parts[1] == "predictions" && parts[3] == "cancel":
                return (.cancelPrediction, [parts[2]])
            case ("POST", 2) where parts == ["v1", "files"]: return (.createFile, [])
            case ("GET", 3) where parts[0] == "v1" && parts[1] == "files": return (.getFile, [parts[2]])
            case ("DELETE", 3) where parts[0] == "v1" && parts[1] == "files": return (.deleteFile, [parts[2]])
            case ("GET", 3) where parts[0] == "delivery": return (.download, [parts[1]])
            default: return nil
            }
        }
    }

    /// A prediction's status (R-OAS enum).
    public enum Status: String, Sendable, Hashable, CaseIterable {
        case starting, processing, succeeded, failed, canceled, aborted

        public var isTerminal: Bool { self != .starting && self != .processing }
    }

    /// How a prediction moves from `starting` to its terminal status.
    public enum Progression: Sendable, Equatable {
        /// Terminal at creation (the create response already carries the outcome).
        case immediate
        /// Terminal on the `count`-th `GET /v1/predictions/{id}`. The create response says
        /// `starting`; the first `startingPolls` polls still say `starting`, later ones `processing`.
        /// `polls(0)` is `immediate`. Time alone never moves it, so `Prefer: wait` answers at once (202).
        case polls(Int, startingPolls: Int = 0)
        /// Terminal once this much time has passed since creation: `starting` for the first half,
        /// `processing` for the second. `Prefer: wait` waits for it (up to the requested wait).
        case after(Duration)
        /// `starting` until the first poll, then `processing` until the test calls `complete(id:)`.
        case manual
    }

    /// How a prediction ends.
    public enum Outcome: Sendable, Equatable {
        /// `succeeded`, output = the fake's download URL for the prediction.
        case succeeded
        /// `failed` with this `error` message.
        case failed(String)
        /// `canceled` (as when its deadline passes while running).
        case canceled
        /// `aborted` (terminated before it started).
        case aborted

        var status: Status {
            switch self {
            case .succeeded: return .succeeded
            case .failed: return .failed
            case .canceled: return .canceled
            case .aborted: return .aborted
            }
        }
    }

    /// What happens to a succeeded prediction's output (Replicate deletes API outputs after an hour).
    public enum Expiry: Sendable, Equatable {
        /// The output stays available.
        case none
        /// On completion: `output` null, `data_removed` true, and the download answers 404.
        case dataRemoved
        /// The prediction still shows its output URL, but the download answers 404.
        case downloadGone
    }

    /// The script of one prediction: how it progresses, how it ends, and what happens to its output.
    public struct Script: Sendable, Equatable {
        public var progression: Progression
        public var outcome: Outcome
        public var expiry: Expiry

        public init(_ progression: Progression = .polls(2), outcome: Outcome = .succeeded, expiry: Expiry = .none) {
            self.progression = progression
            self.outcome = outcome
            self.expiry = expiry
        }

        /// Succeeds on the `polls`-th poll (default: create → starting, poll 1 → processing, poll 2 → succeeded).
        public static func succeeds(afterPolls polls: Int = 2) -> Script { Script(.polls(polls)) }
        /// Fails with `message` on the `polls`-th poll.
        public static func fails(_ message: String, afterPolls polls: Int = 2) -> Script {
            Script(.polls(polls), outcome: .failed(message))
        }
        /// Succeeds `duration` after creation (what `Prefer: wait` can wait for).
        public static func succeeds(after duration: Duration) -> Script { Script(.after(duration)) }
        /// Stays running until `complete(id:)`.
        public static let manual = Script(.manual)
    }

    /// One entry of `invalid_fields` in a 422 "Input validation failed" answer.
    public struct InvalidField: Sendable, Equatable {
        /// `enum`, `required`, `number_lte`, `additional_property_not_allowed`, …
        public var type: String
        /// e.g. `input.duration`
        public var field: String
        public var description: String

        public init(type: String, field: String, description: String) {
            self.type = type
            self.field = field
            self.description = description
        }

        var json: FakeJSON { ["type": .string(type), "field": .string(field), "description": .string(description)] }
    }

    /// What the fake bills per succeeded prediction: USD per second of output video.
    ///
    /// The rate is looked up as `"<owner/name>@<resolution>"` (from `input.resolution`), then
    /// `"<owner/name>@<mode>"` (from `input.mode`, Kling), then `"<owner/name>"`; a model with no rate
    /// bills 0. Seconds come from `input.duration`, else `defaultSeconds[model]`, else 0.
    public struct PriceTable: Sendable, Equatable {
        public var perSecond: [String: Decimal]
        public var defaultSeconds: [String: Decimal]
        /// Whether a prediction cancelled after it started processing is billed (at the full
        /// price: whether and how Replicate bills the part that ran is unconfirmed).
        public var billsCanceledAfterStart: Bool

        public init(perSecond: [String: Decimal] = [:], defaultSeconds: [String: Decimal] = [:], billsCanceledAfterStart: Bool = false) {
            self.perSecond = perSecond
            self.defaultSeconds = defaultSeconds
            self.billsCanceledAfterStart = billsCanceledAfterStart
        }

        /// USD per second for `model` with `input`, nil when the table has no rate for it.
        public func rate(model: String, input: FakeJSON) -> Decimal? {
            let qualifiers = [input["resolution"]?.stringValue, input["mode"]?.stringValue].compactMap { $0 }
            for qualifier in qualifiers {
                if let rate = perSecond["\(model)@\(qualifier)"] { return rate }
            }
            return perSecond[model]
        }

        /// Seconds of output video for `model` with `input`.
        public func seconds(model: String, input: FakeJSON) -> Decimal {
            switch input["duration"] {
            case .int(let value)?: return Decimal(value)
            case .double(let value)?: return Decimal(string: String(value)) ?? Decimal(value)
            case .string(let text)?: return Decimal(string: text) ?? defaultSeconds[model] ?? 0
            default: return defaultSeconds[model] ?? 0
            }
        }

        /// What a succeeded prediction of `model` with `input` costs.
        public func cost(model: String, input: FakeJSON) -> Decimal {
            guard let rate = rate(model: model, input: input) else { return 0 }
            return rate * seconds(model: model, input: input)
        }
    }

    /// A prediction as the fake holds it (a snapshot when read from the fake).
    public struct Prediction: Sendable {
        public internal(set) var id: String
        /// `owner/name`
        public internal(set) var model: String
        public internal(set) var input: FakeJSON
        public internal(set) var status: Status
        public internal(set) var error: String?
        public internal(set) var logs: String
        public internal(set) var createdAt: Date
        public internal(set) var startedAt: Date?
        public internal(set) var completedAt: Date?
        public internal(set) var dataRemoved: Bool
        /// The download answers 404 even though `output` still shows the URL.
        public internal(set) var downloadGone: Bool
        /// `GET /v1/predictions/{id}` calls so far.
        public internal(set) var pollCount: Int
        /// Whether the client cancelled it.
        public internal(set) var canceledByClient: Bool
        /// USD billed (set when it succeeds, from the price table).
        public internal(set) var billedUSD: Decimal
        /// The `Prefer` header of the create request, if any.
        public internal(set) var prefer: String?
        /// The status code of the create response (201 or 202).
        public internal(set) var createStatus: Int
        public internal(set) var script: Script
        /// Successful downloads of its output.
        public internal(set) var downloadCount: Int
    }

    /// An uploaded file (Files API).
    public struct File: Sendable {
        public internal(set) var id: String
        public internal(set) var filename: String
        public internal(set) var contentType: String
        public internal(set) var content: Data
        /// Lowercase hex SHA-256 of `content`.
        public internal(set) var sha256: String
        public internal(set) var metadata: FakeJSON
        public internal(set) var createdAt: Date
        public internal(set) var expiresAt: Date
        public internal(set) var deleted: Bool
    }
}

/// ISO-8601 with microseconds, as Replicate writes timestamps (`2023-09-08T16:19:34.765994Z`).
func replicateTimestamp(_ date: Date) -> String {
    let seconds = date.timeIntervalSince1970.rounded(.down)
    let micros = Int(((date.timeIntervalSince1970 - seconds) * 1_000_000).rounded(.down))
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
    let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: seconds))
    func pad(_ value: Int?, _ width: Int) -> String {
        let text = String(value ?? 0)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
    return "\(pad(parts.year, 4))-\(pad(parts.month, 2))-\(pad(parts.day, 2))T\(pad(parts.hour, 2)):\(pad(parts.minute, 2)):"
        + "\(pad(parts.second, 2)).\(pad(min(micros, 999_999), 6))Z"
}

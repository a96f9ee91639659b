import Foundation

/// A Replicate prediction, as `GET /v1/predictions/{id}` returns it (the fields Reel reads).
public struct Prediction: Sendable, Equatable, Decodable {
    /// Lifecycle states; `succeeded`, `failed`, `canceled` and `aborted` are terminal.
    public enum Status: String, Sendable, Equatable, Decodable {
        case starting, processing, succeeded, failed, canceled, aborted
        /// A status this version does not know (`statusText` has it): an error, never "processing".
        case unknown

        public var isTerminal: Bool {
            switch self {
            case .starting, .processing, .unknown: return false
            case .succeeded, .failed, .canceled, .aborted: return true
            }
        }
    }

    public var id: String
    public var model: String?
    public var status: Status
    /// The status as the API wrote it.
    public var statusText: String
    /// The output file URLs (a single string or an array in the API; empty when none or removed).
    public var outputURLs: [String]
    public var error: String?
    public var createdAt: String?
    /// When it ended (ISO 8601), once it has.
    public var completedAt: String?
    public var dataRemoved: Bool
    /// GPU seconds (excludes queueing).
    public var predictTime: Double?
    /// The input echoed back (used to recognise our own prediction after a lost response).
    public var inputJSON: Data?

    enum CodingKeys: String, CodingKey {
        case id, model, status, output, error, input, metrics
        case createdAt = "created_at"
        case completedAt = "completed_at"
        case dataRemoved = "data_removed"
    }

    struct Metrics: Decodable {
        var predict_time: Double?
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        model = try container.decodeIfPresent(String.self, forKey: .model)
        let statusText = try container.decode(String.self, forKey: .status)
        // A status this version does not know is reported as such, never guessed to be "processing".
        self.status = Status(rawValue: statusText) ?? .unknown
        self.statusText = statusText
        if let single = try? container.decodeIfPresent(String.self, forKey: .output) {
            outputURLs = [single]
        } else if let many = try? container.decodeIfPresent([String].self, forKey: .output) {
            outputURLs = many
        } else {
            outputURLs = []
        }
        error = try? container.decodeIfPresent(String.self, forKey: .error)
        createdAt = try? container.decodeIfPresent(String.self, forKey: .createdAt)
        completedAt = try? container.decodeIfPresent(String.self, forKey: .completedAt)
        dataRemoved = (try? container.decodeIfPresent(Bool.self, forKey: .dataRemoved)) ?? false
        predictTime = (try? container.decodeIfPresent(Metrics.self, forKey: .metrics))?.predict_time
        inputJSON = nil
    }

    public init(id: String, status: Status, outputURLs: [String] = [], error: String? = nil, dataRemoved: Bool = false) {
        self.id = id
        self.model = nil
        self.status = status
        self.statusText = status.rawValue
        self.outputURLs = outputURLs
        self.error = error
        self.createdAt = nil
        self.completedAt = nil
        self.dataRemoved = dataRemoved
        self.predictTime = nil
        self.inputJSON = nil
    }
}

/// A file uploaded through `POST /v1/files`.
public struct ReplicateFile: Sendable, Equatable, Codable {
    public var id: String
    /// The URL to pass as a model input.
    public var url: String
    public var sha256: String?
    public var expiresAt: String?

    public init(id: String, url: String, sha256: String?, expiresAt: String?) {
        self.id = id
        self.url = url
        self.sha256 = sha256
        self.expiresAt = expiresAt
    }

    struct Wire: Decodable {
        struct URLs: Decodable { var get: String }
        struct Checksums: Decodable { var sha256: String? }
        var id: String
        var urls: URLs
        var checksums: Checksums?
        var expires_at: String?
    }
}

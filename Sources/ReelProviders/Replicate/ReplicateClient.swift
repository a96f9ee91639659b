import Foundation
import ReelBasics

/// Replicate's HTTP API (https://api.replicate.com/v1): predictions on official models, their
/// lifecycle, file uploads, and authenticated output downloads.
public struct ReplicateClient: Sendable {
    public let http: HTTPClient
    public let baseURL: URL
    let token: Secret
    /// Seconds the create request asks the server to hold the response (`Prefer: wait=N`).
    /// Short on purpose: video takes minutes, and the id must be journaled as soon as possible.
    public let preferWait: Int
    /// Seconds without progress before a request counts as timed out (downloads get ten times as long).
    public let timeout: TimeInterval

    public init(http: HTTPClient, baseURL: URL, token: Secret, preferWait: Int = 1, timeout: TimeInterval = 30) {
        self.http = http
        self.baseURL = baseURL
        self.token = token
        self.preferWait = max(1, min(60, preferWait))
        self.timeout = timeout
    }

    func url(_ path: String) -> URL {
        baseURL.appendingPathComponent(path)
    }

    func headers(json: Bool = false) -> [String: String] {
        var headers = ["Authorization": token.bearer, "User-Agent": "reel"]
        if json { headers["Content-Type"] = "application/json" }
        return headers
    }

    /// `POST /models/{owner}/{name}/predictions` with `Prefer: wait=N`. Never retried unless the
    /// request provably did not arrive or got 429.
    /// - Parameter body: the JSON request body, `{"input": {...}}`.
    public func createPrediction(model: String, body: Data, onRetry: @Sendable (Int, String) -> Void = { _, _ in }) async throws -> Prediction {
        let target = url("models/\(model)/predictions")
        var headers = headers(json: true)
        headers["Prefer"] = "wait=\(preferWait)"
        let request = HTTPRequest(method: "POST", url: target, headers: headers, body: body, timeout: TimeInterval(preferWait) + timeout)
        let response = try await http.send(request, mode: .createOnce, onRetry: onRetry)
        if (500...599).contains(response.status) {
            throw ProviderError.ambiguousCreate(url: HTTPClient.display(target), detail: "HTTP \(response.status): \(scrubbed(response.body))")
        }
        guard (200..<300).contains(response.status) else { throw error(response, method: "POST", url: target) }
        // A success whose body cannot be read may still have created (and will bill) a prediction.
        guard let prediction = try? JSONDecoder().decode(Prediction.self, from: response.body), response.status == 201 || response.status == 202 else {
            throw ProviderError.ambiguousCreate(
                url: HTTPClient.display(target), detail: "HTTP \(response.status) with a reply that cannot be read as a prediction")
        }
        return prediction
    }

    /// `GET /predictions/{id}` (retried, including replies whose JSON is unreadable).
    public func prediction(_ id: String, onRetry: @Sendable (Int, String) -> Void = { _, _ in }) async throws -> Prediction {
        let target = url("predictions/\(id)")
        var attempt = 1
        while true {
            let response = try await http.send(HTTPRequest(method: "GET", url: target, headers: headers(), timeout: timeout), mode: .idempotent, onRetry: onRetry)
            guard response.status == 200 else { throw error(response, method: "GET", url: target) }
            do {
                return try decode(Prediction.self, from: response, url: target)
            } catch {
                guard attempt < http.policy.maxAttempts else { throw error }
                attempt += 1
                onRetry(attempt, "unreadable JSON")
                try await http.clock.sleep(for: http.policy.baseDelay)
            }
        }
    }

    /// How a cancel is retried: briefly (it runs while the user waits for Ctrl-C to take effect).
    public static let cancelPolicy = RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(200), maxDelay: .seconds(1))

    /// `POST /predictions/{id}/cancel`, with a short bounded retry (`cancelPolicy`) and timeout.
    public func cancel(_ id: String) async throws -> Prediction? {
        let target = url("predictions/\(id)/cancel")
        let brief = HTTPClient(transport: http.transport, policy: ReplicateClient.cancelPolicy, clock: http.clock)
        let response = try await brief.send(HTTPRequest(method: "POST", url: target, headers: headers(), timeout: min(timeout, 5)), mode: .idempotent)
        guard response.status == 200 else { throw error(response, method: "POST", url: target) }
        return try? decode(Prediction.self, from: response, url: target)
    }

    /// Recent predictions (newest first), created after `after` when given, following `next` for
    /// at most `pages` pages, with their echoed inputs — to find a prediction whose create response
    /// was lost. A listed prediction that cannot be read is skipped, not fatal.
    public func recentPredictions(createdAfter after: String? = nil, pages: Int = 5) async throws -> [Prediction] {
        var results: [Prediction] = []
        var first = URLComponents(url: url("predictions"), resolvingAgainstBaseURL: false)
        if let after { first?.queryItems = [URLQueryItem(name: "created_after", value: after)] }
        var next: URL? = first?.url ?? url("predictions")
        var remaining = pages
        while let page = next, remaining > 0 {
            remaining -= 1
            let response = try await http.send(HTTPRequest(method: "GET", url: page, headers: headers(), timeout: timeout), mode: .idempotent)
            guard response.status == 200 else { throw error(response, method: "GET", url: page) }
            guard let object = (try? JSONSerialization.jsonObject(with: response.body)) as? [String: Any] else {
                throw ProviderError.malformedResponse(url: HTTPClient.display(page), detail: "the prediction list is not JSON")
            }
            for item in object["results"] as? [[String: Any]] ?? [] {
                guard let data = try? JSONSerialization.data(withJSONObject: item), var prediction = try? JSONDecoder().decode(Prediction.self, from: data)
                else { continue }
                if let input = item["input"] { prediction.inputJSON = try? JSONSerialization.data(withJSONObject: input, options: [.sortedKeys]) }
                results.append(prediction)
            }
            next = (object["next"] as? String).flatMap(URL.init(string:))
        }
        return results
    }

    /// Uploads bytes through the Files API (`multipart/form-data`). Retried like a GET: an upload is
    /// not billed, and a duplicate upload only costs storage that expires.
    public func upload(_ data: Data, filename: String, contentType: String) async throws -> ReplicateFile {
        let target = url("files")
        var form = MultipartForm()
        form.add(name: "content", filename: filename, contentType: contentType, data: data)
        form.add(name: "type", value: contentType)
        form.add(name: "filename", value: filename)
        var headers = headers()
        headers["Content-Type"] = form.contentType
        let response = try await http.send(
            HTTPRequest(method: "POST", url: target, headers: headers, body: form.body, timeout: timeout * 4), mode: .idempotent)
        guard response.status == 201 || response.status == 200 else { throw error(response, method: "POST", url: target) }
        let wire = try decode(ReplicateFile.Wire.self, from: response, url: target)
        return ReplicateFile(id: wire.id, url: wire.urls.get, sha256: wire.checksums?.sha256, expiresAt: wire.expires_at)
    }

    /// Streams an output file to `destination`, sending the Authorization header.
    public func download(_ output: String, to destination: AbsolutePath, onRetry: @Sendable (Int, String) -> Void = { _, _ in }) async throws -> Int64 {
        guard let target = URL(string: output) else { throw ProviderError.malformedResponse(url: output, detail: "output is not a URL") }
        var headers = ["User-Agent": "reel"]
        if ReplicateClient.mayReceiveToken(target, apiBase: baseURL) { headers["Authorization"] = token.bearer }
        return try await http.download(HTTPRequest(method: "GET", url: target, headers: headers, timeout: timeout * 10), to: destination, onRetry: onRetry)
    }

    /// Whether a download URL may be sent the token: Replicate's delivery hosts over https, the API's
    /// own host, or loopback (test servers). Never a third party named in an output.
    static func mayReceiveToken(_ url: URL, apiBase: URL) -> Bool {
        guard let host = url.host?.lowercased() else { return false }
        if host == apiBase.host?.lowercased() && url.scheme == apiBase.scheme { return true }
        if url.scheme == "https" && (host == "replicate.delivery" || host.hasSuffix(".replicate.delivery")) { return true }
        return ["127.0.0.1", "localhost", "::1"].contains(host)
    }

    func decode<T: Decodable>(_ type: T.Type, from response: HTTPResponse, url: URL) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: response.body)
        } catch {
            throw ProviderError.malformedResponse(url: HTTPClient.display(url), detail: "cannot read the JSON body (\(error))")
        }
    }

    func scrubbed(_ body: Data) -> String {
        token.scrub(ProviderError.message(from: body))
    }

    func error(_ response: HTTPResponse, method: String, url: URL) -> ProviderError {
        .http(method: method, url: HTTPClient.display(url), status: response.status, message: scrubbed(response.body))
    }
}

/// A `multipart/form-data` body.
struct MultipartForm {
    let boundary = "reel-" + UUID().uuidString.lowercased()
    private var parts = Data()

    var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    /// The parts followed by the closing boundary.
    var body: Data { parts + Data("--\(boundary)--\r\n".utf8) }

    mutating func add(name: String, value: String) {
        parts.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8))
    }

    mutating func add(name: String, filename: String, contentType: String, data: Data) {
        parts.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"; filename=\"\(filename)\"\r\n".utf8))
        parts.append(Data("Content-Type: \(contentType)\r\n\r\n".utf8))
        parts.append(data)
        parts.append(Data("\r\n".utf8))
    }
}

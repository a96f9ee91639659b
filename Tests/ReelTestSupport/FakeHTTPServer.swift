import FlyingFox
import FlyingSocks
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// One request a fake provider server received, in arrival order.
/// The requests a fake received, in order, each with the status it was answered with.
struct RequestLog: Sendable {
    private(set) var entries: [RecordedRequest] = []
    private var serials: [Int] = []
    private var next = 0

    /// Records a request; returns its serial, to attach the answer's status later.
    mutating func append(_ request: RecordedRequest) -> Int {
        next += 1
        entries.append(request)
        serials.append(next)
        return next
    }

    mutating func setStatus(_ status: Int, for serial: Int) {
        if let index = serials.lastIndex(of: serial), index < entries.count { entries[index].responseStatus = status }
    }

    mutating func reset() {
        entries = []
        serials = []
    }
}

public struct RecordedRequest: Sendable, CustomStringConvertible {
    /// `GET`, `POST`, …
    public var method: String
    /// The path without the query, e.g. `/v1/predictions/abc`.
    public var path: String
    /// Query parameters (the last value wins for a repeated name).
    public var query: [String: String]
    /// Header names lowercased.
    public var headers: [String: String]
    public var body: Data
    public var receivedAt: Date
    /// The status code the fake answered with (nil while the request is still being handled, e.g.
    /// a slow fault or a `Prefer: wait` still waiting).
    public var responseStatus: Int?

    public init(
        method: String, path: String, query: [String: String] = [:], headers: [String: String] = [:], body: Data = Data(),
        receivedAt: Date = Date(), responseStatus: Int? = nil
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { _, last in last })
        self.body = body
        self.receivedAt = receivedAt
        self.responseStatus = responseStatus
    }

    /// A header by case-insensitive name.
    public func header(_ name: String) -> String? { headers[name.lowercased()] }

    /// The body parsed as JSON (nil when it is not JSON).
    public var json: FakeJSON? { FakeJSON.parse(body) }

    /// The body as UTF-8 text.
    public var bodyText: String { String(decoding: body, as: UTF8.self) }

    public var description: String {
        "\(method) \(path)" + (query.isEmpty ? "" : "?" + query.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "&"))
            + (responseStatus.map { " → \($0)" } ?? "")
    }
}

/// A fault a fake provider server injects instead of (or on top of) its normal answer. Each fake
/// renders the fault in its provider's wire format (Replicate problem details, xAI flat errors).
public enum FakeFault: Sendable, Equatable, CustomStringConvertible {
    /// HTTP 429, with a `Retry-After: <seconds>` header when `retryAfter` is set.
    case rateLimited(retryAfter: Int? = nil)
    /// HTTP 5xx (500, 502, 503, 504…).
    case serverError(status: Int = 500)
    /// Replicate: 402 "Insufficient credit". xAI: 403 "used all available credits".
    case insufficientCredit
    /// HTTP 404 in the provider's shape.
    case notFound
    /// HTTP 422. Replicate: "Input validation failed" with `invalid_fields: [{type, field, description}]`.
    case invalidInput(field: String, message: String, type: String = "enum")
    /// Waits this long, then answers normally (the request takes effect: a prediction is created).
    /// Use a delay longer than the client's timeout to test timeouts.
    case slow(Duration)
    /// Answers normally (the request takes effect) but sends only the first half of the JSON body,
    /// with a consistent Content-Length, so the body does not parse.
    case malformedJSON
    /// Answers normally (the request takes effect) but advertises the full Content-Length, sends
    /// half of the body and closes the connection.
    case truncatedBody
    /// Any status, body and headers, verbatim.
    case response(status: Int, body: String, headers: [String: String] = [:])

    public var description: String {
        switch self {
        case .rateLimited(let retryAfter): return "429" + (retryAfter.map { " Retry-After: \($0)" } ?? "")
        case .serverError(let status): return "\(status)"
        case .insufficientCredit: return "insufficient credit"
        case .notFound: return "404"
        case .invalidInput(let field, _, _): return "422 \(field)"
        case .slow(let duration): return "slow \(duration)"
        case .malformedJSON: return "malformed JSON"
        case .truncatedBody: return "truncated body"
        case .response(let status, _, _): return "\(status) (scripted)"
        }
    }
}

/// A response a fake builds; turned into a FlyingFox response by ``FakeHTTPServer``.
struct FakeReply: Sendable {
    var status: Int
    var headers: [String: String] = [:]
    var body: Data = Data()
    /// Advertise the full Content-Length, send half of the body, then close the connection.
    var truncated = false

    static func json(_ status: Int, _ value: FakeJSON, contentType: String = "application/json", headers: [String: String] = [:]) -> FakeReply {
        var all = headers
        all["Content-Type"] = contentType
        return FakeReply(status: status, headers: all, body: value.data)
    }

    static func text(_ status: Int, _ text: String) -> FakeReply {
        FakeReply(status: status, headers: ["Content-Type": "text/plain; charset=utf-8"], body: Data(text.utf8))
    }

    /// This reply with only the first half of its body (and a matching Content-Length).
    var malformed: FakeReply {
        var copy = self
        copy.body = Data(body.prefix(max(1, body.count / 2)))
        return copy
    }

    var flyingFoxResponse: FlyingFox.HTTPResponse {
        var httpHeaders = HTTPHeaders()
        for (name, value) in headers { httpHeaders[HTTPHeader(name)] = value }
        let code = HTTPStatusCode(status, phrase: Self.phrase(for: status))
        if truncated {
            let partial = TruncatedBytes(bytes: Data(body.prefix(body.count / 2)))
            return FlyingFox.HTTPResponse(statusCode: code, headers: httpHeaders, body: HTTPBodySequence(from: partial, count: body.count))
        }
        return FlyingFox.HTTPResponse(statusCode: code, headers: httpHeaders, body: body)
    }

    static func phrase(for status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 201: return "Created"
        case 202: return "Accepted"
        case 204: return "No Content"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 402: return "Payment Required"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 413: return "Content Too Large"
        case 415: return "Unsupported Media Type"
        case 422: return "Unprocessable Entity"
        case 429: return "Too Many Requests"
        case 500: return "Internal Server Error"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        default: return "Status \(status)"
        }
    }
}

/// A byte sequence that ends with an error after its bytes: FlyingFox stops writing the response
/// and closes the connection, so the client sees fewer bytes than the Content-Length promised.
struct TruncatedBytes: AsyncBufferedSequence {
    typealias Element = UInt8
    let bytes: Data

    func makeAsyncIterator() -> Iterator { Iterator(bytes: bytes) }

    struct Cut: Error {}

    struct Iterator: AsyncBufferedIteratorProtocol {
        let bytes: Data
        var offset = 0

        mutating func next() async throws -> UInt8? {
            guard offset < bytes.count else { throw Cut() }
            defer { offset += 1 }
            return bytes[bytes.startIndex + offset]
        }

        mutating func nextBuffer(suggested count: Int) async throws -> Data? {
            guard offset < bytes.count else { throw Cut() }
            let end = Swift.min(bytes.count, offset + Swift.max(1, count))
            defer { offset = end }
            return Data(bytes[(bytes.startIndex + offset)..<(bytes.startIndex + end)])
        }
    }
}

/// A FlyingFox server bound to 127.0.0.1 on an ephemeral port, handing every request (body read)
/// to one closure.
final class FakeHTTPServer: Sendable {
    let server: HTTPServer
    let task: Task<Void, any Error>
    let port: UInt16

    private init(server: HTTPServer, task: Task<Void, any Error>, port: UInt16) {
        self.server = server
        self.task = task
        self.port = port
    }

    /// Starts a server on 127.0.0.1 (`port` 0: ephemeral) and waits until it listens.
    static func start(port: UInt16 = 0, handler: @escaping @Sendable (RecordedRequest) async -> FakeReply) async throws -> FakeHTTPServer {
        let address = try sockaddr_in.inet(ip4: "127.0.0.1", port: port)
        // A long handler timeout: slow faults must outlast the client's timeout, not FlyingFox's.
        let config = HTTPServer.Configuration(address: address, timeout: 3600, logger: DisabledLogger.disabled)
        let server = HTTPServer(config: config)
        await server.appendRoute("*") { request in
            let body = (try? await request.bodyData) ?? Data()
            var query: [String: String] = [:]
            for item in request.query { query[item.name] = item.value }
            var headers: [String: String] = [:]
            for (name, value) in request.headers { headers[name.rawValue.lowercased()] = value }
            let recorded = RecordedRequest(
                method: request.method.rawValue, path: request.path, query: query, headers: headers, body: body)
            return await handler(recorded).flyingFoxResponse
        }
        let task = Task { try await server.run() }
        do {
            try await server.waitUntilListening(timeout: 120)
        } catch {
            task.cancel()
            throw error
        }
        guard case .ip4(_, let boundPort)? = await server.listeningAddress else {
            await server.stop()
            task.cancel()
            throw FakeServerError("fake server did not report its listening address")
        }
        return FakeHTTPServer(server: server, task: task, port: boundPort)
    }

    /// Stops listening, closes connections and cancels handlers still running (slow faults).
    func stop() async {
        await server.stop(timeout: 0)
        task.cancel()
        _ = await task.result
    }
}

/// An error of the fake servers themselves (not a simulated provider error).
public struct FakeServerError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Sleeps `duration`, returning early (without throwing) when the task is cancelled.
func fakeSleep(_ duration: Duration) async {
    try? await Task.sleep(for: duration)
}

/// Owns a fake's server: started once, stopped on request, and stopped when the fake is dropped.
final class FakeServerHost: Sendable {
    private let server = Mutex<FakeHTTPServer?>(nil)

    /// Starts listening (no-op when already started); returns the port.
    func start(port: UInt16, handler: @escaping @Sendable (RecordedRequest) async -> FakeReply) async throws -> UInt16 {
        if let running = server.withLock({ $0 }) { return running.port }
        let started = try await FakeHTTPServer.start(port: port, handler: handler)
        server.withLock { $0 = started }
        return started.port
    }

    /// Stops the server; handlers still running (slow faults, `Prefer: wait`) are cancelled.
    func stop() async {
        let running = server.withLock { current -> FakeHTTPServer? in
            defer { current = nil }
            return current
        }
        await running?.stop()
    }

    deinit {
        server.withLock { $0?.task.cancel() }
    }
}

import Foundation
import ReelBasics
import Synchronization
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The HTTP seam: sends one request, no policy. `HTTPClient` wraps retries, backoff and auth
/// around it, so tests exercise the policy against a fake transport or a loopback fake server.
public protocol HTTPTransport: Sendable {
    /// Sends `request` and returns the whole response.
    func send(_ request: HTTPRequest) async throws -> HTTPResponse
    /// Sends `request` and streams the body to `destination` (never held in memory).
    /// - Returns: the response with an empty body, and the number of bytes written.
    func download(_ request: HTTPRequest, to destination: AbsolutePath) async throws -> (response: HTTPResponse, bytes: Int64)
}

/// Failures below HTTP: the request may or may not have reached the server.
public enum TransportError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The connection could not be made: the request provably never reached the server.
    case notConnected(String)
    /// The request timed out: it may have been received.
    case timedOut
    /// The connection broke mid-request or mid-response: it may have been received.
    case connectionLost(String)
    /// A download ended before `Content-Length` bytes arrived.
    case truncated(expected: Int64, received: Int64)

    /// Whether the request certainly did not reach the server (safe to retry even a POST).
    public var provablyNotSent: Bool {
        if case .notConnected = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .notConnected(let detail): return "could not connect (\(detail))"
        case .timedOut: return "timed out"
        case .connectionLost(let detail): return "connection lost (\(detail))"
        case .truncated(let expected, let received): return "download truncated: \(received) of \(expected) bytes"
        }
    }
}

/// The real transport: URLSession (libcurl on Linux). Chosen over AsyncHTTPClient because it needs
/// no extra dependency (AHC adds 2.5–4.5 minutes to every clean CI build here) and streams
/// downloads to disk (256 MiB at 48 MB peak RSS, measured in platform notes).
public final class URLSessionTransport: HTTPTransport {
    /// One session per timeout: on Linux `URLRequest.timeoutInterval` is ignored and only the
    /// session's `timeoutIntervalForRequest` applies (measured against a slow fake server).
    private let sessions = Mutex<[Int: URLSession]>([:])

    public init() {}

    /// Above any concurrency a build may use (`generate.concurrency` is at most 64; polls and
    /// downloads of running nodes share the host too).
    static let maxConnectionsPerHost = 256

    func session(timeout: TimeInterval) -> URLSession {
        let key = Int(timeout.rounded(.up))
        return sessions.withLock { sessions in
            if let existing = sessions[key] { return existing }
            let configuration = URLSessionConfiguration.ephemeral
            configuration.httpShouldSetCookies = false
            configuration.urlCache = nil
            configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
            configuration.timeoutIntervalForRequest = TimeInterval(key)
            // URLSession allows six connections per host by default (libcurl's
            // CURLMOPT_MAX_HOST_CONNECTIONS on Linux): with `generate.concurrency: 8` only six
            // creates reached the provider at once and the rest queued inside the HTTP stack. Reel's
            // own limits (per provider, per batch) decide the concurrency; the transport must not.
            configuration.httpMaximumConnectionsPerHost = URLSessionTransport.maxConnectionsPerHost
            let session = URLSession(configuration: configuration)
            sessions[key] = session
            return session
        }
    }

    func urlRequest(_ request: HTTPRequest) -> URLRequest {
        var urlRequest = URLRequest(url: request.url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: request.timeout)
        urlRequest.httpMethod = request.method
        for (name, value) in request.headers { urlRequest.setValue(value, forHTTPHeaderField: name) }
        urlRequest.httpBody = request.body
        return urlRequest
    }

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let session = session(timeout: request.timeout)
        let urlRequest = urlRequest(request)
        do {
            let (data, response): (Data, URLResponse) = try await URLSessionTransport.run { finish in
                session.dataTask(with: urlRequest) { data, response, error in
                    if let error {
                        finish(.failure(error))
                    } else if let response {
                        finish(.success((data ?? Data(), response)))
                    } else {
                        finish(.failure(URLError(.badServerResponse)))
                    }
                }
            }
            return URLSessionTransport.convert(response, body: data)
        } catch {
            throw URLSessionTransport.classify(error)
        }
    }

    public func download(_ request: HTTPRequest, to destination: AbsolutePath) async throws -> (response: HTTPResponse, bytes: Int64) {
        let session = session(timeout: request.timeout)
        let urlRequest = urlRequest(request)
        let response: URLResponse
        do {
            response = try await URLSessionTransport.run { finish in
                session.downloadTask(with: urlRequest) { temporary, response, error in
                    // The temporary file is deleted when this handler returns: move it now.
                    if let error { return finish(.failure(error)) }
                    guard let temporary, let response else { return finish(.failure(URLError(.badServerResponse))) }
                    do {
                        try? FileManager.default.removeItem(atPath: destination.pathString)
                        try FileManager.default.moveItem(at: temporary, to: URL(fileURLWithPath: destination.pathString))
                        finish(.success(response))
                    } catch {
                        finish(.failure(error))
                    }
                }
            }
        } catch {
            throw URLSessionTransport.classify(error)
        }
        let converted = URLSessionTransport.convert(response, body: Data())
        let bytes = (try? FileManager.default.attributesOfItem(atPath: destination.pathString)[.size] as? Int64) ?? 0
        if let expected = converted.header("content-length").flatMap(Int64.init), expected != bytes, (200..<300).contains(converted.status) {
            throw TransportError.truncated(expected: expected, received: bytes)
        }
        return (converted, bytes)
    }

    /// Runs a URLSession task made by `make`, honouring task cancellation. FoundationNetworking's
    /// own async methods cancel the URLSessionTask synchronously from the cancellation handler,
    /// which deadlocks when the task completes at that moment (seen under randomised Ctrl-C):
    /// here the cancel is sent from another queue, never under the Swift task's status lock.
    static func run<Value: Sendable>(
        _ make: (@escaping @Sendable (Result<Value, any Error>) -> Void) -> URLSessionTask
    ) async throws -> Value {
        let box = CancellableTask()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Value, any Error>) in
                let task = make { result in continuation.resume(with: result) }
                box.start(task)
            }
        } onCancel: {
            box.cancel()
        }
    }
}

/// A URLSessionTask that may be cancelled before or after it starts, from any thread.
final class CancellableTask: Sendable {
    private let state = Mutex<(task: URLSessionTask?, cancelled: Bool)>((nil, false))

    func start(_ task: URLSessionTask) {
        let cancelled = state.withLock { state -> Bool in
            state.task = task
            return state.cancelled
        }
        task.resume()
        if cancelled { DispatchQueue.global().async { task.cancel() } }
    }

    func cancel() {
        let task = state.withLock { state -> URLSessionTask? in
            state.cancelled = true
            return state.task
        }
        if let task { DispatchQueue.global().async { task.cancel() } }
    }
}

extension URLSessionTransport {
    static func convert(_ response: URLResponse, body: Data) -> HTTPResponse {
        guard let http = response as? HTTPURLResponse else { return HTTPResponse(status: 0, body: body) }
        var headers: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            if let name = name as? String, let value = value as? String { headers[name] = value }
        }
        return HTTPResponse(status: http.statusCode, headers: headers, body: body)
    }

    static func classify(_ error: any Error) -> any Error {
        if error is CancellationError { return error }
        guard let urlError = error as? URLError else { return TransportError.connectionLost("\(error)") }
        switch urlError.code {
        case .cancelled: return CancellationError()
        case .timedOut: return TransportError.timedOut
        case .cannotConnectToHost, .cannotFindHost, .dnsLookupFailed, .notConnectedToInternet:
            return TransportError.notConnected(urlError.localizedDescription)
        default:
            return TransportError.connectionLost(urlError.localizedDescription)
        }
    }
}

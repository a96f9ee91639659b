import Foundation
import ReelBasics
import ReelProviders
import Synchronization
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The remote cache's HTTP seam: one request, no policy (`RemoteCacheClient` owns retries,
/// statuses and verification). Unlike the providers' `HTTPTransport` it uploads a file's bytes
/// without holding them, and hands a download to a sink chunk by chunk, so a blob is hashed while
/// it streams to disk.
public protocol RemoteCacheTransport: Sendable {
    /// Sends a request whose answer is small (HEAD, an action record, a small PUT), whole.
    func send(_ request: HTTPRequest) async throws -> HTTPResponse
    /// PUTs the `size` bytes of `file`, streamed, with `Content-Length: size` (never chunked).
    func upload(_ request: HTTPRequest, file: AbsolutePath, size: Int64) async throws -> HTTPResponse
    /// Sends a GET; a 2xx body goes to `sink` chunk by chunk as it arrives (never held whole),
    /// any other status comes back with its (small) body in the response.
    func stream(_ request: HTTPRequest, to sink: any DownloadSink) async throws -> HTTPResponse
}

/// Where a streamed download's bytes go. Called from one thread at a time, in order.
public protocol DownloadSink: AnyObject, Sendable {
    /// The next chunk. Throwing stops the transfer; `stream` rethrows the error.
    func receive(_ chunk: Data) throws
}

/// The real transport: URLSession (libcurl on Linux), the project's HTTP stack. Two sessions: a
/// plain one for whole requests and file uploads, and one whose delegate receives download chunks
/// on its serial queue and writes them straight through (a download is never buffered whole).
public final class URLSessionRemoteTransport: RemoteCacheTransport {
    private let plain: URLSession
    private let streaming: URLSession
    private let delegate: StreamingDelegate

    /// - Parameters:
    ///   - timeout: seconds without progress before a request is abandoned.
    ///   - maxConnections: connections to the server at once (URLSession queues the rest).
    public init(timeout: TimeInterval, maxConnections: Int) {
        func configuration() -> URLSessionConfiguration {
            let configuration = URLSessionConfiguration.ephemeral
            configuration.httpShouldSetCookies = false
            configuration.urlCache = nil
            configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
            configuration.timeoutIntervalForRequest = timeout
            configuration.httpMaximumConnectionsPerHost = max(1, maxConnections)
            return configuration
        }
        delegate = StreamingDelegate()
        plain = URLSession(configuration: configuration())
        streaming = URLSession(configuration: configuration(), delegate: delegate, delegateQueue: nil)
    }

    deinit {
        plain.finishTasksAndInvalidate()
        streaming.finishTasksAndInvalidate()
    }

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        do {
            let (data, response) = try await plain.data(for: Self.urlRequest(request))
            return Self.convert(response, body: data)
        } catch {
            throw Self.classify(error)
        }
    }

    public func upload(_ request: HTTPRequest, file: AbsolutePath, size: Int64) async throws -> HTTPResponse {
        var urlRequest = Self.urlRequest(request)
        // libcurl sends a file upload chunked unless it is told the length.
        urlRequest.setValue(String(size), forHTTPHeaderField: "Content-Length")
        do {
            let (data, response) = try await plain.upload(for: urlRequest, fromFile: URL(fileURLWithPath: file.pathString))
            return Self.convert(response, body: data)
        } catch {
            throw Self.classify(error)
        }
    }

    public func stream(_ request: HTTPRequest, to sink: any DownloadSink) async throws -> HTTPResponse {
        let task = streaming.dataTask(with: Self.urlRequest(request))
        let transfer = Transfer(sink: sink)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<HTTPResponse, any Error>) in
                transfer.continuation = continuation
                delegate.register(transfer, for: task)
                task.resume()
            }
        } onCancel: {
            task.cancel()
        }
    }

    static func urlRequest(_ request: HTTPRequest) -> URLRequest {
        var urlRequest = URLRequest(url: request.url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: request.timeout)
        urlRequest.httpMethod = request.method
        for (name, value) in request.headers { urlRequest.setValue(value, forHTTPHeaderField: name) }
        if let body = request.body {
            urlRequest.httpBody = body
            urlRequest.setValue(String(body.count), forHTTPHeaderField: "Content-Length")
        }
        return urlRequest
    }

    static func convert(_ response: URLResponse?, body: Data) -> HTTPResponse {
        guard let http = response as? HTTPURLResponse else { return HTTPResponse(status: 0, body: body) }
        var headers: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            if let name = name as? String, let value = value as? String { headers[name] = value }
        }
        return HTTPResponse(status: http.statusCode, headers: headers, body: body)
    }

    static func classify(_ error: any Error) -> any Error {
        if error is CancellationError || error is RemoteCacheError { return error }
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

/// One streamed download in flight. Its mutable state is touched only on the streaming session's
/// serial delegate queue (and `continuation` once before the task starts).
final class Transfer: @unchecked Sendable {
    let sink: any DownloadSink
    var continuation: CheckedContinuation<HTTPResponse, any Error>?
    var response: URLResponse?
    var errorBody = Data()
    var sinkError: (any Error)?

    /// Error bodies are kept only this far (they are messages, not blobs).
    static let errorBodyLimit = 64 * 1024

    init(sink: any DownloadSink) {
        self.sink = sink
    }

    var succeeded: Bool {
        guard let status = (response as? HTTPURLResponse)?.statusCode else { return false }
        return (200..<300).contains(status)
    }

    func receive(_ data: Data, task: URLSessionTask) {
        guard sinkError == nil else { return }
        if succeeded {
            do {
                try sink.receive(data)
            } catch {
                sinkError = error
                task.cancel()
            }
        } else if errorBody.count < Self.errorBodyLimit {
            errorBody.append(data.prefix(Self.errorBodyLimit - errorBody.count))
        }
    }

    func finish(_ error: (any Error)?) {
        guard let continuation else { return }
        self.continuation = nil
        if let sinkError {
            continuation.resume(throwing: sinkError)
        } else if let error {
            continuation.resume(throwing: URLSessionRemoteTransport.classify(error))
        } else {
            continuation.resume(returning: URLSessionRemoteTransport.convert(response, body: succeeded ? Data() : errorBody))
        }
    }
}

/// The streaming session's delegate: routes each task's callbacks to its `Transfer`.
final class StreamingDelegate: NSObject, URLSessionDataDelegate, Sendable {
    private let transfers = Mutex<[Int: Transfer]>([:])

    func register(_ transfer: Transfer, for task: URLSessionTask) {
        transfers.withLock { $0[task.taskIdentifier] = transfer }
    }

    private func transfer(for task: URLSessionTask) -> Transfer? {
        transfers.withLock { $0[task.taskIdentifier] }
    }

    func urlSession(
        _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void
    ) {
        transfer(for: dataTask)?.response = response
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        transfer(for: dataTask)?.receive(data, task: dataTask)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        let transfer = transfers.withLock { $0.removeValue(forKey: task.taskIdentifier) }
        transfer?.finish(error)
    }
}

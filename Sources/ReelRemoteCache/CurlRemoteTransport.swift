import CReelCurl
import Foundation
import ReelBasics
import ReelProviders
import Synchronization

/// The real remote cache transport: libcurl's easy interface, one blocking transfer per thread.
///
/// Not URLSession (the providers' stack), measured on this machine: URLSession on Linux hands every
/// download chunk to one serial delegate queue without backpressure, so a 1 GiB blob peaked at
/// 263 MiB RSS and 100 blobs of 2 MB took 2.8× `curl --parallel`. Here the write callback hashes
/// and writes each chunk before libcurl reads more from the socket (TCP flow control is the
/// backpressure), and transfers hash on as many cores as there are. Idle handles are kept, so
/// their connections are reused. `Accept-Encoding` is never sent (a blob is fetched as stored),
/// uploads carry `Content-Length` and no `Expect: 100-continue`.
public final class CurlRemoteTransport: RemoteCacheTransport {
    private let timeout: TimeInterval
    private let idle = Mutex<[CurlHandle]>([])

    /// Responses `send` keeps in memory are at most this large (they are records and messages).
    static let memoryLimit = 4 << 20

    private static let globalInit: CURLcode = curl_global_init(Int(CURL_GLOBAL_DEFAULT))

    /// - Parameter timeout: seconds with no byte moving (and the longest connect) before a
    ///   transfer is abandoned.
    public init(timeout: TimeInterval) {
        _ = Self.globalInit
        self.timeout = timeout
    }

    deinit {
        for handle in idle.withLock({ $0 }) { curl_easy_cleanup(handle.pointer) }
    }

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let sink = MemorySink(limit: Int64(Self.memoryLimit))
        var response = try await perform(request, body: request.body.map { .data($0) } ?? .none, sink: sink)
        if (200..<300).contains(response.status) { response.body = sink.data }
        return response
    }

    public func upload(_ request: HTTPRequest, file: AbsolutePath, size: Int64) async throws -> HTTPResponse {
        let fd = open(file.pathString, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystemError.posix(op: "open", path: file.pathString, errno: errno) }
        defer { close(fd) }
        return try await perform(request, body: .file(fd, size: size), sink: nil)
    }

    public func stream(_ request: HTTPRequest, to sink: any DownloadSink) async throws -> HTTPResponse {
        try await perform(request, body: .none, sink: sink)
    }

    // MARK: - One transfer

    private func perform(_ request: HTTPRequest, body: CurlCall.Body, sink: (any DownloadSink)?) async throws -> HTTPResponse {
        guard let handle = idle.withLock({ $0.popLast() }) ?? curl_easy_init().map(CurlHandle.init) else {
            throw TransportError.connectionLost("libcurl could not start a transfer")
        }
        let call = CurlCall(handle: handle.pointer, body: body, sink: sink)
        let timeout = min(self.timeout, request.timeout)
        let result: Result<HTTPResponse, any Error> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let thread = Thread {
                    continuation.resume(returning: call.run(method: request.method, url: request.url, headers: request.headers, timeout: timeout))
                }
                thread.name = "reel-remote-cache"
                thread.start()
            }
        } onCancel: {
            call.cancel()
        }
        // A handle whose transfer failed may hold a broken connection: libcurl notices and
        // reconnects, so it is kept either way.
        idle.withLock { $0.append(handle) }
        return try result.get()
    }
}

/// An easy handle kept between transfers (used by one transfer at a time).
struct CurlHandle: @unchecked Sendable {
    let pointer: UnsafeMutableRawPointer
}

/// One transfer's state, touched by libcurl's callbacks on the transfer's own thread (and
/// `cancelled` from any thread).
final class CurlCall: @unchecked Sendable {
    enum Body {
        case none
        case data(Data)
        case file(Int32, size: Int64)
    }

    let handle: UnsafeMutableRawPointer
    let body: Body
    let sink: (any DownloadSink)?
    private var offset = 0
    private var status = 0
    private var errorBody = Data()
    private var sinkError: (any Error)?
    private var readError: Int32 = 0
    private let cancelled = Atomic<Bool>(false)

    init(handle: UnsafeMutableRawPointer, body: Body, sink: (any DownloadSink)?) {
        self.handle = handle
        self.body = body
        self.sink = sink
    }

    func cancel() {
        cancelled.store(true, ordering: .relaxed)
    }

    /// Runs the transfer to the end (blocking).
    func run(method: String, url: URL, headers: [String: String], timeout: TimeInterval) -> Result<HTTPResponse, any Error> {
        curl_easy_reset(handle)
        var list: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(list) }
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) where name.lowercased() != "content-length" {
            list = curl_slist_append(list, "\(name): \(value)")
        }
        // No 100-continue round trip before a body (Bazel's client does not send it either).
        list = curl_slist_append(list, "Expect:")
        let me = Unmanaged.passUnretained(self).toOpaque()
        var setup = [
            reel_curl_set_pointer(handle, CURLOPT_URL, url.absoluteString),
            reel_curl_set_pointer(handle, CURLOPT_HTTPHEADER, list),
            reel_curl_set_long(handle, CURLOPT_NOSIGNAL, 1),
            reel_curl_set_long(handle, CURLOPT_BUFFERSIZE, 256 * 1024),
            reel_curl_set_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Int(min(timeout, 10) * 1000)),
            reel_curl_set_long(handle, CURLOPT_LOW_SPEED_LIMIT, 1),
            reel_curl_set_long(handle, CURLOPT_LOW_SPEED_TIME, max(1, Int(timeout.rounded(.up)))),
            reel_curl_set_write_function(handle, curlWrite),
            reel_curl_set_pointer(handle, CURLOPT_WRITEDATA, me),
            reel_curl_set_long(handle, CURLOPT_NOPROGRESS, 0),
            reel_curl_set_progress_function(handle, curlProgress),
            reel_curl_set_pointer(handle, CURLOPT_XFERINFODATA, me),
        ]
        switch (method, body) {
        case ("HEAD", _):
            setup.append(reel_curl_set_long(handle, CURLOPT_NOBODY, 1))
        case ("PUT", .data(let data)):
            setup += uploadOptions(size: Int64(data.count), me: me)
        case ("PUT", .file(_, let size)):
            setup += uploadOptions(size: size, me: me)
        case ("GET", _):
            break
        default:
            setup.append(reel_curl_set_pointer(handle, CURLOPT_CUSTOMREQUEST, method))
        }
        if let failed = setup.first(where: { $0 != CURLE_OK }) {
            return .failure(TransportError.connectionLost("libcurl refused an option: \(String(cString: curl_easy_strerror(failed)))"))
        }
        let code = curl_easy_perform(handle)
        if let sinkError { return .failure(sinkError) }
        if cancelled.load(ordering: .relaxed) { return .failure(CancellationError()) }
        switch code {
        case CURLE_OK:
            let status = Int(reel_curl_response_code(handle))
            return .success(HTTPResponse(status: status, body: (200..<300).contains(status) ? Data() : errorBody))
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return .failure(TransportError.notConnected(String(cString: curl_easy_strerror(code))))
        case CURLE_OPERATION_TIMEDOUT:
            return .failure(TransportError.timedOut)
        case CURLE_READ_ERROR where readError != 0:
            return .failure(FileSystemError.posix(op: "read", path: "the blob being uploaded", errno: readError))
        default:
            return .failure(TransportError.connectionLost(String(cString: curl_easy_strerror(code))))
        }
    }

    private func uploadOptions(size: Int64, me: UnsafeMutableRawPointer) -> [CURLcode] {
        [
            reel_curl_set_long(handle, CURLOPT_UPLOAD, 1),
            reel_curl_set_offset(handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(size)),
            reel_curl_set_read_function(handle, curlRead),
            reel_curl_set_pointer(handle, CURLOPT_READDATA, me),
        ]
    }

    /// Response bytes: to the sink for a 2xx answer (written and hashed before libcurl reads on),
    /// else kept as the error message (bounded).
    fileprivate func receive(_ bytes: UnsafeRawBufferPointer) -> Bool {
        if status == 0 { status = Int(reel_curl_response_code(handle)) }
        if (200..<300).contains(status) {
            guard let sink else { return true }
            do {
                try sink.receive(bytes)
                return true
            } catch {
                sinkError = error
                return false
            }
        }
        if errorBody.count < 64 * 1024 { errorBody.append(contentsOf: bytes.prefix(64 * 1024 - errorBody.count)) }
        return true
    }

    /// Request body bytes into libcurl's buffer; 0 at the end.
    fileprivate func fill(_ buffer: UnsafeMutableRawBufferPointer) -> Int {
        switch body {
        case .none:
            return 0
        case .data(let data):
            let count = min(buffer.count, data.count - offset)
            guard count > 0 else { return 0 }
            data.withUnsafeBytes { source in
                buffer.baseAddress!.copyMemory(from: source.baseAddress! + offset, byteCount: count)
            }
            offset += count
            return count
        case .file(let fd, _):
            while true {
                let count = read(fd, buffer.baseAddress, buffer.count)
                if count >= 0 { return count }
                if errno == EINTR { continue }
                readError = errno
                return Int(CURL_READFUNC_ABORT)
            }
        }
    }

    fileprivate var isCancelled: Bool { cancelled.load(ordering: .relaxed) }
}

private func curlWrite(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?) -> Int {
    guard let context else { return 0 }
    let call = Unmanaged<CurlCall>.fromOpaque(context).takeUnretainedValue()
    let length = size * count
    return call.receive(UnsafeRawBufferPointer(start: data, count: length)) ? length : 0
}

private func curlRead(_ buffer: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?) -> Int {
    guard let context, let buffer else { return Int(CURL_READFUNC_ABORT) }
    let call = Unmanaged<CurlCall>.fromOpaque(context).takeUnretainedValue()
    return call.fill(UnsafeMutableRawBufferPointer(start: buffer, count: size * count))
}

private func curlProgress(
    _ context: UnsafeMutableRawPointer?, _ downloadTotal: curl_off_t, _ downloaded: curl_off_t, _ uploadTotal: curl_off_t, _ uploaded: curl_off_t
) -> Int32 {
    guard let context else { return 0 }
    return Unmanaged<CurlCall>.fromOpaque(context).takeUnretainedValue().isCancelled ? 1 : 0
}

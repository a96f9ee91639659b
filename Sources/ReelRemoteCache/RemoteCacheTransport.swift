import Foundation
import ReelBasics
import ReelProviders

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

/// Where a streamed download's bytes go. Called from one thread at a time, in order, before the
/// transport reads more (so a slow disk slows the download instead of filling memory).
public protocol DownloadSink: AnyObject, Sendable {
    /// The next chunk (valid only during the call). Throwing stops the transfer; `stream`
    /// rethrows the error.
    func receive(_ chunk: UnsafeRawBufferPointer) throws
}

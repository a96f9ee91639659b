import Foundation
import ReelBasics

/// What went wrong talking to the remote cache. Messages name the URL without credentials and
/// the setting to change, never a credential's value.
public enum RemoteCacheError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A setting is wrong (found before any request).
    case invalidConfiguration(setting: String, problem: String)
    /// The server could not be reached at all (connection refused, no such host): the build goes
    /// on with the local cache only, after one warning.
    case unreachable(url: String, detail: String)
    /// Retries ran out on 5xx, 507, 429 or timeouts: the remote is unusable for now.
    case unavailable(method: String, url: String, attempts: Int, last: String)
    /// 401 or 403: the credentials are missing, wrong or lack permission.
    case unauthorized(method: String, url: String, status: Int, hint: String)
    /// Any other error status (400, 405, 409, 413…), not retried.
    case rejected(method: String, url: String, status: Int, message: String)
    /// A write was attempted while uploads are off.
    case readOnly
    /// A local blob to upload does not hash to its digest (the local cache is damaged).
    case localBlobDamaged(digest: Digest, path: String)

    public var description: String {
        switch self {
        case .invalidConfiguration(let setting, let problem):
            return "remote cache setting \(setting) is invalid: \(problem)"
        case .unreachable(let url, let detail):
            return "remote cache \(url) cannot be reached (\(detail)); check the URL in REEL_REMOTE_CACHE or --remote-cache"
        case .unavailable(let method, let url, let attempts, let last):
            return "remote cache \(method) \(url) still failing after \(attempts) attempts: \(last)"
        case .unauthorized(let method, let url, let status, let hint):
            return "remote cache \(method) \(url) was refused with HTTP \(status) (\(status == 401 ? "unauthorized" : "forbidden")): \(hint)"
        case .rejected(let method, let url, let status, let message):
            return "remote cache \(method) \(url) failed with HTTP \(status): \(message)\(RemoteCacheError.hint(status))"
        case .readOnly:
            return "the remote cache is read-only for this run; pass --remote-upload (or set CI) to write to it"
        case .localBlobDamaged(let digest, let path):
            return "the local blob \(digest.short) at \(path) no longer matches its digest; it was not uploaded (run `reel cache verify`)"
        }
    }

    /// Whether the build should go on with the local cache only (after one warning) rather than
    /// fail: the remote is unreachable or keeps failing. Credentials and configuration problems are
    /// reported as errors instead, because they need the operator to fix something.
    public var degradesToLocal: Bool {
        switch self {
        case .unreachable, .unavailable: return true
        case .invalidConfiguration, .unauthorized, .rejected, .readOnly, .localBlobDamaged: return false
        }
    }

    static func hint(_ status: Int) -> String {
        switch status {
        case 400: return " (bazel-remote answers 400 for an action record that is not an ActionResult, or a blob over --max_blob_size)"
        case 405: return " (the server does not accept this method: for nginx, enable `dav_methods PUT`)"
        case 409: return " (a WebDAV server wants the ac/ and cas/ folders to exist: create them, or enable `create_full_put_path`)"
        case 413: return " (the blob is larger than the server accepts: raise client_max_body_size / --max_blob_size)"
        default: return ""
        }
    }
}

/// Things worth one line in the build output that do not stop anything.
public enum RemoteCacheWarning: Sendable, Equatable, CustomStringConvertible {
    /// A downloaded blob did not hash to its name (or had the wrong size): discarded, a miss.
    case corruptBlob(digest: Digest, expectedSize: Int64?, receivedSize: Int64, receivedDigest: Digest)
    /// An action record whose blobs are gone from the remote: a miss.
    case lostOutputs(key: Digest, missing: [Digest])
    /// An action record that is not Reel's, or is damaged: a miss.
    case unusableRecord(key: Digest, reason: String)
    /// A request failed and will be tried again.
    case retrying(method: String, url: String, attempt: Int, reason: String)

    public var description: String {
        switch self {
        case .corruptBlob(let digest, let expectedSize, let receivedSize, let receivedDigest):
            let size = expectedSize.map { " (\(receivedSize) of \($0) bytes)" } ?? " (\(receivedSize) bytes)"
            return "remote cache served a corrupt blob \(digest.short): it hashes to \(receivedDigest.short)\(size); discarded, treated as a miss"
        case .lostOutputs(let key, let missing):
            return "remote record lost its clip: \(key.short) names \(missing.count == 1 ? "a blob" : "\(missing.count) blobs") "
                + "the remote no longer has (\(missing.map(\.short).joined(separator: ", "))); treated as a miss"
        case .unusableRecord(let key, let reason):
            return "remote record \(key.short) is unusable (\(reason)); treated as a miss"
        case .retrying(let method, let url, let attempt, let reason):
            return "remote cache \(method) \(url): \(reason), trying again (attempt \(attempt))"
        }
    }
}

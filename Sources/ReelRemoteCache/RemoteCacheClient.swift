import Foundation
import ReelBasics
import ReelCache
import ReelProviders
import Synchronization

/// What the remote cache holds for a node key.
public enum RemoteLookup: Sendable, Equatable {
    /// A record whose metadata verified and whose output blobs the remote has.
    case hit(ActionRecord)
    /// No record.
    case miss
    /// A record whose blobs are gone from the remote: a miss, and for a paid node one that costs
    /// money, so `reel plan` says "remote record lost its clip".
    case lostOutputs(missing: [Digest])
    /// An entry that is not Reel's, is damaged, or records a failure: a miss.
    case unusable(String)
}

/// A client for the Bazel HTTP remote cache protocol: `GET/PUT/HEAD {base}/cas/<sha256>` for
/// blobs and `{base}/ac/<64 hex>` for action records, as bazel-remote, nginx/Apache WebDAV and
/// hosted Bazel caches serve it.
///
/// Reel's action records go in as REAPI `ActionResult`s (which bazel-remote validates), keyed by a
/// salted node key (`actionKey(for:)`) so they never collide with Bazel's or ccache's entries: one
/// output file per output (path = the output's name) and a metadata blob holding the
/// `ActionRecord` as JSON (path `reel-action-record.json`). Every download is verified while it
/// streams; blobs go up before the record that names them.
public final class RemoteCacheClient: Sendable {
    public let configuration: RemoteCacheConfiguration
    let transport: any RemoteCacheTransport
    let policy: RetryPolicy
    let clock: any Clock<Duration>
    let warn: @Sendable (RemoteCacheWarning) -> Void
    private let lost = Mutex<[Digest: [Digest]]>([:])

    /// The output path of the metadata blob in an action record.
    public static let metadataPath = "reel-action-record.json"
    /// Blobs at least this large are looked for (HEAD) before they are uploaded; smaller ones go
    /// up from memory in one request.
    public static let headBeforePutThreshold: Int64 = 1 << 20
    /// Largest action record or metadata blob Reel reads (they are a few hundred bytes).
    static let smallEntryLimit: Int64 = 4 << 20

    /// Retries for the remote: fewer and shorter than a provider's, since a cache miss is cheap
    /// next to holding a build up.
    public static let defaultPolicy = RetryPolicy(maxAttempts: 4, baseDelay: .milliseconds(250), maxDelay: .seconds(5))

    /// - Parameters:
    ///   - transport: the HTTP seam (default: libcurl with the configuration's timeout).
    ///   - warn: told about corrupt blobs, lost or unusable records and retries.
    public init(
        configuration: RemoteCacheConfiguration, transport: (any RemoteCacheTransport)? = nil, policy: RetryPolicy = RemoteCacheClient.defaultPolicy,
        clock: any Clock<Duration> = ContinuousClock(), warn: @escaping @Sendable (RemoteCacheWarning) -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.transport = transport ?? CurlRemoteTransport(timeout: configuration.timeout)
        self.policy = policy
        self.clock = clock
        self.warn = warn
    }

    /// The action cache key of a node: SHA-256 of `reel-ac-v1\n` and the node key's hex, so Reel's
    /// entries can never be mistaken for (or overwrite) another tool's in a shared server.
    public static func actionKey(for nodeKey: Digest) -> Digest {
        Digest.of(string: "reel-ac-v1\n" + nodeKey.hex)
    }

    // MARK: - Action records

    /// The record for `key`, or nil on a miss — including a record whose blobs are gone (then
    /// `lostOutputs(for:)` tells which) and one that is damaged or not Reel's.
    public func actionRecord(for key: Digest) async throws -> ActionRecord? {
        if case .hit(let record) = try await lookup(key) { return record }
        return nil
    }

    /// The blobs the remote's record for `key` names but no longer has, when the last lookup of
    /// `key` found it so ("remote record lost its clip").
    public func lostOutputs(for key: Digest) -> [Digest]? {
        lost.withLock { $0[key] }
    }

    /// Looks `key` up: the action record, its metadata blob (verified), and a HEAD for every output
    /// blob it names.
    public func lookup(_ key: Digest) async throws -> RemoteLookup {
        let result: RemoteLookup
        do {
            result = try await lookupUnrecorded(key)
        } catch let tooLarge as MemorySink.LimitExceeded {
            result = .unusable(tooLarge.description)
        }
        lost.withLock { lost in
            if case .lostOutputs(let missing) = result { lost[key] = missing } else { lost[key] = nil }
        }
        switch result {
        case .lostOutputs(let missing): warn(.lostOutputs(key: key, missing: missing))
        case .unusable(let reason): warn(.unusableRecord(key: key, reason: reason))
        case .hit, .miss: break
        }
        return result
    }

    private func lookupUnrecorded(_ key: Digest) async throws -> RemoteLookup {
        guard let body = try await fetchSmall(.actionCache, Self.actionKey(for: key)), !body.isEmpty else { return .miss }
        let result: RemoteActionResult
        do {
            result = try RemoteActionResult(decoding: body)
        } catch {
            return .unusable("not an ActionResult: \(error)")
        }
        guard result.exitCode == 0 else { return .unusable("it records a failed action (exit code \(result.exitCode))") }
        guard let metadataFile = result.outputFiles.first(where: { $0.path == Self.metadataPath }) else {
            return .unusable("it has no \(Self.metadataPath), so Reel did not write it")
        }
        let metadata: Data
        if let inline = metadataFile.contents, Digest.of(inline) == metadataFile.digest {
            metadata = inline
        } else {
            guard let fetched = try await fetchSmall(.contentStore, metadataFile.digest) else { return .lostOutputs(missing: [metadataFile.digest]) }
            guard Digest.of(fetched) == metadataFile.digest else {
                warn(.corruptBlob(digest: metadataFile.digest, expectedSize: metadataFile.size, receivedSize: Int64(fetched.count), receivedDigest: Digest.of(fetched)))
                return .unusable("its metadata blob is corrupt")
            }
            metadata = fetched
        }
        let record: ActionRecord
        do {
            record = try JSONDecoder().decode(ActionRecord.self, from: metadata)
        } catch {
            return .unusable("its metadata is not a Reel action record")
        }
        guard record.key == key else { return .unusable("its metadata is for another node (\(record.key.short))") }
        let listed = result.outputFiles.filter { $0.path != Self.metadataPath }
        let expected = record.outputs.map { RemoteOutputFile(path: $0.name, digest: $0.digest, size: $0.size) }
        guard Set(listed.map(OutputIdentity.init)) == Set(expected.map(OutputIdentity.init)), listed.count == expected.count else {
            return .unusable("its output files do not match its metadata")
        }
        let missing = try await missingBlobs(record.outputs.map(\.digest))
        return missing.isEmpty ? .hit(record) : .lostOutputs(missing: missing)
    }

    /// The digests among `digests` the remote does not have (HEADs, at most a few at once).
    private func missingBlobs(_ digests: [Digest]) async throws -> [Digest] {
        let unique = Array(Set(digests)).sorted()
        var missing: [Digest] = []
        try await withThrowingTaskGroup(of: (Digest, Bool).self) { group in
            for digest in unique {
                group.addTask { (digest, try await self.containsBlob(digest)) }
            }
            for try await (digest, present) in group where !present {
                missing.append(digest)
            }
        }
        return missing.sorted()
    }

    /// Writes the action record for `record.key`: its metadata blob, then the `ActionResult`.
    /// The output blobs must already be uploaded (`uploadBlob`): a record never names a blob the
    /// remote was not given first.
    /// - Throws: `RemoteCacheError.readOnly` when uploads are off; other `RemoteCacheError`s.
    public func storeActionRecord(_ record: ActionRecord) async throws {
        guard configuration.uploads else { throw RemoteCacheError.readOnly }
        var names = Set<String>()
        for output in record.outputs {
            guard !output.name.isEmpty, !output.name.hasPrefix("/"), output.name != Self.metadataPath, names.insert(output.name).inserted else {
                throw InternalError("output name '\(output.name)' of \(record.key.short) cannot be stored in a remote action record")
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let metadata = try encoder.encode(record)
        let metadataDigest = Digest.of(metadata)
        try await put(.contentStore, metadataDigest, body: metadata)
        var files = record.outputs.map { RemoteOutputFile(path: $0.name, digest: $0.digest, size: $0.size) }
        files.append(RemoteOutputFile(path: Self.metadataPath, digest: metadataDigest, size: Int64(metadata.count)))
        try await put(.actionCache, Self.actionKey(for: record.key), body: RemoteActionResult(outputFiles: files).encoded())
    }

    // MARK: - Blobs

    /// Whether the remote has the blob (HEAD).
    public func containsBlob(_ digest: Digest) async throws -> Bool {
        let url = configuration.url(.contentStore, digest)
        return try await withRetries("HEAD", url) {
            let response = try await self.transport.send(self.request("HEAD", url))
            switch response.status {
            case 204, 404: return .done(false)
            case 200..<300: return .done(true)
            default: return try self.failure(response, method: "HEAD", url: url)
            }
        }
    }

    /// Downloads the blob to `path`, hashing it while it streams. A blob that does not hash to
    /// `digest` (or is not `size` bytes) is discarded with a warning and counts as a miss.
    /// - Returns: true when `path` now holds the verified blob; false on a miss (nothing is left
    ///   at `path`).
    public func fetchBlob(_ digest: Digest, size: Int64?, to path: AbsolutePath) async throws -> Bool {
        let url = configuration.url(.contentStore, digest)
        let partial = path.parent.appending(".\(path.basename).\(UUID().uuidString.prefix(8).lowercased()).partial")
        defer { unlink(partial.pathString) }
        let received: (digest: Digest, size: Int64)? = try await withRetries("GET", url) {
            let writer = try HashingFileWriter(path: partial, limit: size)
            let response: HTTPResponse
            do {
                response = try await self.transport.stream(self.request("GET", url), to: writer)
            } catch let tooLarge as HashingFileWriter.LimitExceeded {
                try writer.close()
                return .done((writer.digest, tooLarge.received))
            } catch {
                try? writer.close()
                throw error
            }
            try writer.close()
            switch response.status {
            case 204, 404: return .done(nil)
            case 200..<300: return .done((writer.digest, writer.count))
            default: return try self.failure(response, method: "GET", url: url)
            }
        }
        guard let received else { return false }
        guard received.digest == digest, size.map({ $0 == received.size }) ?? true else {
            warn(.corruptBlob(digest: digest, expectedSize: size, receivedSize: received.size, receivedDigest: received.digest))
            return false
        }
        guard rename(partial.pathString, path.pathString) == 0 else {
            throw FileSystemError.posix(op: "rename", path: path.pathString, errno: errno)
        }
        return true
    }

    /// Uploads the blob at `path` (checked against `digest` first, so a damaged local blob never
    /// poisons the remote). A blob of `headBeforePutThreshold` bytes or more is uploaded only if a
    /// HEAD says the remote lacks it; it streams from the file with `Content-Length`, never chunked.
    /// - Throws: `RemoteCacheError.readOnly` when uploads are off; `.localBlobDamaged`.
    public func uploadBlob(_ digest: Digest, from path: AbsolutePath, size: Int64) async throws {
        guard configuration.uploads else { throw RemoteCacheError.readOnly }
        if size < Self.headBeforePutThreshold {
            let data = try LocalFileSystem().read(path)
            guard Digest.of(data) == digest, Int64(data.count) == size else {
                throw RemoteCacheError.localBlobDamaged(digest: digest, path: path.pathString)
            }
            try await put(.contentStore, digest, body: data)
            return
        }
        let (actual, actualSize) = try FileHasher.hash(path: path.pathString)
        guard actual == digest, actualSize == size else { throw RemoteCacheError.localBlobDamaged(digest: digest, path: path.pathString) }
        if try await containsBlob(digest) { return }
        let url = configuration.url(.contentStore, digest)
        try await withRetries("PUT", url) {
            let response = try await self.transport.upload(self.request("PUT", url), file: path, size: size)
            return try self.putOutcome(response, url: url)
        }
    }

    // MARK: - Requests

    private func request(_ method: String, _ url: URL, body: Data? = nil) -> HTTPRequest {
        var headers: [String: String] = [:]
        for header in configuration.headers { headers[header.name] = header.value.value }
        if body != nil { headers["Content-Type"] = "application/octet-stream" }
        return HTTPRequest(method: method, url: url, headers: headers, body: body, timeout: configuration.timeout)
    }

    /// A small entry (action record, metadata) into memory; nil on a miss.
    private func fetchSmall(_ kind: RemoteCacheConfiguration.EntryKind, _ digest: Digest) async throws -> Data? {
        let url = configuration.url(kind, digest)
        return try await withRetries("GET", url) {
            let sink = MemorySink(limit: Self.smallEntryLimit)
            let response = try await self.transport.stream(self.request("GET", url), to: sink)
            switch response.status {
            case 204, 404: return .done(nil)
            case 200..<300: return .done(sink.data)
            default: return try self.failure(response, method: "GET", url: url)
            }
        }
    }

    private func put(_ kind: RemoteCacheConfiguration.EntryKind, _ digest: Digest, body: Data) async throws {
        let url = configuration.url(kind, digest)
        try await withRetries("PUT", url) {
            try self.putOutcome(try await self.transport.send(self.request("PUT", url, body: body)), url: url)
        }
    }

    /// Bazel's rule: a PUT succeeded on 200, 201, 202 or 204.
    private func putOutcome(_ response: HTTPResponse, url: URL) throws -> Attempt<Void> {
        if [200, 201, 202, 204].contains(response.status) { return .done(()) }
        return try failure(response, method: "PUT", url: url)
    }

    enum Attempt<Value> {
        case done(Value)
        case retry(String, after: Duration?)
    }

    /// An error status: retried (408, 429, 5xx including 507) or thrown.
    private func failure<Value>(_ response: HTTPResponse, method: String, url: URL) throws -> Attempt<Value> {
        switch response.status {
        case 408, 429, 500...599:
            let reason = "HTTP \(response.status)" + (response.status == 507 ? " (server full)" : "")
            return .retry(reason, after: RetryPolicy.parseRetryAfter(response.header("retry-after")))
        case 401, 403:
            throw RemoteCacheError.unauthorized(method: method, url: url.absoluteString, status: response.status, hint: configuration.credentialSettings)
        default:
            let text = String(decoding: response.body.prefix(300), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw RemoteCacheError.rejected(
                method: method, url: url.absoluteString, status: response.status, message: configuration.scrub(text.isEmpty ? "no details" : text))
        }
    }

    /// Runs `attempt` until it is done, retrying transport failures and retryable statuses with
    /// backoff. A server that cannot be connected to at all is `unreachable` at once.
    private func withRetries<Value>(_ method: String, _ url: URL, _ attempt: () async throws -> Attempt<Value>) async throws -> Value {
        var generator = SystemRandomNumberGenerator()
        var number = 1
        while true {
            try Task.checkCancellation()
            let reason: String
            var retryAfter: Duration?
            do {
                switch try await attempt() {
                case .done(let value): return value
                case .retry(let why, let after): (reason, retryAfter) = (why, after)
                }
            } catch let error as TransportError {
                if case .notConnected(let detail) = error { throw RemoteCacheError.unreachable(url: configuration.displayURL, detail: detail) }
                reason = error.description
            }
            guard number < policy.maxAttempts else {
                throw RemoteCacheError.unavailable(method: method, url: url.absoluteString, attempts: number, last: reason)
            }
            number += 1
            warn(.retrying(method: method, url: url.absoluteString, attempt: number, reason: reason))
            try await clock.sleep(for: policy.delay(afterAttempt: number - 1, retryAfter: retryAfter, using: &generator))
        }
    }
}

/// An output as the record and the `ActionResult` both name it.
private struct OutputIdentity: Hashable {
    let path: String
    let digest: Digest
    let size: Int64

    init(_ file: RemoteOutputFile) {
        (path, digest, size) = (file.path, file.digest, file.size)
    }
}

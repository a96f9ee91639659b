import Foundation
import ReelBasics
import Synchronization

/// A fake bazel-remote HTTP cache on 127.0.0.1, written from bazel-remote's documented behaviour
/// (shared/reference/remote-cache.md §1.2), not from its code:
///
/// - `{any prefix}/ac/<64 hex>` and `{any prefix}/cas/<64 hex>` for GET, HEAD and PUT;
/// - a PUT without `Content-Length` (or sent chunked) is 400 `PUT without Content-Length`;
/// - a CAS PUT whose body does not hash to its name is 500; an empty body for a non-empty hash 400;
/// - an AC PUT must parse as a REAPI `ActionResult` (protobuf; its own strict parser here,
///   independent of Reel's codec) else 400; it is stored re-marshalled with
///   `execution_metadata.worker` set to the client address, so bytes read back differ;
/// - an AC GET/HEAD whose output blobs are missing from the CAS answers 404;
/// - a PUT that would exceed the capacity answers 507 Insufficient Storage;
/// - with `authorization` set, any request without exactly that `Authorization` is 401.
public final class FakeBazelRemote: Sendable {
    struct State {
        var port: UInt16 = 0
        var log = RequestLog()
        var cas: [String: Data] = [:]
        var ac: [String: Data] = [:]
        var faults: [FakeFault] = []
    }

    let state = Mutex(State())
    let host = FakeServerHost()
    /// Bytes the cache holds at most (CAS plus AC).
    public let capacity: Int
    /// The exact `Authorization` header required, if any.
    public let authorization: String?

    public init(capacity: Int = 1 << 30, authorization: String? = nil) {
        self.capacity = capacity
        self.authorization = authorization
    }

    public func start() async throws {
        let bound = try await host.start(port: 0) { [weak self] request in
            guard let self else { return .text(503, "FakeBazelRemote was deallocated") }
            return await self.handle(request)
        }
        state.withLock { $0.port = bound }
    }

    public func stop() async {
        await host.stop()
    }

    public var port: UInt16 { state.withLock { $0.port } }

    /// `http://127.0.0.1:<port>/instance`: bazel-remote ignores a prefix before `ac/` or `cas/`.
    public var baseURL: URL { URL(string: "http://127.0.0.1:\(port)/instance") ?? URL(fileURLWithPath: "/") }

    /// Every request so far, in order, with the status it got.
    public var requests: [RecordedRequest] { state.withLock { $0.log.entries } }

    /// Forgets the recorded requests.
    public func resetRequests() { state.withLock { $0.log.reset() } }

    /// Answers the next `times` requests with `fault` instead of serving them.
    public func inject(_ fault: FakeFault, times: Int = 1) {
        state.withLock { $0.faults.append(contentsOf: Array(repeating: fault, count: times)) }
    }

    /// The blob stored under `hex`, if any.
    public func blob(_ hex: String) -> Data? { state.withLock { $0.cas[hex] } }
    /// The action cache body stored under `hex`, if any (as re-marshalled by the fake).
    public func actionEntry(_ hex: String) -> Data? { state.withLock { $0.ac[hex] } }
    /// Evicts a blob, as bazel-remote's LRU would.
    public func evictBlob(_ hex: String) { _ = state.withLock { $0.cas.removeValue(forKey: hex) } }
    /// Stores a blob directly (e.g. a corrupt one).
    public func storeBlob(_ hex: String, _ data: Data) { state.withLock { $0.cas[hex] = data } }

    // MARK: - Handling

    func handle(_ request: RecordedRequest) async -> FakeReply {
        let serial = state.withLock { $0.log.append(request) }
        var reply = answer(request)
        // A HEAD answer has no body (a body would be read as the start of the next response).
        if request.method == "HEAD" { reply.body = Data() }
        state.withLock { $0.log.setStatus(reply.status, for: serial) }
        return reply
    }

    private func answer(_ request: RecordedRequest) -> FakeReply {
        if let fault = state.withLock({ $0.faults.isEmpty ? nil : $0.faults.removeFirst() }) {
            switch fault {
            case .serverError(let status): return .text(status, "injected")
            case .response(let status, let body, let headers): return FakeReply(status: status, headers: headers, body: Data(body.utf8))
            default: return .text(500, "fault \(fault) is not supported by FakeBazelRemote")
            }
        }
        if let authorization, request.header("authorization") != authorization {
            return .text(401, "Authentication required")
        }
        guard let (kind, hash) = Self.parsePath(request.path) else { return .text(400, "invalid request") }
        switch request.method {
        case "GET", "HEAD":
            let data: Data? = state.withLock { state in
                if kind == "cas" { return state.cas[hash] }
                guard let entry = state.ac[hash], !entry.isEmpty, let parsed = try? FakeActionResult(parsing: entry) else { return nil }
                // The dependency check: every referenced blob must be in the CAS.
                return parsed.referencedBlobs.allSatisfy { state.cas[$0] != nil } ? entry : nil
            }
            guard let data else { return .text(404, "Not found") }
            if request.method == "HEAD" { return FakeReply(status: 200, headers: ["Content-Length": String(data.count)]) }
            return FakeReply(status: 200, headers: ["Content-Type": "application/octet-stream"], body: data)
        case "PUT":
            return put(request, kind: kind, hash: hash)
        default:
            return .text(405, "Method '\(request.method)' not supported.")
        }
    }

    private func put(_ request: RecordedRequest, kind: String, hash: String) -> FakeReply {
        let chunked = request.header("transfer-encoding")?.lowercased().contains("chunked") ?? false
        guard !chunked, let lengthText = request.header("content-length"), let length = Int(lengthText) else {
            return .text(400, "PUT without Content-Length (key = \(kind)/\(hash))")
        }
        guard length == request.body.count else { return .text(400, "sizes don't match. Expected \(length), found \(request.body.count)") }
        var body = request.body
        if kind == "cas" {
            if body.isEmpty && hash != Digest.of(Data()).hex { return .text(400, "Invalid empty blob hash: \"\(hash)\"") }
            guard Digest.of(body).hex == hash else { return .text(500, "Unexpected error adding item to cache: hash mismatch") }
        } else {
            do {
                var parsed = try FakeActionResult(parsing: body)
                parsed.setWorker("127.0.0.1")
                body = parsed.marshalled
            } catch {
                return .text(400, "Failed to add worker metadata: proto: \(error)")
            }
        }
        return state.withLock { state in
            let used = state.cas.values.reduce(0) { $0 + $1.count } + state.ac.values.reduce(0) { $0 + $1.count }
            let replaced = (kind == "cas" ? state.cas[hash] : state.ac[hash])?.count ?? 0
            guard used - replaced + body.count <= capacity else { return .text(507, "Insufficient Storage") }
            if kind == "cas" { state.cas[hash] = body } else { state.ac[hash] = body }
            return FakeReply(status: 200)
        }
    }

    /// bazel-remote's URL rule: `^/?(.*/)?(ac/|cas/)([a-f0-9]{64})$`.
    static func parsePath(_ path: String) -> (kind: String, hash: String)? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 2 else { return nil }
        let hash = parts[parts.count - 1]
        let kind = parts[parts.count - 2]
        guard kind == "ac" || kind == "cas", hash.utf8.count == 64, hash.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else {
            return nil
        }
        return (kind, hash)
    }
}

/// A strict reading of a REAPI `ActionResult`, as Go's protobuf unmarshal and bazel-remote's
/// `validate.ActionResult` would do it: known fields must have their declared wire types, strings
/// must be UTF-8, output files need a relative path and a digest with a lowercase SHA-256 hex hash
/// and a non-negative size. Kept apart from Reel's own codec on purpose, so a test against this
/// fake proves Reel's encoding parses.
struct FakeActionResult {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Raw fields in order (field number, wire type, payload bytes).
    private var fields: [(Int, Int, Data)] = []
    /// CAS blobs the record references (output files without inline contents, stdout/stderr digests).
    private(set) var referencedBlobs: [String] = []

    init(parsing data: Data) throws {
        fields = try Self.fields(of: data)
        for (number, wire, payload) in fields {
            switch number {
            case 2:  // output_files
                try Self.expect(wire, 2, "output_files")
                if let blob = try Self.outputFile(payload) { referencedBlobs.append(blob) }
            case 3, 9, 10, 11, 12:  // output_directories, execution_metadata, symlinks: messages
                try Self.expect(wire, 2, "field \(number)")
                _ = try Self.fields(of: payload)
            case 6, 8:  // stdout_digest, stderr_digest
                try Self.expect(wire, 2, "field \(number)")
                referencedBlobs.append(try Self.digest(payload).hash)
            case 4: try Self.expect(wire, 0, "exit_code")
            case 5, 7: try Self.expect(wire, 2, "field \(number)")
            default: break
            }
        }
    }

    /// Sets `execution_metadata.worker` (field 9, its field 1), as bazel-remote does.
    mutating func setWorker(_ worker: String) {
        fields.removeAll { $0.0 == 9 }
        fields.append((9, 2, Self.field(1, Data(worker.utf8))))
    }

    var marshalled: Data {
        var out = Data()
        for (number, wire, payload) in fields {
            switch wire {
            case 0:
                out.append(Self.varint(UInt64(number << 3)))
                out.append(payload)
            default:
                out.append(Self.field(number, payload))
            }
        }
        return out
    }

    private static func outputFile(_ data: Data) throws -> String? {
        var path: String?
        var hash: String?
        var inline = false
        for (number, wire, payload) in try fields(of: data) {
            switch number {
            case 1:
                try expect(wire, 2, "OutputFile.path")
                guard let text = String(validating: payload, as: UTF8.self) else { throw Failure(description: "string field contains invalid UTF-8") }
                path = text
            case 2:
                try expect(wire, 2, "OutputFile.digest")
                hash = try digest(payload).hash
            case 4: try expect(wire, 0, "OutputFile.is_executable")
            case 5:
                try expect(wire, 2, "OutputFile.contents")
                inline = !payload.isEmpty
            case 7: try expect(wire, 2, "OutputFile.node_properties")
            default: break
            }
        }
        guard let path, !path.isEmpty else { throw Failure(description: "empty path") }
        guard !path.hasPrefix("/") else { throw Failure(description: "absolute path in output file: \"\(path)\"") }
        guard let hash else { throw Failure(description: "nil Digest for path \"\(path)\"") }
        return inline ? nil : hash
    }

    private static func digest(_ data: Data) throws -> (hash: String, size: Int64) {
        var hash = ""
        var size: Int64 = 0
        for (number, wire, payload) in try fields(of: data) {
            switch number {
            case 1:
                try expect(wire, 2, "Digest.hash")
                guard let text = String(validating: payload, as: UTF8.self) else { throw Failure(description: "string field contains invalid UTF-8") }
                hash = text
            case 2:
                try expect(wire, 0, "Digest.size_bytes")
                var reader = payload.startIndex
                size = Int64(bitPattern: try readVarint(payload, &reader))
            default: break
            }
        }
        guard hash.utf8.count == 64, hash.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else {
            throw Failure(description: "invalid hash: \"\(hash)\"")
        }
        guard size >= 0 else { throw Failure(description: "digest has negative SizeBytes") }
        return (hash, size)
    }

    private static func expect(_ wire: Int, _ expected: Int, _ name: String) throws {
        guard wire == expected else { throw Failure(description: "cannot parse invalid wire-format data (\(name))") }
    }

    /// Splits a message into fields; a varint's payload is its raw bytes.
    private static func fields(of data: Data) throws -> [(Int, Int, Data)] {
        var result: [(Int, Int, Data)] = []
        var index = data.startIndex
        while index < data.endIndex {
            let key = try readVarint(data, &index)
            let number = Int(key >> 3)
            let wire = Int(key & 7)
            guard number >= 1 else { throw Failure(description: "invalid field number") }
            switch wire {
            case 0:
                let start = index
                _ = try readVarint(data, &index)
                result.append((number, 0, Data(data[start..<index])))
            case 1, 5:
                let width = wire == 1 ? 8 : 4
                guard data.endIndex - index >= width else { throw Failure(description: "unexpected EOF") }
                result.append((number, wire, Data(data[index..<(index + width)])))
                index += width
            case 2:
                let length = try readVarint(data, &index)
                guard length <= UInt64(data.endIndex - index) else { throw Failure(description: "unexpected EOF") }
                result.append((number, 2, Data(data[index..<(index + Int(length))])))
                index += Int(length)
            default:
                throw Failure(description: "cannot parse invalid wire-format data (wire type \(wire))")
            }
        }
        return result
    }

    private static func readVarint(_ data: Data, _ index: inout Data.Index) throws -> UInt64 {
        var value: UInt64 = 0
        for shift in stride(from: 0, to: 70, by: 7) {
            guard index < data.endIndex else { throw Failure(description: "unexpected EOF") }
            let byte = data[index]
            index += 1
            guard shift < 64 else { throw Failure(description: "variable length integer overflow") }
            value |= UInt64(byte & 0x7f) << UInt64(shift)
            if byte & 0x80 == 0 { return value }
        }
        throw Failure(description: "variable length integer overflow")
    }

    private static func varint(_ value: UInt64) -> Data {
        var out = Data()
        var remaining = value
        while remaining >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: remaining) | 0x80)
            remaining >>= 7
        }
        out.append(UInt8(remaining))
        return out
    }

    private static func field(_ number: Int, _ payload: Data) -> Data {
        varint(UInt64(number << 3 | 2)) + varint(UInt64(payload.count)) + payload
    }
}

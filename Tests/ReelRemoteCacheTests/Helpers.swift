import Foundation
import ReelBasics
import ReelCache
import ReelProviders
import ReelRemoteCache
import ReelTestSupport
import Synchronization
import Testing

/// A clock whose sleeps return at once (retries without waiting), counting them.
final class ImmediateClock: Clock, Sendable {
    typealias Duration = Swift.Duration
    struct Instant: InstantProtocol {
        var offset: Swift.Duration
        func advanced(by duration: Swift.Duration) -> Instant { Instant(offset: offset + duration) }
        func duration(to other: Instant) -> Swift.Duration { other.offset - offset }
        static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    private let slept = Mutex<[Swift.Duration]>([])
    var sleeps: [Swift.Duration] { slept.withLock { $0 } }
    var now: Instant { Instant(offset: slept.withLock { $0.reduce(.zero, +) }) }
    var minimumResolution: Swift.Duration { .zero }

    func sleep(until deadline: Instant, tolerance: Swift.Duration?) async throws {
        let wait = now.duration(to: deadline)
        slept.withLock { $0.append(wait) }
    }
}

/// Collects the client's warnings.
final class Warnings: Sendable {
    private let list = Mutex<[RemoteCacheWarning]>([])
    var all: [RemoteCacheWarning] { list.withLock { $0 } }
    func record(_ warning: RemoteCacheWarning) { list.withLock { $0.append(warning) } }
}

/// A client for `baseURL`, retrying without sleeping.
func makeClient(
    _ baseURL: URL, uploads: Bool = true, environment: [String: String] = [:], warnings: Warnings = Warnings(), clock: ImmediateClock = ImmediateClock()
) throws -> RemoteCacheClient {
    var env = environment
    env["REEL_REMOTE_CACHE"] = env["REEL_REMOTE_CACHE"] ?? baseURL.absoluteString
    let configuration = try #require(try RemoteCacheConfiguration.from(environment: env, flags: RemoteCacheFlags(upload: uploads)))
    return RemoteCacheClient(configuration: configuration, clock: clock, warn: { warnings.record($0) })
}

/// A blob of `size` pseudo-random bytes written under `directory`.
struct TestBlob {
    var path: AbsolutePath
    var data: Data
    var digest: Digest { Digest.of(data) }
    var size: Int64 { Int64(data.count) }

    init(in directory: AbsolutePath, size: Int, seed: UInt64, name: String? = nil) throws {
        var generator = SplitMix(seed: seed)
        var bytes = [UInt8](repeating: 0, count: size)
        for index in stride(from: 0, to: size, by: 8) {
            let value = generator.next()
            for offset in 0..<min(8, size - index) { bytes[index + offset] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(offset))) }
        }
        data = Data(bytes)
        path = directory.appending(name ?? "blob-\(seed)")
        try LocalFileSystem().writeAtomically(data, to: path)
    }
}

struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

/// An action record for a generate node whose clip is `clip`.
func makeRecord(key: Digest, clip: TestBlob) -> ActionRecord {
    ActionRecord(
        key: key, kind: "generate", outputs: [ActionOutput(name: "clip", digest: clip.digest, size: clip.size)],
        metadata: ["provider": .string("replicate"), "cost_usd": .decimal(0.5), "prediction_id": .string("p-1")],
        keyMaterial: .object(["kind": .string("generate"), "model": .string("kwaivgi/kling-v2.1")]),
        createdAt: "2026-11-29T01:00:00Z", durationSeconds: 42.5)
}

/// Uploads a record's blob and then the record, as the cache tier does.
func publish(_ record: ActionRecord, clip: TestBlob, with client: RemoteCacheClient) async throws {
    try await client.uploadBlob(clip.digest, from: clip.path, size: clip.size)
    try await client.storeActionRecord(record)
}

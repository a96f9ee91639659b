import Foundation
import ReelBasics
import ReelCache
import ReelRemoteCache
import Synchronization

/// The remote cache as the second tier behind the local disk store. Asked only after a local
/// miss (so a no-op build with a warm local cache makes no request); a remote hit is pulled into
/// the local tier — blobs verified while they stream, then the record — before anything uses it.
///
/// The remote never fails a build: the first error that `degradesToLocal` (unreachable, retries
/// exhausted) — or any other remote error — is one warning, and the rest of the run is local-only.
public final class RemoteTier: Sendable {
    public let client: RemoteCacheClient
    public var configuration: RemoteCacheConfiguration { client.configuration }

    private struct State {
        var disabled = false
        /// What each key's lookup found, asked once per run (a hit's record serves the pull).
        var lookups: [Digest: RemoteLookup] = [:]
        var warn: (@Sendable (String) -> Void)?
        var pending: [String] = []
        /// Keys pulled into the local tier in this run, with how long each took.
        var pulled: [Digest: Double] = [:]
        var uploads = 0
    }

    private let state = Mutex(State())

    public init(client: RemoteCacheClient) {
        self.client = client
    }

    /// The tier for `configuration`, with the client's warnings going to `warnings(from:)`'s sink.
    public convenience init(configuration: RemoteCacheConfiguration) {
        let relay = WarningRelay()
        self.init(client: RemoteCacheClient(configuration: configuration, warn: { relay.send("\($0)") }))
        relay.target = self
    }

    /// Where warnings go (they are held until a sink is set).
    public func report(to sink: @escaping @Sendable (String) -> Void) {
        let held = state.withLock { state -> [String] in
            state.warn = sink
            defer { state.pending = [] }
            return state.pending
        }
        held.forEach(sink)
    }

    func warn(_ message: String) {
        let sink = state.withLock { state -> (@Sendable (String) -> Void)? in
            if state.warn == nil { state.pending.append(message) }
            return state.warn
        }
        sink?(message)
    }

    /// Remote results pulled into the local tier in this run.
    public var hits: Int { state.withLock { $0.pulled.count } }

    /// Whether `key`'s result was pulled from the remote in this run.
    func wasPulled(_ key: Digest) -> Bool { state.withLock { $0.pulled[key] != nil } }
    /// Action records uploaded in this run.
    public var uploads: Int { state.withLock { $0.uploads } }
    /// Whether the remote was given up on for this run.
    public var isDisabled: Bool { state.withLock { $0.disabled } }

    /// What the remote has for `key` (a miss when the tier is off or the remote fails).
    /// - Parameter refresh: ask again even when this run saw a miss: another runner may have just
    ///   uploaded it (a node this runner waited for on its claim).
    func lookup(_ key: Digest, refresh: Bool = false) async -> RemoteLookup {
        let known = state.withLock { state -> RemoteLookup? in
            if state.disabled { return .miss }
            if refresh, case .hit? = state.lookups[key] { return state.lookups[key] }
            return refresh ? nil : state.lookups[key]
        }
        if let known { return known }
        do {
            let result = try await client.lookup(key)
            state.withLock { $0.lookups[key] = result }
            return result
        } catch {
            give(up: error)
            return .miss
        }
    }

    /// Looks several keys up at once (planning asks a stage's keys before walking them).
    func prefetch(_ keys: [Digest]) async {
        await forEachConcurrently(keys, limit: configuration.maxConcurrentTransfers) { key in _ = await self.lookup(key) }
    }

    /// Copies the remote result for `key` into the local tier: each output blob (unless the local
    /// store has it), verified, then the record. Nil when it could not be had (the caller builds
    /// the node instead); a corrupt blob is never stored.
    /// - Returns: the seconds the copy took (the first time; a key pulled already answers at once);
    ///   nil when the remote could not give it (a miss for the rest of the run: the node is built).
    /// - Throws: a local I/O error while storing it: then whether the result exists locally is
    ///   unknown, and a paid node must not be paid for again.
    func pull(_ key: Digest, into content: DiskContentStore, actions: DiskActionCache) async throws -> Double? {
        if let seconds = state.withLock({ $0.pulled[key] }) { return seconds }
        guard case .hit(let record)? = state.withLock({ $0.lookups[key] }), !isDisabled else { return nil }
        let clock = ContinuousClock()
        let started = clock.now
        do {
            for output in record.outputs {
                if try content.verify(output.digest) == .present { continue }
                let temporary = try content.temporaryPath(named: "remote")
                guard try await client.fetchBlob(output.digest, size: output.size, to: temporary) else {
                    refuse(key)
                    return nil
                }
                _ = try content.insert(movingFile: temporary)
            }
            try actions.store(record)
            let seconds = (clock.now - started).inSeconds
            state.withLock { $0.pulled[key] = seconds }
            return seconds
        } catch let error as RemoteCacheError {
            give(up: error)
            return nil
        }
    }

    /// A small blob's bytes from the remote (verified), without storing it: planning reads a
    /// remote selection this way and changes nothing.
    /// - Throws: a local I/O error (the scratch file); a failing remote is given up on (nil).
    func blobData(_ digest: Digest, in content: DiskContentStore) async throws -> Data? {
        guard !isDisabled else { return nil }
        let temporary = try content.temporaryPath(named: "remote-read")
        let fetched: Bool
        do {
            fetched = try await client.fetchBlob(digest, size: nil, to: temporary)
        } catch {
            give(up: error)
            return nil
        }
        guard fetched else { return nil }
        let data = try content.fileSystem.read(temporary)
        try content.fileSystem.remove(temporary)
        return data
    }

    /// Uploads a freshly built result: its blobs (HEAD first for large ones), then the record.
    /// Does nothing when uploads are off or the tier has been given up on.
    func publish(_ record: ActionRecord, from content: DiskContentStore) async {
        guard configuration.uploads, !isDisabled else { return }
        do {
            for output in record.outputs {
                try await client.uploadBlob(output.digest, from: content.path(for: output.digest), size: output.size)
            }
            try await client.storeActionRecord(record)
            state.withLock { $0.uploads += 1 }
        } catch {
            give(up: error)
        }
    }

    /// A remote result that could not be had is a miss for the rest of the run.
    private func refuse(_ key: Digest) {
        state.withLock { $0.lookups[key] = .miss }
    }

    /// One warning, then local-only for the rest of the run.
    private func give(up error: any Error) {
        let first = state.withLock { state -> Bool in
            defer { state.disabled = true }
            return !state.disabled
        }
        guard first else { return }
        let why = (error as? RemoteCacheError)?.degradesToLocal == true ? "" : " (fix the setting to use it)"
        warn("\(error); going on with the local cache only\(why)")
    }
}

/// Forwards the client's warnings to its tier (the tier is made after the client; held weakly, as
/// the tier owns the client that owns this).
private final class WarningRelay: @unchecked Sendable {
    private let lock = NSLock()
    private weak var tier: RemoteTier?

    var target: RemoteTier? {
        get { lock.withLock { tier } }
        set { lock.withLock { tier = newValue } }
    }

    func send(_ message: String) {
        target?.warn(message)
    }
}

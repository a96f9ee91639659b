import Foundation
import ReelBasics

/// One output of an action: a name (`clip`, `pairs`, `video`) and the blob that holds it.
public struct ActionOutput: Sendable, Equatable, Codable {
    public var name: String
    public var digest: Digest
    public var size: Int64

    public init(name: String, digest: Digest, size: Int64) {
        self.name = name
        self.digest = digest
        self.size = size
    }
}

/// What the action cache remembers about one executed node: its outputs and how they were made.
public struct ActionRecord: Sendable, Equatable, Codable {
    /// The node key (SHA-256 of the canonical key material).
    public var key: Digest
    /// `select`, `generate`, `combine`, `features`.
    public var kind: String
    public var outputs: [ActionOutput]
    /// Provider, model, prediction id, cost, media info, token usage… (no secrets).
    public var metadata: [String: CanonicalValue]
    /// The key material the key was computed from, for `reel explain`.
    public var keyMaterial: CanonicalValue
    /// When the action finished (ISO 8601, UTC).
    public var createdAt: String
    /// How long it took.
    public var durationSeconds: Double

    public init(
        key: Digest, kind: String, outputs: [ActionOutput], metadata: [String: CanonicalValue], keyMaterial: CanonicalValue,
        createdAt: String, durationSeconds: Double
    ) {
        self.key = key
        self.kind = kind
        self.outputs = outputs
        self.metadata = metadata
        self.keyMaterial = keyMaterial
        self.createdAt = createdAt
        self.durationSeconds = durationSeconds
    }

    enum CodingKeys: String, CodingKey {
        case key, kind, outputs, metadata
        case keyMaterial = "key_material"
        case createdAt = "created_at"
        case durationSeconds = "duration_seconds"
    }

    /// The output called `name`.
    public func output(_ name: String) -> ActionOutput? {
        outputs.first { $0.name == name }
    }
}

/// Maps node keys to their recorded results (swift-build's `ActionCacheProtocol`, Bazel's AC).
public protocol ActionCache: Sendable {
    /// The record for `key`, or `nil` when there is none (its blobs are not checked here).
    /// - Throws: `CacheUnavailable` when a record exists but cannot be read: never a guessed miss.
    func lookup(_ key: Digest) async throws -> ActionRecord?
    /// Records a result, replacing any earlier one.
    func store(_ record: ActionRecord) async throws
    /// Drops the record for `key`.
    func remove(_ key: Digest) async throws
}

/// Action cache entries as small JSON files under `CacheLayout.actionCacheRoot`, written atomically.
public struct DiskActionCache: ActionCache {
    public let layout: CacheLayout
    public let fileSystem: any FileSystem

    public init(layout: CacheLayout, fileSystem: any FileSystem) {
        self.layout = layout
        self.fileSystem = fileSystem
    }

    /// The record file's bytes; `nil` when there is no record.
    private func recordData(_ key: Digest) throws -> Data? {
        let path = layout.actionPath(key)
        do {
            return try fileSystem.read(path)
        } catch FileSystemError.posix(_, _, let code) where code == ENOENT {
            return nil
        } catch {
            throw CacheUnavailable(path: path.pathString, reason: "\(error)")
        }
    }

    public func lookup(_ key: Digest) throws -> ActionRecord? {
        guard let data = try recordData(key) else { return nil }
        let record: ActionRecord
        do {
            record = try JSONDecoder().decode(ActionRecord.self, from: data)
        } catch {
            throw CacheUnavailable(path: layout.actionPath(key).pathString, reason: "not a record this version of Reel can read")
        }
        guard record.key == key else {
            throw CacheUnavailable(path: layout.actionPath(key).pathString, reason: "it records another key")
        }
        return record
    }

    /// The outputs and metadata for `key`, without decoding the key material (what planning needs;
    /// a no-op build reads one record per node). See `RecordHead`.
    /// - Throws: `CacheUnavailable` for a record that exists but cannot be read.
    public func outputs(for key: Digest) throws -> (outputs: [ActionOutput], metadata: [String: CanonicalValue])? {
        guard let data = try recordData(key) else { return nil }
        // A record that does not decode, or records another key, is unreadable: never a miss.
        func unreadable() -> CacheUnavailable {
            CacheUnavailable(path: layout.actionPath(key).pathString, reason: "not a record this version of Reel can read")
        }
        let head: RecordHead
        do {
            head = try JSONDecoder().decode(RecordHead.self, from: data)
        } catch {
            throw unreadable()
        }
        guard head.key == key else { throw unreadable() }
        return (head.outputs, head.metadata?.members ?? [:])
    }

    public func store(_ record: ActionRecord) throws {
        try fileSystem.writeJSON(record, to: layout.actionPath(record.key))
    }

    public func remove(_ key: Digest) throws {
        try fileSystem.remove(layout.actionPath(key))
    }
}

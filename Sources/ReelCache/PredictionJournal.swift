import Foundation
import ReelBasics

/// One journaled remote prediction: enough to find it again after a crash, and no secrets.
public struct JournalEntry: Sendable, Equatable, Codable {
    /// Where the prediction is in its life.
    public enum State: String, Sendable, Equatable, Codable {
        /// The create request is about to be (or was) sent; its id may be unknown.
        case creating
        /// The provider gave it an id.
        case created
    }

    public var nodeKey: Digest
    public var nodeID: String
    public var provider: String
    public var model: String
    public var state: State
    public var predictionID: String?
    /// SHA-256 of the fields that identify the request (model, prompt, frames).
    public var fingerprint: String
    /// When the create was sent (ISO 8601), to search recent predictions after a lost response.
    public var createdAfter: String
    public var updatedAt: String

    public init(
        nodeKey: Digest, nodeID: String, provider: String, model: String, state: State, predictionID: String?, fingerprint: String,
        createdAfter: String, updatedAt: String
    ) {
        self.nodeKey = nodeKey
        self.nodeID = nodeID
        self.provider = provider
        self.model = model
        self.state = state
        self.predictionID = predictionID
        self.fingerprint = fingerprint
        self.createdAfter = createdAfter
        self.updatedAt = updatedAt
    }
}

/// Durable record of in-flight remote work, one small JSON file per node key under the cache's
/// `journal/` folder. Written with fsync before the create request is sent and again as soon as
/// the id is known, before polling: if Reel is killed, even with `kill -9`, the next run resumes
/// the same prediction instead of paying for a new one.
public struct PredictionJournal: Sendable {
    public let layout: CacheLayout
    public let fileSystem: any FileSystem

    public init(layout: CacheLayout, fileSystem: any FileSystem) {
        self.layout = layout
        self.fileSystem = fileSystem
    }

    /// The entry for a node key, if any.
    public func entry(for key: Digest) -> JournalEntry? {
        fileSystem.readJSON(JournalEntry.self, from: layout.journalPath(key))
    }

    /// Writes (durably) an entry.
    public func record(_ entry: JournalEntry) throws {
        try fileSystem.writeJSON(entry, to: layout.journalPath(entry.nodeKey))
    }

    /// Drops the entry once its result is in the cache (or the prediction is definitely over).
    public func remove(_ key: Digest) {
        try? fileSystem.remove(layout.journalPath(key))
    }

    /// Every entry (for `reel status` and tests).
    public func all() -> [JournalEntry] {
        guard let names = try? fileSystem.list(layout.journalRoot) else { return [] }
        return names.filter { $0.hasSuffix(".json") }.compactMap { fileSystem.readJSON(JournalEntry.self, from: layout.journalRoot.appending($0)) }
    }
}

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
    /// SHA-256 of the request without its frames (what a provider certainly echoes back), to
    /// recognise a candidate whose frames cannot be compared (absent in older entries).
    public var looseFingerprint: String?
    /// The form the frames were sent in (see `PreparedGeneration.frameForms`).
    public var frameForms: String?
    /// When the create was sent (ISO 8601), to search recent predictions after a lost response.
    public var createdAfter: String
    public var updatedAt: String

    public init(
        nodeKey: Digest, nodeID: String, provider: String, model: String, state: State, predictionID: String?, fingerprint: String,
        createdAfter: String, updatedAt: String, looseFingerprint: String? = nil, frameForms: String? = nil
    ) {
        self.looseFingerprint = looseFingerprint
        self.frameForms = frameForms
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

    /// The entry for a node key; `nil` only when there is no entry.
    /// - Throws: `JournalUnavailable` when an entry exists but cannot be read or decoded (an older
    ///   format, a damaged file): it may record paid work in flight, so it is never taken as none.
    public func entry(for key: Digest) throws -> JournalEntry? {
        try read(layout.journalPath(key))
    }

    /// Writes (durably) an entry.
    public func record(_ entry: JournalEntry) throws {
        try fileSystem.writeJSON(entry, to: layout.journalPath(entry.nodeKey))
    }

    /// Drops the entry once its result is in the cache (or the prediction is definitely over).
    /// - Throws: when an existing entry cannot be removed.
    public func remove(_ key: Digest) throws {
        let path = layout.journalPath(key)
        guard fileSystem.info(path) != nil else { return }
        do {
            try fileSystem.remove(path)
        } catch {
            throw JournalUnavailable(path: path.pathString, reason: "cannot remove it: \(error)")
        }
    }

    /// Every entry (for `reel status`, `reel clean` and tests).
    /// - Throws: `JournalUnavailable` when the folder or an entry cannot be read.
    public func all() throws -> [JournalEntry] {
        guard fileSystem.info(layout.journalRoot) != nil else { return [] }
        let names: [String]
        do {
            names = try fileSystem.list(layout.journalRoot)
        } catch {
            throw JournalUnavailable(path: layout.journalRoot.pathString, reason: "cannot list it: \(error)")
        }
        return try names.filter { $0.hasSuffix(".json") }.sorted().compactMap { try read(layout.journalRoot.appending($0)) }
    }

    func read(_ path: AbsolutePath) throws -> JournalEntry? {
        guard fileSystem.info(path) != nil else { return nil }
        let data: Data
        do {
            data = try fileSystem.read(path)
        } catch {
            throw JournalUnavailable(path: path.pathString, reason: "cannot read it: \(error)")
        }
        do {
            return try JSONDecoder().decode(JournalEntry.self, from: data)
        } catch {
            throw JournalUnavailable(path: path.pathString, reason: "it is not a journal entry this version can read (\(error))")
        }
    }
}

/// A journal entry exists but cannot be used. It may record a paid prediction still in flight,
/// so Reel does not create a new one for the node.
public struct JournalUnavailable: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String {
        "the prediction journal entry \(path) is unavailable: \(reason). It may record a paid prediction still in flight, "
            + "so nothing new was created for this node. Check the file (its prediction id, if any, can be looked up with the provider); "
            + "if that prediction is finished or never existed, delete the file and build again"
    }
}

import Foundation
import ReelBasics

/// Where in-flight remote work is journaled: the cache's `journal/` folder on one machine
/// (`PredictionJournal`), or a shared database so that any runner can resume any runner's
/// prediction. Every method throws: a journal that cannot be read is never taken as "nothing in
/// flight" (that would pay twice).
public protocol JournalStore: Sendable {
    /// The entry for a node key, if any.
    func entry(for key: Digest) async throws -> JournalEntry?
    /// Writes (durably) an entry.
    func record(_ entry: JournalEntry) async throws
    /// Drops the entry once its result is in the cache (or the prediction is definitely over).
    func remove(_ key: Digest) async throws
    /// Every entry, oldest first.
    func all() async throws -> [JournalEntry]
    /// Where the entry for `key` lives, for messages (a path, or the shared journal).
    func location(of key: Digest) -> String
}

extension PredictionJournal: JournalStore {
    public func location(of key: Digest) -> String {
        layout.journalPath(key).pathString
    }
}

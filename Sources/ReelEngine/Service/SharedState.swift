import Foundation
import ReelBasics
import ReelCache
import ReelLedger

/// Where the spend ledger lives: a SQLite file on this machine, or a shared database named by a
/// URL (`--ledger postgres://…` or `REEL_LEDGER_URL`; never the manifest, since the URL holds a
/// password). `description` never shows the password.
public enum LedgerLocation: Sendable, Equatable, CustomStringConvertible {
    case file(AbsolutePath)
    /// - Parameter setting: where the URL came from (`--ledger` or `REEL_LEDGER_URL`), for messages.
    case database(url: String, setting: String)

    /// Whether `text` names a database rather than a file.
    public static func isDatabaseURL(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    public var description: String {
        switch self {
        case .file(let path): return path.pathString
        case .database(let url, let setting): return "\(LedgerLocation.redacted(url)) (\(setting))"
        }
    }

    /// `scheme://user:***@host…`: the URL without its password.
    public static func redacted(_ url: String) -> String {
        guard let scheme = url.range(of: "://") else { return "(a database URL)" }
        let rest = url[scheme.upperBound...]
        guard let at = rest.lastIndex(of: "@") else { return url }
        let credentials = rest[..<at]
        let user = credentials.split(separator: ":", maxSplits: 1).first.map(String.init) ?? ""
        let masked = credentials.contains(":") ? "\(user):***" : user
        return url[..<scheme.upperBound] + masked + rest[at...]
    }
}

/// What runners share when a database is configured: where in-flight predictions are journaled,
/// and how nodes are claimed before a paid call. Without one, the cache's `journal/` folder and
/// `flock` locks serve (one machine).
public struct Coordination: Sendable {
    public var journal: any JournalStore
    public var claims: any NodeClaims
    /// Who already paid for a node key of a campaign, if anyone did (`nil`: nobody): a runner whose
    /// cache misses such a node cannot see the result another runner paid for, and must not pay
    /// again silently.
    public var paidFor: @Sendable (_ campaign: String, _ nodeKey: String) async throws -> String?

    public init(
        journal: any JournalStore, claims: any NodeClaims,
        paidFor: @escaping @Sendable (_ campaign: String, _ nodeKey: String) async throws -> String? = { _, _ in nil }
    ) {
        self.journal = journal
        self.claims = claims
        self.paidFor = paidFor
    }
}

/// A shared database opened for a build: the ledger plus journal and claims.
public struct SharedState: Sendable {
    public var ledger: any SpendLedger
    public var coordination: Coordination

    public init(ledger: any SpendLedger, coordination: Coordination) {
        self.ledger = ledger
        self.coordination = coordination
    }
}

/// Opens a shared database by URL. The engine does not link a database driver; the command line
/// supplies this (PostgreSQL).
public protocol SharedStateConnector: Sendable {
    /// - Parameters:
    ///   - setting: where the URL came from, to name in errors.
    ///   - note: receives notes for the user (a claim taken over from a crashed runner).
    /// - Throws: an error naming the setting and never the password; nothing has been spent.
    func connect(url: String, setting: String, environment: BuildEnvironment, note: @escaping @Sendable (String) -> Void) async throws -> SharedState
}

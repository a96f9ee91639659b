import Foundation
import PostgresNIO

/// Failures of the shared database. Messages name the setting (`REEL_LEDGER_URL` or `--ledger`)
/// and the URL without its password; errors from the driver are reduced to what is safe to print
/// (the server's message and SQLSTATE, or the connection failure), never the query's values.
public enum SharedLedgerError: Error, Sendable, Equatable, CustomStringConvertible {
    case badURL(setting: String, reason: String)
    case unreachable(location: String, setting: String, detail: String)
    case schemaTooNew(location: String, found: Int, known: Int)
    case query(location: String, detail: String)
    case tls(location: String, detail: String)

    public var description: String {
        switch self {
        case .badURL(let setting, let reason):
            return "the shared ledger URL in \(setting) is invalid: \(reason)"
        case .unreachable(let location, let setting, let detail):
            return "cannot reach the shared ledger \(location) (set by \(setting)): \(detail); "
                + "nothing was spent. Check the database is up and \(setting) is right, or unset it to use the local ledger"
        case .schemaTooNew(let location, let found, let known):
            return "the shared ledger \(location) has schema version \(found), but this Reel knows versions up to \(known); "
                + "upgrade Reel on this runner (an older Reel must not write to a newer ledger)"
        case .query(let location, let detail):
            return "the shared ledger \(location) failed: \(detail)"
        case .tls(let location, let detail):
            return "cannot set up TLS for the shared ledger \(location): \(detail)"
        }
    }

    /// What is safe to say about a driver error.
    static func describe(_ error: any Error) -> String {
        if let error = error as? SharedLedgerError { return error.description }
        if let error = error as? PSQLError {
            if let server = error.serverInfo, let message = server[.message] {
                let state = server[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
                return message + state
            }
            if let underlying = error.underlying { return "\(error.code): \(underlying)" }
            return "\(error.code)"
        }
        return "\(error)"
    }
}

import Foundation

/// A `postgres://user:password@host:port/database?sslmode=…` URL, parsed. Its `description` never
/// contains the password: it is what messages show.
public struct PostgresLocation: Sendable, Equatable, CustomStringConvertible {
    /// How TLS is used, as libpq's `sslmode` names it.
    public enum TLSMode: String, Sendable, Equatable {
        /// No TLS.
        case disable
        /// TLS if the server offers it, without verifying the certificate (libpq's default).
        case prefer
        /// TLS or no connection; the certificate is not verified.
        case require
        /// TLS, certificate checked against the trusted roots (not the host name).
        case verifyCA = "verify-ca"
        /// TLS, certificate and host name checked.
        case verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var tls: TLSMode
    /// `sslrootcert=`: a PEM file of trusted roots (default: the system's).
    public var rootCertificate: String?
    /// Where the setting came from (`REEL_LEDGER_URL` or `--ledger`), for messages.
    public var setting: String

    /// Parses `text`. Accepts `postgres://` and `postgresql://`.
    /// - Throws: `SharedLedgerError.badURL` (naming the setting, never the password).
    public init(parsing text: String, setting: String) throws {
        self.setting = setting
        guard PostgresLocation.isDatabaseURL(text), let components = URLComponents(string: text) else {
            throw SharedLedgerError.badURL(setting: setting, reason: "it is not a postgres://user:password@host:port/database URL")
        }
        guard let host = components.host, !host.isEmpty else {
            throw SharedLedgerError.badURL(setting: setting, reason: "it names no host")
        }
        self.host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        port = components.port ?? 5432
        guard let user = components.user, !user.isEmpty else {
            throw SharedLedgerError.badURL(setting: setting, reason: "it names no user (postgres://user:password@host/database)")
        }
        username = user
        password = components.password
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        database = path.isEmpty ? user : path
        var mode = TLSMode.prefer
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                let value = item.value ?? ""
                if value == "allow" {
                    mode = .prefer
                } else if let parsed = TLSMode(rawValue: value) {
                    mode = parsed
                } else {
                    throw SharedLedgerError.badURL(
                        setting: setting, reason: "sslmode=\(value) is not one of disable, allow, prefer, require, verify-ca, verify-full")
                }
            case "sslrootcert":
                rootCertificate = item.value
            case "application_name", "connect_timeout":
                break
            default:
                throw SharedLedgerError.badURL(setting: setting, reason: "unknown parameter \(item.name) (supported: sslmode, sslrootcert)")
            }
        }
        tls = mode
    }

    /// Whether `text` names a database rather than a SQLite file.
    public static func isDatabaseURL(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    /// The URL without its password.
    public var description: String {
        let hostPart = host.contains(":") ? "[\(host)]" : host
        let query = tls == .prefer ? "" : "?sslmode=\(tls.rawValue)"
        return "postgres://\(username)\(password == nil ? "" : ":***")@\(hostPart):\(port)/\(database)\(query)"
    }
}

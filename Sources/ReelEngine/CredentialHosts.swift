import Foundation
import ReelProviders

/// Where a credential may go: its provider's own host, or a host the operator approved — a base
/// URL from the environment (`REPLICATE_BASE_URL`, `REEL_SELECTOR_BASE_URL`), `--allow-host`, or
/// `REEL_ALLOW_HOSTS` — never a host that only the manifest names (a manifest in a pull request
/// that CI builds must not be able to send `REPLICATE_API_TOKEN` anywhere it likes).
public struct CredentialHosts: Sendable, Equatable {
    /// A host, and the port when the approval names one.
    struct Origin: Sendable, Hashable {
        var host: String
        var port: Int?
    }

    var approved: Set<Origin>

    /// Each credential variable's provider host(s), reached over https.
    public static let ownHosts: [String: [String]] = [
        "REPLICATE_API_TOKEN": ["api.replicate.com"],
        "XAI_API_KEY": ["api.x.ai"],
        "OPENAI_API_KEY": ["api.openai.com"],
    ]

    /// The environment variables whose base URLs the operator set (and so approved).
    public static let baseURLVariables = ["REPLICATE_BASE_URL", "REEL_SELECTOR_BASE_URL"]

    /// Approvals from the environment and the command line (`--allow-host`, repeatable).
    public init(environment: [String: String], allowed: [String] = []) {
        var entries = allowed
        entries += CredentialHosts.baseURLVariables.compactMap { environment[$0] }
        entries += (environment["REEL_ALLOW_HOSTS"] ?? "").split(separator: ",").map(String.init)
        approved = Set(entries.compactMap(CredentialHosts.origin))
    }

    /// `host`, `host:port` or a URL → an origin.
    static func origin(_ text: String) -> Origin? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { return nil }
        if trimmed.contains("://") {
            guard let url = URL(string: trimmed), let host = url.host?.lowercased() else { return nil }
            return Origin(host: host, port: url.port ?? CredentialHosts.defaultPort(url.scheme))
        }
        guard let url = URL(string: "//" + trimmed), let host = url.host?.lowercased() else { return nil }
        return Origin(host: host, port: url.port)
    }

    static func defaultPort(_ scheme: String?) -> Int? {
        switch scheme?.lowercased() {
        case "https": return 443
        case "http": return 80
        default: return nil
        }
    }

    /// Whether `url` may receive the credential in `variable`.
    public func allows(_ url: URL, variable: String) -> Bool {
        guard let host = url.host?.lowercased() else { return false }
        let port = url.port ?? CredentialHosts.defaultPort(url.scheme)
        if url.scheme?.lowercased() == "https", port == 443, CredentialHosts.ownHosts[variable, default: []].contains(host) { return true }
        return approved.contains { $0.host == host && ($0.port == nil || $0.port == port) }
    }

    /// - Throws: `CredentialHostRefused` naming the setting, the host and how to approve it.
    public func check(_ url: URL, variable: String, setting: String, baseURLVariable: String) throws {
        guard !allows(url, variable: variable) else { return }
        throw CredentialHostRefused(
            setting: setting, url: HTTPClient.display(url), variable: variable, ownHosts: CredentialHosts.ownHosts[variable] ?? [],
            baseURLVariable: baseURLVariable, hostAndPort: url.host.map { host in url.port.map { "\(host):\($0)" } ?? host } ?? "?")
    }
}

/// A manifest names a host that would receive a credential the operator did not approve for it.
public struct CredentialHostRefused: Error, Sendable, Equatable, CustomStringConvertible {
    public var setting: String
    public var url: String
    public var variable: String
    public var ownHosts: [String]
    public var baseURLVariable: String
    public var hostAndPort: String

    public var description: String {
        let own = ownHosts.isEmpty ? "" : " (\(ownHosts.joined(separator: ", ")))"
        return "\(setting) is \(url), a host only the manifest names: \(variable) is sent only to its provider's own host\(own) "
            + "or to a host you approve. Nothing was sent. To use it, export \(baseURLVariable)=\(url), "
            + "or pass --allow-host \(hostAndPort) (or set REEL_ALLOW_HOSTS=\(hostAndPort))"
    }
}

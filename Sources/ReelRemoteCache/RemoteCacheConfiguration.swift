import Foundation
import ReelBasics
import ReelProviders

/// The remote cache flags of `reel plan` and `reel build`, as the command parsed them.
public struct RemoteCacheFlags: Sendable, Equatable {
    /// `--remote-cache URL` (overrides `REEL_REMOTE_CACHE`).
    public var url: String?
    /// `--remote-upload` (true) / `--no-remote-upload` (false); nil: decided by `CI`.
    public var upload: Bool?
    /// `--no-remote-cache`: ignore any configured remote.
    public var disabled: Bool

    public init(url: String? = nil, upload: Bool? = nil, disabled: Bool = false) {
        self.url = url
        self.upload = upload
        self.disabled = disabled
    }
}

/// One header sent with every request to the remote cache, whose value is a credential.
public struct RemoteCacheHeader: Sendable, Equatable {
    /// The header name, e.g. `Authorization`.
    public let name: String
    /// The value; its `variable` names the setting it came from.
    public let value: Secret
}

/// Where the remote cache is and what Reel may do with it. Infrastructure, so it comes from the
/// environment and flags, never from the campaign manifest:
///
/// - `REEL_REMOTE_CACHE` or `--remote-cache URL`: the base URL (`http(s)://[user:password@]host[:port][/prefix]`);
///   user and password become HTTP basic auth (https only, or plain http to loopback).
/// - `REEL_REMOTE_CACHE_HEADER_<NAME>=value`: an extra header on every request, e.g.
///   `REEL_REMOTE_CACHE_HEADER_AUTHORIZATION="Bearer …"` (underscores in NAME become hyphens).
/// - Reads always; writes only with `--remote-upload`, or when `CI` is set (unless `--no-remote-upload`).
/// - `REEL_REMOTE_CACHE_TIMEOUT`: seconds without progress before a request is abandoned (default 30).
///
/// Credentials are `Secret`s: the description of this value, the display URL and every error show
/// the setting's name, never its value.
public struct RemoteCacheConfiguration: Sendable, Equatable, CustomStringConvertible {
    /// The base URL without credentials, query or trailing slash; `/ac/…` and `/cas/…` are appended.
    public let baseURL: URL
    /// Which setting named the URL (`--remote-cache` or `REEL_REMOTE_CACHE`), for messages.
    public let source: String
    /// Whether Reel writes blobs and action records to the remote.
    public let uploads: Bool
    /// Why uploads are on or off, for the plan header.
    public let uploadsReason: String
    /// Credential headers: basic auth from the URL, then `REEL_REMOTE_CACHE_HEADER_*`, by name.
    public let headers: [RemoteCacheHeader]
    /// Seconds without progress before a request is abandoned.
    public let timeout: TimeInterval
    /// Transfers at once (downloads while building; lookups while planning).
    public let maxConcurrentTransfers: Int

    public static let urlVariable = "REEL_REMOTE_CACHE"
    public static let headerPrefix = "REEL_REMOTE_CACHE_HEADER_"
    public static let timeoutVariable = "REEL_REMOTE_CACHE_TIMEOUT"

    public init(
        baseURL: URL, source: String = "REEL_REMOTE_CACHE", uploads: Bool, uploadsReason: String = "", headers: [RemoteCacheHeader] = [],
        timeout: TimeInterval = 30, maxConcurrentTransfers: Int = 16
    ) {
        self.baseURL = baseURL
        self.source = source
        self.uploads = uploads
        self.uploadsReason = uploadsReason
        self.headers = headers
        self.timeout = timeout
        self.maxConcurrentTransfers = maxConcurrentTransfers
    }

    /// The configuration from the environment and flags; nil when no remote cache is configured
    /// (or `--no-remote-cache`).
    /// - Throws: `RemoteCacheError.invalidConfiguration` naming the setting (never its value).
    public static func from(environment: [String: String], flags: RemoteCacheFlags) throws -> RemoteCacheConfiguration? {
        if flags.disabled { return nil }
        let source: String
        let text: String
        if let url = flags.url {
            (source, text) = ("--remote-cache", url)
        } else if let url = environment[urlVariable], !url.trimmingCharacters(in: .whitespaces).isEmpty {
            (source, text) = (urlVariable, url)
        } else {
            return nil
        }
        var headers: [RemoteCacheHeader] = []
        let baseURL = try parseURL(text.trimmingCharacters(in: .whitespacesAndNewlines), source: source, basicAuth: &headers)
        for variable in environment.keys.sorted() where variable.hasPrefix(headerPrefix) {
            let name = try headerName(variable)
            let value = environment[variable] ?? ""
            guard !value.isEmpty, value.unicodeScalars.allSatisfy({ ($0.value >= 0x20 && $0.value < 0x7f) || $0 == "\t" }) else {
                throw RemoteCacheError.invalidConfiguration(
                    setting: variable, problem: "its value is empty or has characters that cannot go in an HTTP header")
            }
            if headers.contains(where: { $0.name.lowercased() == name.lowercased() }) {
                throw RemoteCacheError.invalidConfiguration(
                    setting: variable, problem: "the \(name) header is already set by the credentials in \(source)'s URL; use one or the other")
            }
            headers.append(RemoteCacheHeader(name: name, value: Secret(variable: variable, value: value)))
        }
        if !headers.isEmpty && baseURL.scheme == "http" && !isLoopback(baseURL.host) {
            throw RemoteCacheError.invalidConfiguration(
                setting: headers[0].value.variable,
                problem: "credentials would travel unencrypted to \(baseURL.host ?? "the server"); use an https:// URL in \(source)")
        }
        var timeout: TimeInterval = 30
        if let raw = environment[timeoutVariable] {
            guard let seconds = Double(raw), seconds.isFinite, seconds > 0, seconds <= 3600 else {
                throw RemoteCacheError.invalidConfiguration(setting: timeoutVariable, problem: "'\(raw)' is not a number of seconds between 0 and 3600")
            }
            timeout = seconds
        }
        let (uploads, reason) = uploadDecision(environment: environment, flags: flags)
        return RemoteCacheConfiguration(
            baseURL: baseURL, source: source, uploads: uploads, uploadsReason: reason, headers: headers, timeout: timeout)
    }

    /// The base URL, shown in messages (it never carries credentials).
    public var displayURL: String { baseURL.absoluteString }

    /// One line for the plan header: where the remote is and whether Reel writes to it.
    public var description: String {
        "remote cache \(displayURL) (\(uploads ? "read-write" : "read-only"): \(uploadsReason))"
    }

    /// The URL of an action cache or CAS entry: `{base}/ac/<hex>` or `{base}/cas/<hex>`.
    func url(_ kind: EntryKind, _ digest: Digest) -> URL {
        baseURL.appendingPathComponent(kind.rawValue).appendingPathComponent(digest.hex)
    }

    enum EntryKind: String {
        case actionCache = "ac"
        case contentStore = "cas"
    }

    /// The settings a 401/403 should point at.
    var credentialSettings: String {
        if headers.isEmpty {
            return "no credentials are configured: put user:password@ in the URL of \(source) (https only) "
                + "or set \(Self.headerPrefix)AUTHORIZATION"
        }
        let names = headers.map { $0.value.variable == source ? "the user:password in \(source)'s URL" : $0.value.variable }
        return "check " + names.joined(separator: " and ")
    }

    /// Removes every credential from `text` (server messages may echo a header).
    func scrub(_ text: String) -> String {
        var scrubbed = text
        for header in headers {
            scrubbed = header.value.scrub(scrubbed)
            // Basic auth: also the bare token, `user:password` and the password alone.
            guard header.value.value.hasPrefix("Basic ") else { continue }
            let token = String(header.value.value.dropFirst(6))
            scrubbed = Secret(variable: "", value: token).scrub(scrubbed)
            if let pair = Data(base64Encoded: token).flatMap({ String(data: $0, encoding: .utf8) }), let colon = pair.firstIndex(of: ":") {
                scrubbed = Secret(variable: "", value: pair).scrub(scrubbed)
                scrubbed = Secret(variable: "", value: String(pair[pair.index(after: colon)...])).scrub(scrubbed)
            }
        }
        return scrubbed
    }

    // MARK: - Parsing

    private static func parseURL(_ text: String, source: String, basicAuth headers: inout [RemoteCacheHeader]) throws -> URL {
        guard var components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty
        else {
            throw RemoteCacheError.invalidConfiguration(
                setting: source, problem: "it is not an http:// or https:// URL with a host (e.g. https://cache.example.com/reel)")
        }
        guard components.query == nil, components.fragment == nil else {
            throw RemoteCacheError.invalidConfiguration(setting: source, problem: "the URL must not have a query (?…) or fragment (#…)")
        }
        if components.user != nil || components.password != nil {
            guard let user = components.user, let password = components.password, !user.isEmpty else {
                throw RemoteCacheError.invalidConfiguration(setting: source, problem: "credentials in the URL must be user:password@")
            }
            guard scheme == "https" || isLoopback(host) else {
                throw RemoteCacheError.invalidConfiguration(
                    setting: source, problem: "credentials in the URL would travel unencrypted to \(host); use https://")
            }
            let token = Data("\(user):\(password)".utf8).base64EncodedString()
            headers.append(RemoteCacheHeader(name: "Authorization", value: Secret(variable: source, value: "Basic " + token)))
            components.user = nil
            components.password = nil
        }
        components.scheme = scheme
        while components.path.hasSuffix("/") { components.path.removeLast() }
        guard let url = components.url else {
            throw RemoteCacheError.invalidConfiguration(setting: source, problem: "the URL cannot be parsed")
        }
        return url
    }

    /// `REEL_REMOTE_CACHE_HEADER_X_API_KEY` → `X-Api-Key`.
    private static func headerName(_ variable: String) throws -> String {
        let raw = variable.dropFirst(headerPrefix.count)
        let words = raw.split(separator: "_", omittingEmptySubsequences: false)
        guard !raw.isEmpty, words.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) } }) else {
            throw RemoteCacheError.invalidConfiguration(
                setting: variable, problem: "a header variable is \(headerPrefix)<NAME> with letters, digits and single underscores")
        }
        return words.map { $0.prefix(1).uppercased() + $0.dropFirst().lowercased() }.joined(separator: "-")
    }

    private static func uploadDecision(environment: [String: String], flags: RemoteCacheFlags) -> (Bool, String) {
        switch flags.upload {
        case true?: return (true, "--remote-upload")
        case false?: return (false, "--no-remote-upload")
        case nil:
            if let ci = environment["CI"], !["", "0", "false", "no"].contains(ci.lowercased()) {
                return (true, "CI is set")
            }
            return (false, "pass --remote-upload to write")
        }
    }

    static func isLoopback(_ host: String?) -> Bool {
        guard let host = host?.lowercased() else { return false }
        return host == "localhost" || host.hasPrefix("127.") || host == "::1" || host == "[::1]"
    }
}

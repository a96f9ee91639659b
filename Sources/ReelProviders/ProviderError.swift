import Foundation

/// A provider answered with an error, or could not be reached. Messages carry the method, the
/// URL (never a secret), the status and the provider's own words.
public enum ProviderError: Error, Sendable, Equatable, CustomStringConvertible {
    /// An HTTP error status.
    case http(method: String, url: String, status: Int, message: String)
    /// Retries ran out. `neverSent`: no attempt reached the server (every one failed to connect).
    case exhausted(method: String, url: String, attempts: Int, last: String, neverSent: Bool = false)
    /// The response was not what the API promises.
    case malformedResponse(url: String, detail: String)
    /// A create request failed in a way that may have reached the provider; it is not retried.
    case ambiguousCreate(url: String, detail: String)

    public var description: String {
        switch self {
        case .http(let method, let url, let status, let message):
            return "\(method) \(url) failed with HTTP \(status): \(message)\(ProviderError.hint(status))"
        case .exhausted(let method, let url, let attempts, let last, _):
            return "\(method) \(url) still failing after \(attempts) attempts: \(last)"
        case .malformedResponse(let url, let detail):
            return "unexpected response from \(url): \(detail)"
        case .ambiguousCreate(let url, let detail):
            return "the request to \(url) may or may not have reached the provider (\(detail)); "
                + "it was not retried blindly, and the journal keeps it: run `reel build` again to look for it before creating anything"
        }
    }

    /// The HTTP status, if this is an HTTP error.
    public var status: Int? {
        if case .http(_, _, let status, _) = self { return status }
        return nil
    }

    static func hint(_ status: Int) -> String {
        switch status {
        case 401: return " (check the API key)"
        case 402: return " (add credit to the provider account)"
        case 403: return " (the key lacks permission, or the account is out of credit)"
        case 404: return " (check the model name and base URL)"
        case 422: return " (the model rejected an input; see the message)"
        default: return ""
        }
    }

    /// The provider's message from an error body: Replicate's problem+json `detail` (with
    /// `invalid_fields`), xAI's flat `{"code","error"}`, or OpenAI's `{"error":{"message"}}`.
    public static func message(from body: Data) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any] else {
            let text = String(decoding: body.prefix(300), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            return text.isEmpty ? "no details" : text
        }
        var parts: [String] = []
        if let title = object["title"] as? String { parts.append(title) }
        if let detail = object["detail"] as? String { parts.append(detail.trimmingCharacters(in: .whitespacesAndNewlines)) }
        if let fields = object["invalid_fields"] as? [[String: Any]] {
            let listed = fields.compactMap { field -> String? in
                guard let name = field["field"] as? String else { return nil }
                return "\(name): \(field["description"] as? String ?? field["type"] as? String ?? "invalid")"
            }
            if !listed.isEmpty { parts.append("invalid fields: " + listed.joined(separator: "; ")) }
        }
        if let error = object["error"] as? String { parts.append(error) }
        if let error = object["error"] as? [String: Any], let message = error["message"] as? String { parts.append(message) }
        if parts.isEmpty, let code = object["code"] as? String { parts.append(code) }
        return parts.isEmpty ? String(decoding: body.prefix(300), as: UTF8.self) : parts.joined(separator: ": ")
    }
}

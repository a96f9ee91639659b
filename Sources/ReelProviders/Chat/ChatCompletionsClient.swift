import Foundation
import ReelBasics

/// Token counts a chat completion reports.
public struct TokenUsage: Sendable, Equatable {
    public var prompt: Int
    public var completion: Int
    public var total: Int

    public init(prompt: Int, completion: Int, total: Int) {
        self.prompt = prompt
        self.completion = completion
        self.total = total
    }

    public static func + (lhs: TokenUsage, rhs: TokenUsage) -> TokenUsage {
        TokenUsage(prompt: lhs.prompt + rhs.prompt, completion: lhs.completion + rhs.completion, total: lhs.total + rhs.total)
    }

    public static let zero = TokenUsage(prompt: 0, completion: 0, total: 0)
}

/// One message of a chat: text, or text and images (as data URLs).
public struct ChatMessage: Sendable, Equatable {
    public enum Part: Sendable, Equatable {
        case text(String)
        /// A `data:image/jpeg;base64,…` URL, with a detail level (`low`, `high`, `auto`).
        case image(dataURL: String, detail: String)
    }

    public var role: String
    public var parts: [Part]

    public init(role: String, parts: [Part]) {
        self.role = role
        self.parts = parts
    }

    public init(role: String, text: String) {
        self.init(role: role, parts: [.text(text)])
    }

    public var json: [String: Any] {
        if parts.count == 1, case .text(let text) = parts[0] { return ["role": role, "content": text] }
        return [
            "role": role,
            "content": parts.map { part -> [String: Any] in
                switch part {
                case .text(let text): return ["type": "text", "text": text]
                case .image(let url, let detail): return ["type": "image_url", "image_url": ["url": url, "detail": detail]]
                }
            },
        ]
    }
}

/// What came back.
public struct ChatReply: Sendable, Equatable {
    public var content: String?
    public var refusal: String?
    public var finishReason: String?
    public var usage: TokenUsage
    /// The model that answered (may differ from the alias asked for).
    public var model: String?
}

/// An OpenAI-compatible `POST {base}/chat/completions` client (xAI by default; also OpenAI,
/// Ollama, vLLM, llama.cpp by base URL).
public struct ChatCompletionsClient: Sendable {
    public let http: HTTPClient
    public let baseURL: URL
    let key: Secret

    public init(http: HTTPClient, baseURL: URL, key: Secret) {
        self.http = http
        self.baseURL = baseURL
        self.key = key
    }

    /// The sampling temperature of every selection request (part of the select key).
    public static let temperature = 0

    /// The JSON-schema name the reply is requested under.
    public static let schemaName = "image_pairs"

    /// Sends one chat completion with a JSON-schema response format (portable profile).
    /// Retried on 429, 5xx and transport errors: a selection call is cheap and side-effect free.
    public func complete(
        model: String, messages: [ChatMessage], schemaName: String, schema: [String: Any], onRetry: @Sendable (Int, String) -> Void = { _, _ in }
    ) async throws -> ChatReply {
        let target = baseURL.appendingPathComponent("chat/completions")
        let body: [String: Any] = [
            "model": model,
            "messages": messages.map(\.json),
            "temperature": ChatCompletionsClient.temperature,
            "response_format": ["type": "json_schema", "json_schema": ["name": schemaName, "strict": true, "schema": schema]],
        ]
        let data = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])
        let request = HTTPRequest(
            method: "POST", url: target,
            headers: ["Authorization": key.bearer, "Content-Type": "application/json", "User-Agent": "reel"], body: data, timeout: 120)
        let response = try await http.send(request, mode: .idempotent, onRetry: onRetry)
        guard response.status == 200 else {
            throw ProviderError.http(
                method: "POST", url: HTTPClient.display(target), status: response.status, message: key.scrub(ProviderError.message(from: response.body)))
        }
        guard let object = try? JSONSerialization.jsonObject(with: response.body) as? [String: Any],
            let choices = object["choices"] as? [[String: Any]], let first = choices.first,
            let message = first["message"] as? [String: Any]
        else {
            throw ProviderError.malformedResponse(url: HTTPClient.display(target), detail: "no choices[0].message in the reply")
        }
        let usage = object["usage"] as? [String: Any] ?? [:]
        return ChatReply(
            content: message["content"] as? String, refusal: message["refusal"] as? String, finishReason: first["finish_reason"] as? String,
            usage: TokenUsage(
                prompt: usage["prompt_tokens"] as? Int ?? 0, completion: usage["completion_tokens"] as? Int ?? 0,
                total: usage["total_tokens"] as? Int ?? 0),
            model: object["model"] as? String)
    }
}

import Foundation
import Synchronization

/// A fake OpenAI-compatible `POST /v1/chat/completions` on 127.0.0.1 in xAI's shape (see
/// shared/reference/provider-apis.md §3, §4): bearer auth with xAI's flat error bodies, scripted
/// replies, fault injection and call recording.
///
/// ```swift
/// let chat = FakeChatCompletions(apiKey: "xai-test")
/// try await chat.start()
/// chat.enqueue(.content(#"{"pairs": [...]}"#))
/// chat.inject(.rateLimited(retryAfter: 1))   // served before the reply
/// // point Reel at chat.baseURL, run it, then:
/// #expect(chat.chatRequests.first?.imageURLs.allSatisfy { $0.hasPrefix("data:image/") } == true)
/// ```
public final class FakeChatCompletions: Sendable {
    /// One scripted answer (HTTP 200).
    public struct Reply: Sendable, Equatable {
        /// The assistant message `content` (nil for a refusal).
        public var content: String?
        /// The assistant message `refusal` (nil unless refusing).
        public var refusal: String?
        /// `stop` or `length`.
        public var finishReason: String
        /// Token counts to report; nil estimates them from the request and the content.
        public var usage: Usage?
        /// The `model` to answer with; nil uses the alias table, else echoes the request.
        public var model: String?

        public init(content: String?, refusal: String? = nil, finishReason: String = "stop", usage: Usage? = nil, model: String? = nil) {
            self.content = content
            self.refusal = refusal
            self.finishReason = finishReason
            self.usage = usage
            self.model = model
        }

        /// A normal answer: `content`, `finish_reason: "stop"`.
        public static func content(_ text: String) -> Reply { Reply(content: text) }
        /// A refusal: `content` null, `refusal` set, `finish_reason: "stop"`.
        public static func refusal(_ text: String = "I'm sorry, I can't help with that.") -> Reply {
            Reply(content: nil, refusal: text)
        }
        /// Output cut at the token limit: `finish_reason: "length"` with `partial` content.
        public static func length(_ partial: String) -> Reply { Reply(content: partial, finishReason: "length") }
    }

    /// Token counts reported in `usage`.
    public struct Usage: Sendable, Equatable {
        public var promptTokens: Int
        public var completionTokens: Int
        public var reasoningTokens: Int

        public init(promptTokens: Int, completionTokens: Int, reasoningTokens: Int = 0) {
            self.promptTokens = promptTokens
            self.completionTokens = completionTokens
            self.reasoningTokens = reasoningTokens
        }

        /// prompt + completion + reasoning (as xAI counts it).
        public var totalTokens: Int { promptTokens + completionTokens + reasoningTokens }
    }

    /// Decides a reply from the request (used when the reply queue is empty).
    public typealias Responder = @Sendable (RecordedChatRequest) -> Reply

    struct State {
        var port: UInt16 = 0
        var log = RequestLog()
        var faults: [FakeFault] = []
        var replies: [Reply] = []
        var responder: Responder?
        var modelAliases: [String: String] = [:]
        var completions = 0
    }

    let state = Mutex(State())
    let host = FakeServerHost()

    /// The key the fake expects in `Authorization: Bearer <key>`.
    public let apiKey: String

    public init(apiKey: String = "xai-fake-key") {
        self.apiKey = apiKey
    }

    // MARK: - Lifecycle

    /// Starts listening on 127.0.0.1 (an ephemeral port unless `port` is given).
    public func start(port: UInt16 = 0) async throws {
        let bound = try await host.start(port: port) { [weak self] request in
            guard let self else { return .text(503, "FakeChatCompletions was deallocated") }
            return await self.handle(request)
        }
        state.withLock { $0.port = bound }
    }

    /// Stops the server; slow handlers still running are cancelled.
    public func stop() async {
        await host.stop()
    }

    public var port: UInt16 { state.withLock { $0.port } }

    /// `http://127.0.0.1:<port>/v1`: the OpenAI-style base URL (chat completions at `/chat/completions`).
    public var baseURL: URL { URL(string: "http://127.0.0.1:\(port)/v1") ?? URL(fileURLWithPath: "/") }

    // MARK: - Scripting

    /// Queues replies, one per successful request, in order.
    public func enqueue(_ replies: Reply...) {
        state.withLock { $0.replies.append(contentsOf: replies) }
    }

    /// Decides replies when the queue is empty (nil: an unscripted request answers 500).
    public var responder: Responder? {
        get { state.withLock { $0.responder } }
        set { state.withLock { $0.responder = newValue } }
    }

    /// Requested model → model named in the response (xAI answers `grok-4-latest` as `grok-4-0709`).
    public var modelAliases: [String: String] {
        get { state.withLock { $0.modelAliases } }
        set { state.withLock { $0.modelAliases = newValue } }
    }

    /// Injects `fault` on the next `times` authenticated requests (before any reply is used:
    /// `.rateLimited`, `.serverError`, … consume no reply; `.slow`, `.malformedJSON` and
    /// `.truncatedBody` wrap the normal answer and do consume one).
    public func inject(_ fault: FakeFault, times: Int = 1) {
        state.withLock { $0.faults.append(contentsOf: Array(repeating: fault, count: max(0, times))) }
    }

    /// Faults injected but not yet served.
    public var pendingFaults: [FakeFault] { state.withLock { $0.faults } }

    /// Replies queued but not yet served.
    public var pendingReplies: [Reply] { state.withLock { $0.replies } }

    // MARK: - Recordings

    /// Every request received, in order (including rejected and faulted ones).
    public var requests: [RecordedRequest] { state.withLock { $0.log.entries } }

    /// The requests satisfying `predicate`, in order.
    public func requests(matching predicate: (RecordedRequest) -> Bool) -> [RecordedRequest] {
        requests.filter(predicate)
    }

    /// The JSON bodies of every `POST /v1/chat/completions` that parsed, in order.
    public var chatRequests: [RecordedChatRequest] {
        requests.filter { $0.method == "POST" && $0.path == "/v1/chat/completions" }.compactMap(RecordedChatRequest.init)
    }

    /// How many completions were answered with HTTP 200 (faulted ones included when the fault
    /// wrapped a normal answer).
    public var completionCount: Int { state.withLock { $0.completions } }

    /// Forgets recordings, replies and faults (the responder and aliases stay).
    public func reset() {
        state.withLock { state in
            state.log.reset()
            state.faults = []
            state.replies = []
            state.completions = 0
        }
    }
}

/// A chat-completions request body as the fake read it, with helpers for assertions.
public struct RecordedChatRequest: Sendable {
    /// The whole body.
    public var body: FakeJSON
    /// The raw request (headers included).
    public var recorded: RecordedRequest

    /// nil when the body is not a JSON object.
    public init?(_ recorded: RecordedRequest) {
        guard let body = recorded.json, body.objectValue != nil else { return nil }
        self.body = body
        self.recorded = recorded
    }

    public var model: String? { body["model"]?.stringValue }
    public var messages: [FakeJSON] { body["messages"]?.arrayValue ?? [] }
    /// `response_format` as sent (e.g. `{"type":"json_schema","json_schema":{…}}`).
    public var responseFormat: FakeJSON? { body["response_format"] }
    /// `response_format.json_schema.schema`, when the request asked for a JSON schema.
    public var jsonSchema: FakeJSON? { responseFormat?["json_schema"]?["schema"] }

    /// Every content part of every message (a string content counts as one text part).
    public var contentParts: [FakeJSON] {
        messages.flatMap { message -> [FakeJSON] in
            switch message["content"] {
            case .string(let text)?: return [["type": "text", "text": .string(text)]]
            case .array(let parts)?: return parts
            default: return []
            }
        }
    }

    /// Texts of all messages, in order.
    public var texts: [String] {
        contentParts.compactMap { $0["type"]?.stringValue == "text" ? $0["text"]?.stringValue : nil }
    }

    /// All text joined with newlines (for `contains` checks on campaign and brand text).
    public var allText: String { texts.joined(separator: "\n") }

    /// `image_url.url` of every image part, in order.
    public var imageURLs: [String] {
        contentParts.compactMap { $0["type"]?.stringValue == "image_url" ? $0["image_url"]?["url"]?.stringValue : nil }
    }

    /// Roles of the messages, in order.
    public var roles: [String] { messages.compactMap { $0["role"]?.stringValue } }
}

import Foundation
import ReelBasics
import ReelGraph
import ReelManifest
import ReelProviders

/// What provider access a build needs, checked before anything is spent: credentials come from
/// the environment only, trimmed and shape-checked, and a problem names the variable.
public struct ProviderSetup: Sendable {
    /// Options for provider executors.
    public struct Options: Sendable {
        public var cancelOnInterrupt: Bool
        public var pollInterval: Duration
        public var retry: RetryPolicy
        /// Seconds without progress before an HTTP request times out.
        public var timeout: TimeInterval

        public init(cancelOnInterrupt: Bool = false, pollInterval: Duration = .seconds(2), retry: RetryPolicy = RetryPolicy(), timeout: TimeInterval = 30) {
            self.cancelOnInterrupt = cancelOnInterrupt
            self.pollInterval = pollInterval
            self.retry = retry
            self.timeout = timeout
        }

        /// Test and tuning knobs from the environment: `REEL_POLL_INTERVAL_MS`, `REEL_RETRY_BASE_MS`,
        /// `REEL_RETRY_ATTEMPTS`, `REEL_HTTP_TIMEOUT_S`.
        public static func from(environment: [String: String], cancelOnInterrupt: Bool) -> Options {
            var options = Options(cancelOnInterrupt: cancelOnInterrupt)
            if let value = environment["REEL_POLL_INTERVAL_MS"].flatMap(Int.init), value > 0 { options.pollInterval = .milliseconds(value) }
            if let value = environment["REEL_RETRY_BASE_MS"].flatMap(Int.init), value > 0 { options.retry.baseDelay = .milliseconds(value) }
            if let value = environment["REEL_RETRY_ATTEMPTS"].flatMap(Int.init), value > 0 { options.retry.maxAttempts = value }
            if let value = environment["REEL_HTTP_TIMEOUT_S"].flatMap(Double.init), value > 0 { options.timeout = value }
            return options
        }
    }

    /// Which paid providers the stale part of `plan` uses.
    public static func needs(_ plan: Plan, campaign: ResolvedCampaign) -> (selector: Bool, generator: Bool) {
        let stale = plan.staleNodes
        var selector = false
        if case .selector(let settings) = campaign.pairs, settings.kind == .openAICompatible {
            selector = stale.contains { $0.kind == .select }
        }
        let generator = campaign.generator.kind == .replicate && stale.contains { $0.kind == .generate }
        return (selector, generator)
    }

    /// The executors for a build, with the provider clients the plan needs.
    /// - Throws: `CredentialError` (missing or malformed key) or a bad base URL, before any spend.
    public static func executors(
        for plan: Plan, campaign: ResolvedCampaign, environment: BuildEnvironment, options: Options, transport: any HTTPTransport = URLSessionTransport()
    ) throws -> ExecutorSet {
        var executors = ExecutorSet()
        let needs = needs(plan, campaign: campaign)
        let http = HTTPClient(transport: transport, policy: options.retry, clock: environment.clock)
        if needs.selector, case .selector(let settings) = campaign.pairs {
            let key = try Secret.fromEnvironment(settings.apiKeyEnv, in: environment.variables)
            let client = ChatCompletionsClient(http: http, baseURL: try url(settings.baseURL, what: "select.base_url"), key: key)
            executors.llmSelect = LLMSelectExecutor(client: client, registry: campaign.registry)
        }
        if needs.generator {
            let token = try Secret.fromEnvironment("REPLICATE_API_TOKEN", in: environment.variables, prefix: "r8_")
            let client = ReplicateClient(
                http: http, baseURL: try url(campaign.generator.baseURL, what: "generate.base_url"), token: token, timeout: options.timeout)
            executors.replicate = ReplicateExecutor(
                client: client, pollInterval: options.pollInterval, cancelOnInterrupt: options.cancelOnInterrupt, clock: environment.clock)
        }
        return executors
    }

    static func url(_ text: String, what: String) throws -> URL {
        guard let url = URL(string: text), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
            throw EngineError.providerUnavailable("\(what) '\(text)' is not an http(s) URL")
        }
        return url
    }
}

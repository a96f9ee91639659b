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
        /// Longest time one generation is polled before the node fails (it stays journaled).
        public var pollDeadline: Duration
        /// How long a create keeps waiting out the provider's rate limit (429s) before it fails.
        public var rateLimitDeadline: Duration = .seconds(30 * 60)
        /// Hosts approved on the command line (`--allow-host`) to receive credentials.
        public var allowedHosts: [String] = []
        /// Throttles shared by every campaign of a build (one per provider and host).
        public var throttles = Throttles()

        public init(
            cancelOnInterrupt: Bool = false, pollInterval: Duration = .seconds(2), retry: RetryPolicy = RetryPolicy(), timeout: TimeInterval = 30,
            pollDeadline: Duration = .seconds(3600)
        ) {
            self.pollDeadline = pollDeadline
            self.cancelOnInterrupt = cancelOnInterrupt
            self.pollInterval = pollInterval
            self.retry = retry
            self.timeout = timeout
        }

        /// Test and tuning knobs from the environment: `REEL_POLL_INTERVAL_MS`, `REEL_RETRY_BASE_MS`,
        /// `REEL_RETRY_ATTEMPTS`, `REEL_HTTP_TIMEOUT_S`, `REEL_POLL_DEADLINE_MIN`, `REEL_RATE_LIMIT_DEADLINE_MIN`.
        public static func from(environment: [String: String], cancelOnInterrupt: Bool) -> Options {
            var options = Options(cancelOnInterrupt: cancelOnInterrupt)
            if let value = environment["REEL_POLL_INTERVAL_MS"].flatMap(Int.init), value > 0 { options.pollInterval = .milliseconds(value) }
            if let value = environment["REEL_RETRY_BASE_MS"].flatMap(Int.init), value > 0 { options.retry.baseDelay = .milliseconds(value) }
            if let value = environment["REEL_RETRY_ATTEMPTS"].flatMap(Int.init), value > 0 { options.retry.maxAttempts = value }
            if let value = environment["REEL_HTTP_TIMEOUT_S"].flatMap(Double.init), value > 0 { options.timeout = value }
            if let value = environment["REEL_RATE_LIMIT_DEADLINE_MIN"].flatMap(Double.init), value > 0 {
                options.rateLimitDeadline = .milliseconds(Int(value * 60_000))
            }
            if let value = environment["REEL_POLL_DEADLINE_MIN"].flatMap(Double.init), value > 0 { options.pollDeadline = .milliseconds(Int(value * 60_000)) }
            return options
        }
    }

    /// Which paid providers the stale part of `plan` uses.
    public static func needs(_ plan: Plan, campaign: ResolvedCampaign) -> (selector: Bool, generator: Bool) {
        let stale = plan.staleNodes
        let selector = campaign.pairs.selector?.kind == .openAICompatible && stale.contains { $0.kind == .select }
        return (selector, !remoteGenerators(plan, campaign: campaign).isEmpty)
    }

    /// The remote generator settings of the clips the plan would make (a variant's own; the
    /// campaign's without variants). A clip not yet known (before selection) is its variant's.
    static func remoteGenerators(_ plan: Plan, campaign: ResolvedCampaign) -> [GeneratorSettings] {
        plan.staleNodes.filter { $0.kind == .generate }.compactMap { node -> GeneratorSettings? in
            if case .generate(let input)? = node.spec?.action { return input.settings }
            return campaign.lanes.first { $0.name == node.id.variant }?.generator ?? campaign.generator
        }.filter { $0.kind != .local }
    }

    /// The executors for a build, with the provider clients the plan needs.
    /// - Throws: `CredentialError` (missing or malformed key) or a bad base URL, before any spend.
    public static func executors(
        for plan: Plan, campaign: ResolvedCampaign, environment: BuildEnvironment, options: Options, transport: any HTTPTransport = URLSessionTransport(),
        providers: [String: GenerationProviderFactory] = GenerationProviderFactory.builtIn
    ) throws -> ExecutorSet {
        var executors = ExecutorSet()
        let needs = needs(plan, campaign: campaign)
        let http = HTTPClient(transport: transport, policy: options.retry, clock: environment.clock)
        let hosts = CredentialHosts(environment: environment.variables, allowed: options.allowedHosts)
        if needs.selector, case .selector(let settings) = campaign.pairs {
            let key = try Secret.fromEnvironment(settings.apiKeyEnv, in: environment.variables)
            let baseURL = try url(settings.baseURL, what: "select.base_url")
            try hosts.check(baseURL, variable: key.variable, setting: "select.base_url", baseURLVariable: "REEL_SELECTOR_BASE_URL")
            let client = ChatCompletionsClient(http: http, baseURL: baseURL, key: key)
            executors.llmSelect = LLMSelectExecutor(client: client, registry: campaign.registry)
        }
        // One client per provider the variants' models use (the campaign's own without variants).
        var seen: Set<String> = []
        for generator in remoteGenerators(plan, campaign: campaign) where needs.generator {
            let name = generator.modelSpec?.provider ?? generator.kind.rawValue
            guard seen.insert(name).inserted else { continue }
            guard let factory = providers[name] else {
                throw EngineError.providerUnavailable(
                    "model \(generator.model ?? "?") uses provider '\(name)', which this build of Reel does not support")
            }
            let secret = try Secret.fromEnvironment(factory.credentialVariable, in: environment.variables, prefix: factory.credentialPrefix)
            let baseURL = try url(generator.baseURL, what: "generate.base_url")
            try hosts.check(baseURL, variable: secret.variable, setting: "generate.base_url", baseURLVariable: factory.baseURLVariable)
            // One throttle per provider: a 429 slows every create to it down, not one node.
            let paced = HTTPClient(
                transport: transport, policy: options.retry, clock: environment.clock,
                throttle: options.throttles.throttle(provider: name, host: baseURL.host ?? ""), rateLimitDeadline: options.rateLimitDeadline)
            let provider = factory.make(paced, baseURL, secret, options)
            executors.generators[name] = RemoteGenerationExecutor(
                provider: provider, pollInterval: options.pollInterval, pollDeadline: options.pollDeadline,
                cancelOnInterrupt: options.cancelOnInterrupt, clock: environment.clock)
        }
        return executors
    }

    /// The campaign's remote generation provider (for `reel status`: look at, cancel or settle
    /// journaled work), with the same credential and host checks as a build.
    public static func generationProvider(
        campaign: ResolvedCampaign, environment: BuildEnvironment, options: Options, transport: any HTTPTransport = URLSessionTransport(),
        providers: [String: GenerationProviderFactory] = GenerationProviderFactory.builtIn
    ) throws -> any GenerationProvider {
        // With variants, the first that generates remotely (they share generate.base_url).
        let generator = campaign.lanes.map(\.generator).first { $0.kind != .local } ?? campaign.generator
        let name = generator.modelSpec?.provider ?? generator.kind.rawValue
        guard generator.kind != .local, let factory = providers[name] else {
            throw EngineError.providerUnavailable("the campaign's generator has no remote provider to ask")
        }
        let secret = try Secret.fromEnvironment(factory.credentialVariable, in: environment.variables, prefix: factory.credentialPrefix)
        let baseURL = try url(generator.baseURL, what: "generate.base_url")
        try CredentialHosts(environment: environment.variables, allowed: options.allowedHosts)
            .check(baseURL, variable: secret.variable, setting: "generate.base_url", baseURLVariable: factory.baseURLVariable)
        let http = HTTPClient(transport: transport, policy: options.retry, clock: environment.clock)
        return factory.make(http, baseURL, secret, options)
    }

    static func url(_ text: String, what: String) throws -> URL {
        guard let url = URL(string: text), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
            throw EngineError.providerUnavailable("\(what) '\(text)' is not an http(s) URL")
        }
        return url
    }
}

/// How to set up one remote generation provider: the credential it needs and how to make its
/// client. The model registry's `provider` field picks the entry.
public struct GenerationProviderFactory: Sendable {
    /// The registry's `provider` value (`replicate`).
    public var name: String
    /// The environment variable holding its credential, and a prefix real credentials have.
    public var credentialVariable: String
    public var credentialPrefix: String?
    /// The environment variable that sets its base URL (an operator's approval of that host).
    public var baseURLVariable: String
    public var make: @Sendable (HTTPClient, URL, Secret, ProviderSetup.Options) -> any GenerationProvider

    public init(
        name: String, credentialVariable: String, credentialPrefix: String?, baseURLVariable: String,
        make: @escaping @Sendable (HTTPClient, URL, Secret, ProviderSetup.Options) -> any GenerationProvider
    ) {
        self.name = name
        self.credentialVariable = credentialVariable
        self.credentialPrefix = credentialPrefix
        self.baseURLVariable = baseURLVariable
        self.make = make
    }

    /// Replicate (`REPLICATE_API_TOKEN`, `r8_…`).
    public static let replicate = GenerationProviderFactory(name: "replicate", credentialVariable: "REPLICATE_API_TOKEN", credentialPrefix: "r8_",
        baseURLVariable: "REPLICATE_BASE_URL"
    ) {
        http, baseURL, token, options in
        ReplicateGeneration(client: ReplicateClient(http: http, baseURL: baseURL, token: token, timeout: options.timeout))
    }

    /// The providers this build supports, by name.
    public static let builtIn: [String: GenerationProviderFactory] = [replicate.name: replicate]
}

import ReelGraph
import ReelManifest

/// Which executor runs which node. Remote generators are keyed by the model registry's
/// `provider` field; providers that are not configured are absent, and a node that needs one
/// fails with a message saying what to set up.
public struct ExecutorSet: Sendable {
    public var features: any NodeExecutor
    public var localSelect: any NodeExecutor
    public var llmSelect: (any NodeExecutor)?
    public var animatic: any NodeExecutor
    /// Remote generation executors by provider (`ModelSpec.provider`).
    public var generators: [String: any NodeExecutor]
    public var combine: any NodeExecutor

    public init(
        features: any NodeExecutor = FeaturesExecutor(), localSelect: any NodeExecutor = LocalSelectExecutor(),
        llmSelect: (any NodeExecutor)? = nil, animatic: any NodeExecutor = AnimaticExecutor(), generators: [String: any NodeExecutor] = [:],
        combine: any NodeExecutor = CombineExecutor()
    ) {
        self.features = features
        self.localSelect = localSelect
        self.llmSelect = llmSelect
        self.animatic = animatic
        self.generators = generators
        self.combine = combine
    }

    /// The executor for `spec`.
    /// - Throws: `EngineError.providerUnavailable` when its provider is not configured.
    public func executor(for spec: NodeSpec) throws -> any NodeExecutor {
        switch spec.action {
        case .features: return features
        case .combine: return combine
        case .select(let input):
            if input.settings.kind == .local { return localSelect }
            guard let llmSelect else {
                throw EngineError.providerUnavailable("the openai-compatible selector is not available in this build")
            }
            return llmSelect
        case .generate(let input):
            if input.settings.kind == .local { return animatic }
            let provider = input.settings.modelSpec?.provider ?? input.settings.kind.rawValue
            guard let generator = generators[provider] else {
                throw EngineError.providerUnavailable("the \(provider) generator is not available in this build")
            }
            return generator
        }
    }
}

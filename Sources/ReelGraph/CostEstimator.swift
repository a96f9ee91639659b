import ReelBasics
import ReelManifest

/// Estimates what running a node costs, from the model registry's prices. Estimates only: the
/// providers bill what they bill, and the ledger records that.
public struct CostEstimator: Sendable {
    public let registry: ModelRegistry

    /// Tokens an image costs at `high` detail (xAI and OpenAI tile images; ~1.8k is typical).
    public static let tokensPerImage = 1_800
    /// Prompt text around the images.
    public static let promptTokens = 1_200
    /// Completion tokens per pair (JSON with reasoning and a prompt).
    public static let completionTokensPerPair = 250

    public init(registry: ModelRegistry) {
        self.registry = registry
    }

    /// The estimated cost of running `spec` (0 for local nodes).
    public func estimate(_ spec: NodeSpec) -> Double {
        switch spec.action {
        case .features, .combine:
            return 0
        case .select(let input):
            guard input.settings.kind == .openAICompatible else { return 0 }
            let pairs = input.settings.count ?? max(1, input.candidates.count - 1)
            return selectorCost(model: input.settings.model, images: input.candidates.count, pairs: pairs)
        case .generate(let input):
            return clipCost(input.settings)
        }
    }

    /// One clip with these settings.
    public func clipCost(_ settings: GeneratorSettings) -> Double {
        guard settings.kind == .replicate, let spec = settings.modelSpec else { return 0 }
        return spec.estimatedCost(duration: Int(settings.duration), resolution: settings.modelResolution ?? "", audio: settings.audio) ?? 0
    }

    /// One selection call (with one possible retry not counted).
    public func selectorCost(model: String, images: Int, pairs: Int) -> Double {
        let price = registry.selectorPrice(for: model)
        let input = Double(images * CostEstimator.tokensPerImage + CostEstimator.promptTokens)
        let output = Double(pairs * CostEstimator.completionTokensPerPair)
        return (input * price.usdPerMillionInput + output * price.usdPerMillionOutput) / 1_000_000
    }
}

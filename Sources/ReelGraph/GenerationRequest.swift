import ReelBasics
import ReelManifest

/// The provider-neutral part of a remote image-to-video request: which provider (the model
/// registry's `provider` field), which model, and the model input without the two frames. This
/// is what goes into a generate node's key; a provider adds the frames (inline or uploaded) when
/// it sends the request, so where the frames live never changes the key.
public struct GenerationRequest: Sendable, Equatable {
    /// The registry's `provider` for the model (`replicate`).
    public var provider: String
    public var model: String
    /// The model input without the frames, built from the registry's field mapping.
    public var input: [String: CanonicalValue]
    /// The input fields that take the first and last frame.
    public var firstFrameField: String
    public var lastFrameField: String

    public init(provider: String, model: String, input: [String: CanonicalValue], firstFrameField: String, lastFrameField: String) {
        self.provider = provider
        self.model = model
        self.input = input
        self.firstFrameField = firstFrameField
        self.lastFrameField = lastFrameField
    }

    /// The engine version in the node key: `<provider>/1` (`replicate/1`).
    public var engineVersion: String { "\(provider)/1" }

    /// The canonical request for `prompt` under `settings`, or `nil` without a registry entry.
    public static func canonical(prompt: String, settings: GeneratorSettings) -> GenerationRequest? {
        guard let spec = settings.modelSpec, let model = settings.model else { return nil }
        return GenerationRequest(
            provider: spec.provider, model: model, input: modelInput(prompt: prompt, settings: settings, spec: spec),
            firstFrameField: spec.firstFrameField, lastFrameField: spec.lastFrameField)
    }

    /// The model input, minus the two frames, from the registry's field mapping.
    static func modelInput(prompt: String, settings: GeneratorSettings, spec: ModelSpec) -> [String: CanonicalValue] {
        var input: [String: CanonicalValue] = [:]
        for (name, value) in spec.extraInputs ?? [:] { input[name] = value }
        input[spec.promptField] = .string(prompt)
        input[spec.durationField] = .int(spec.durationValue(seconds: Int(settings.duration)))
        if let label = settings.modelResolution, let field = spec.resolutionField {
            input[field] = .string(spec.resolutionValues?[label] ?? label)
        }
        if let field = spec.aspectRatioField, let ratios = spec.aspectRatios {
            let wanted = settings.clipResolution.width >= settings.clipResolution.height ? "16:9" : "9:16"
            if ratios.contains(wanted) { input[field] = .string(wanted) }
        }
        if let field = spec.seedField, let seed = settings.seed { input[field] = .int(seed) }
        if let field = spec.audioField { input[field] = .bool(settings.audio) }
        if let field = spec.negativePromptField, let negative = settings.negativePrompt { input[field] = .string(negative) }
        for (name, value) in settings.options { input[name] = value }
        return input
    }
}

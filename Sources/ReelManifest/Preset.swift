import ReelBasics

/// The values a quality preset resolves to. Anything set in the manifest overrides them.
public struct PresetValues: Sendable, Equatable {
    public var selector: SelectorKind
    public var generator: GeneratorKind
    /// The Replicate model, for paid presets.
    public var model: String?
    /// The model's resolution label, for paid presets.
    public var modelResolution: String?
    public var outputResolution: Resolution
    public var fps: Int
    public var duration: Double
    /// Whether the model generates audio, and the final video keeps it.
    public var audio: Bool
    public var crf: Int
    public var encoderPreset: String
    public var transition: Transition

    /// The table documented in the README ("Quality presets").
    public static func values(for preset: QualityPreset) -> PresetValues {
        let fade = Transition(type: "fade", duration: 0.5)
        let hd = Resolution(width: 1280, height: 720)
        switch preset {
        case .draft:
            return PresetValues(
                selector: .local, generator: .local, model: nil, modelResolution: nil, outputResolution: hd, fps: 24,
                duration: 4, audio: false, crf: 23, encoderPreset: "veryfast", transition: fade)
        case .economy:
            return PresetValues(
                selector: .openAICompatible, generator: .replicate, model: "minimax/hailuo-02", modelResolution: "768p",
                outputResolution: hd, fps: 24, duration: 6, audio: false, crf: 20, encoderPreset: "medium", transition: fade)
        case .balanced:
            return PresetValues(
                selector: .openAICompatible, generator: .replicate, model: "google/veo-3.1-fast", modelResolution: "720p",
                outputResolution: hd, fps: 24, duration: 6, audio: false, crf: 20, encoderPreset: "medium", transition: fade)
        case .premium:
            return PresetValues(
                selector: .openAICompatible, generator: .replicate, model: "google/veo-3.1", modelResolution: "1080p",
                outputResolution: Resolution(width: 1920, height: 1080), fps: 24, duration: 8, audio: true, crf: 18,
                encoderPreset: "slow", transition: fade)
        }
    }
}

/// Where a resolved value came from, for `reel plan`.
public enum ValueSource: Sendable, Equatable, CustomStringConvertible {
    /// Written in the manifest.
    case manifest
    /// Taken from the quality preset.
    case preset(QualityPreset)
    /// A built-in default.
    case defaultValue
    /// Adjusted to what the model accepts.
    case snapped(from: String)

    public var description: String {
        switch self {
        case .manifest: return "manifest"
        case .preset(let preset): return "preset \(preset.rawValue)"
        case .defaultValue: return "default"
        case .snapped(let from): return "snapped from \(from)"
        }
    }
}

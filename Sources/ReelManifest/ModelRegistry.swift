import Foundation
import ReelBasics

/// What Reel knows about each image-to-video model: which input fields take the first and last
/// frame, the allowed durations and resolutions, and an estimated price. Loaded from
/// `Resources/models.json` (data, not code).
public struct ModelRegistry: Sendable, Equatable {
    public var models: [String: ModelSpec]
    public var selectors: [String: SelectorPrice]

    /// The registry shipped with Reel (empty only when it failed to load: see `builtInProblem`).
    public static let builtIn: ModelRegistry = (try? builtInLoad.get()) ?? ModelRegistry(models: [:], selectors: [:])

    /// Why the shipped registry failed to load, if it did (a broken install): resolving a model
    /// then says so instead of calling every model unknown.
    public static var builtInProblem: String? {
        if case .failure(let error) = builtInLoad { return error.description }
        return nil
    }

    static let builtInLoad: Result<ModelRegistry, RegistryLoadError> = Result {
        try load(Bundle.module.url(forResource: "models", withExtension: "json", subdirectory: "Resources"))
    }.mapError { $0 as? RegistryLoadError ?? RegistryLoadError(detail: "\($0)") }

    /// Loads a registry document.
    /// - Throws: `RegistryLoadError` saying what is wrong (missing resource, unreadable, bad JSON).
    public static func load(_ url: URL?) throws -> ModelRegistry {
        guard let url else { throw RegistryLoadError(detail: "the resource models.json is missing from the install") }
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw RegistryLoadError(detail: "cannot read \(url.path): \(error.localizedDescription)")
        }
        do {
            return try ModelRegistry(json: data)
        } catch {
            throw RegistryLoadError(detail: "\(url.path) is not a valid model registry: \(error)")
        }
    }

    public init(models: [String: ModelSpec], selectors: [String: SelectorPrice]) {
        self.models = models
        self.selectors = selectors
    }

    /// Decodes a registry document.
    public init(json: Data) throws {
        let file = try JSONDecoder().decode(RegistryFile.self, from: json)
        self.models = file.models
        self.selectors = file.selectors
    }

    /// This registry with the manifest's price overrides applied.
    public func applying(_ overrides: [String: PriceOverride]) -> ModelRegistry {
        var copy = self
        for (name, override) in overrides {
            if var spec = copy.models[name] {
                if let run = override.usdPerRun {
                    spec.price = ModelSpec.Price(unit: "run", rules: [.init(resolution: nil, audio: nil, usd: run)])
                } else if let flat = override.usdPerSecond {
                    spec.price = ModelSpec.Price(unit: "second", rules: [.init(resolution: nil, audio: nil, usd: flat)])
                } else if !override.usdPerSecondByResolution.isEmpty {
                    let rules = override.usdPerSecondByResolution.sorted { $0.key < $1.key }.map {
                        ModelSpec.Price.Rule(resolution: $0.key, audio: nil, usd: $0.value)
                    }
                    spec.price = ModelSpec.Price(unit: "second", rules: rules + spec.price.rules)
                }
                spec.priceSource = "manifest price override"
                copy.models[name] = spec
            }
            if override.usdPerMillionInput != nil || override.usdPerMillionOutput != nil {
                let base = copy.selectorPrice(for: name)
                copy.selectors[name] = SelectorPrice(
                    usdPerMillionInput: override.usdPerMillionInput ?? base.usdPerMillionInput,
                    usdPerMillionOutput: override.usdPerMillionOutput ?? base.usdPerMillionOutput, priceSource: "manifest price override")
            }
        }
        return copy
    }

    /// The price entry for a selector model (or the deliberately high default).
    public func selectorPrice(for model: String) -> SelectorPrice {
        selectors[model] ?? selectors["default"] ?? SelectorPrice(usdPerMillionInput: 5, usdPerMillionOutput: 15, priceSource: "default")
    }

    private struct RegistryFile: Decodable {
        var models: [String: ModelSpec]
        var selectors: [String: SelectorPrice]
    }
}

/// Per-token prices of a selector model.
public struct SelectorPrice: Sendable, Equatable, Codable {
    public var usdPerMillionInput: Double
    public var usdPerMillionOutput: Double
    public var priceSource: String

    public init(usdPerMillionInput: Double, usdPerMillionOutput: Double, priceSource: String) {
        self.usdPerMillionInput = usdPerMillionInput
        self.usdPerMillionOutput = usdPerMillionOutput
        self.priceSource = priceSource
    }

    enum CodingKeys: String, CodingKey {
        case usdPerMillionInput = "usd_per_million_input"
        case usdPerMillionOutput = "usd_per_million_output"
        case priceSource = "price_source"
    }
}

/// One model's input mapping, limits and price.
public struct ModelSpec: Sendable, Equatable, Codable {
    public var provider: String
    public var firstFrameField: String
    public var lastFrameField: String
    public var promptField: String
    public var negativePromptField: String?
    public var required: [String]
    public var durationField: String
    /// `frames` when the duration field takes a frame count (Wan's `num_frames`: seconds × `fps` + 1);
    /// absent: whole seconds.
    public var durationUnit: String?
    public var durations: [Int]
    /// The field that takes the resolution; absent when the model's slug fixes it (Luma's `ray-2-720p`).
    public var resolutionField: String?
    public var resolutions: [String]
    /// Resolution label → the value the model's field takes (Kling's `mode`).
    public var resolutionValues: [String: String]?
    /// Resolution label → the durations allowed at that resolution, where narrower.
    public var durationLimits: [String: [Int]]?
    public var aspectRatioField: String?
    public var aspectRatios: [String]?
    public var seedField: String?
    public var audioField: String?
    public var fps: Int
    /// Inputs always sent (e.g. `prompt_optimizer: false` so the prompt is used as written).
    public var extraInputs: [String: CanonicalValue]?
    public var price: Price
    public var priceSource: String

    /// A price as rules matched in order; absent fields match anything.
    public struct Price: Sendable, Equatable, Codable {
        /// `second` (per second of output) or `run` (per prediction).
        public var unit: String
        public var rules: [Rule]

        public struct Rule: Sendable, Equatable, Codable {
            public var resolution: String?
            public var audio: Bool?
            public var usd: Double

            public init(resolution: String?, audio: Bool?, usd: Double) {
                self.resolution = resolution
                self.audio = audio
                self.usd = usd
            }
        }

        public init(unit: String, rules: [Rule]) {
            self.unit = unit
            self.rules = rules
        }
    }

    enum CodingKeys: String, CodingKey {
        case provider
        case firstFrameField = "first_frame_field"
        case lastFrameField = "last_frame_field"
        case promptField = "prompt_field"
        case negativePromptField = "negative_prompt_field"
        case required
        case durationField = "duration_field"
        case durationUnit = "duration_unit"
        case durations
        case resolutionField = "resolution_field"
        case resolutions
        case resolutionValues = "resolution_values"
        case durationLimits = "duration_limits"
        case aspectRatioField = "aspect_ratio_field"
        case aspectRatios = "aspect_ratios"
        case seedField = "seed_field"
        case audioField = "audio_field"
        case fps
        case extraInputs = "extra_inputs"
        case price
        case priceSource = "price_source"
    }

    /// The value of the duration field for a clip of `seconds`.
    public func durationValue(seconds: Int) -> Int {
        durationUnit == "frames" ? seconds * fps + 1 : seconds
    }

    /// Whether the model can generate audio.
    public var supportsAudio: Bool { audioField != nil }

    /// Durations allowed at `resolution`.
    public func allowedDurations(at resolution: String) -> [Int] {
        durationLimits?[resolution] ?? durations
    }

    /// The allowed duration nearest to `requested` (ties go to the shorter, cheaper one).
    public func snapDuration(_ requested: Double, resolution: String) -> Int {
        let allowed = allowedDurations(at: resolution)
        return allowed.min { lhs, rhs in
            let left = abs(Double(lhs) - requested)
            let right = abs(Double(rhs) - requested)
            return left == right ? lhs < rhs : left < right
        } ?? Int(requested.rounded())
    }

    /// Estimated cost in USD of one clip, or `nil` when no price rule matches.
    public func estimatedCost(duration: Int, resolution: String, audio: Bool) -> Double? {
        guard let rule = price.rules.first(where: { rule in
            (rule.resolution == nil || rule.resolution == resolution) && (rule.audio == nil || rule.audio == audio)
        }) else { return nil }
        return price.unit == "run" ? rule.usd : rule.usd * Double(duration)
    }
}

/// The model registry could not be loaded.
public struct RegistryLoadError: Error, Sendable, Equatable, CustomStringConvertible {
    public var detail: String

    public var description: String { "the model registry could not be loaded: \(detail); reinstall Reel" }
}

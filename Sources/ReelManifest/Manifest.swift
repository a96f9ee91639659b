import ReelBasics

/// A campaign manifest, version 1, as written by the user (before presets and globs are resolved).
///
/// Every optional field is `nil` when absent, so resolution can tell "set explicitly" from
/// "take the preset's value" and `reel plan` can say where each value came from.
public struct Manifest: Sendable, Equatable {
    /// The manifest schema version; only 1 exists.
    public var version: Int
    public var campaign: Campaign
    public var brand: Brand
    public var assets: [AssetEntry]
    public var select: SelectSection
    public var generate: GenerateSection
    public var output: OutputSection
    /// The quality preset; `nil` means `draft`.
    public var quality: QualityPreset?
    public var budget: Budget
    /// Price overrides by model name (replace the registry's estimates).
    public var prices: [String: PriceOverride]
    /// Named overrides of the generation and output settings over the one shared selection; each
    /// renders its own video. Empty: the campaign renders one video, as without variants.
    public var variants: [VariantEntry]
    /// Where each key was written (`"generate.duration"` → location), for later diagnostics.
    public var locations: [String: SourceLocation]

    public init(
        version: Int = 1, campaign: Campaign, brand: Brand = Brand(), assets: [AssetEntry],
        select: SelectSection = SelectSection(), generate: GenerateSection = GenerateSection(),
        output: OutputSection = OutputSection(), quality: QualityPreset? = nil, budget: Budget = Budget(),
        prices: [String: PriceOverride] = [:], variants: [VariantEntry] = [], locations: [String: SourceLocation] = [:]
    ) {
        self.prices = prices
        self.variants = variants
        self.version = version
        self.campaign = campaign
        self.brand = brand
        self.assets = assets
        self.select = select
        self.generate = generate
        self.output = output
        self.quality = quality
        self.budget = budget
        self.locations = locations
    }

    /// The highest manifest version this Reel reads.
    public static let highestSupportedVersion = 1
}

/// What the campaign is for: the context a vision LLM selector is given.
public struct Campaign: Sendable, Equatable {
    /// A stable identifier: lowercase letters, digits, `-` and `_`.
    public var id: String
    public var name: String?
    public var goal: String?
    public var audience: String?
    public var productURL: String?

    public init(id: String, name: String? = nil, goal: String? = nil, audience: String? = nil, productURL: String? = nil) {
        self.id = id
        self.name = name
        self.goal = goal
        self.audience = audience
        self.productURL = productURL
    }
}

/// Brand guidelines.
public struct Brand: Sendable, Equatable {
    public var name: String?
    public var voice: String?
    /// Colours as `#RRGGBB`.
    public var colors: [String]
    public var dos: [String]
    public var avoid: [String]

    public init(name: String? = nil, voice: String? = nil, colors: [String] = [], dos: [String] = [], avoid: [String] = []) {
        self.name = name
        self.voice = voice
        self.colors = colors
        self.dos = dos
        self.avoid = avoid
    }
}

/// One entry of `assets`: a single file or a glob.
public struct AssetEntry: Sendable, Equatable {
    /// Where the files come from.
    public enum Source: Sendable, Equatable {
        /// One file, relative to the manifest.
        case path(String)
        /// A glob relative to the manifest (`*`, `?`, `[abc]`, `**`).
        case glob(String)
    }

    public var source: Source
    /// The asset's id; only for `path` entries (glob matches take their file stem).
    public var id: String?
    public var tags: [String]
    public var location: SourceLocation

    public init(source: Source, id: String? = nil, tags: [String] = [], location: SourceLocation) {
        self.source = source
        self.id = id
        self.tags = tags
        self.location = location
    }
}

/// An explicit pair in `select.pairs`.
public struct PairEntry: Sendable, Equatable {
    public var first: String
    public var last: String
    public var prompt: String?
    public var location: SourceLocation

    public init(first: String, last: String, prompt: String? = nil, location: SourceLocation) {
        self.first = first
        self.last = last
        self.prompt = prompt
        self.location = location
    }
}

/// Which selector to use.
public enum SelectorKind: String, Sendable, Equatable, CaseIterable {
    /// Offline, deterministic: image features through ffmpeg.
    case local
    /// Any chat-completions endpoint with vision and JSON-schema output (xAI by default).
    case openAICompatible = "openai-compatible"
}

/// The `select` section.
public struct SelectSection: Sendable, Equatable {
    public var selector: SelectorKind?
    /// How many pairs; `nil` lets the selector decide.
    public var count: Int?
    /// Explicit pairs: when present, no selector runs.
    public var pairs: [PairEntry]?
    /// Only assets carrying one of these tags are candidates (all images when empty).
    public var tags: [String]
    public var model: String?
    public var baseURL: String?
    public var apiKeyEnv: String?
    /// Image detail for the LLM: `low`, `high` or `auto`.
    public var detail: String?

    public init(
        selector: SelectorKind? = nil, count: Int? = nil, pairs: [PairEntry]? = nil, tags: [String] = [],
        model: String? = nil, baseURL: String? = nil, apiKeyEnv: String? = nil, detail: String? = nil
    ) {
        self.selector = selector
        self.count = count
        self.pairs = pairs
        self.tags = tags
        self.model = model
        self.baseURL = baseURL
        self.apiKeyEnv = apiKeyEnv
        self.detail = detail
    }
}

/// Which generator to use.
public enum GeneratorKind: String, Sendable, Equatable, CaseIterable {
    /// The free local ffmpeg animatic.
    case local
    /// Replicate image-to-video models.
    case replicate
}

/// The `generate` section.
public struct GenerateSection: Sendable, Equatable {
    public var generator: GeneratorKind?
    /// A Replicate model slug such as `google/veo-3.1-fast` (implies `generator: replicate`).
    public var model: String?
    /// Clip duration in seconds (snapped to what the model accepts).
    public var duration: Double?
    /// The model's resolution label (`720p`, `768p`, `1080p`).
    public var resolution: String?
    /// The motion prompt used for every pair that has none of its own.
    public var prompt: String?
    public var negativePrompt: String?
    public var seed: Int?
    /// Whether the model generates audio (models that can).
    public var audio: Bool?
    /// How many clips to generate at once.
    public var concurrency: Int?
    /// Extra model inputs passed through verbatim.
    public var options: [String: CanonicalValue]
    public var baseURL: String?
    /// Accept a duration snapped by more than a factor of two (otherwise an error).
    public var allowDurationSnap: Bool? = nil

    public init(
        generator: GeneratorKind? = nil, model: String? = nil, duration: Double? = nil, resolution: String? = nil,
        prompt: String? = nil, negativePrompt: String? = nil, seed: Int? = nil, audio: Bool? = nil,
        concurrency: Int? = nil, options: [String: CanonicalValue] = [:], baseURL: String? = nil
    ) {
        self.generator = generator
        self.model = model
        self.duration = duration
        self.resolution = resolution
        self.prompt = prompt
        self.negativePrompt = negativePrompt
        self.seed = seed
        self.audio = audio
        self.concurrency = concurrency
        self.options = options
        self.baseURL = baseURL
    }
}

/// How images that do not match the output's aspect ratio are framed.
public enum Fit: String, Sendable, Equatable, CaseIterable {
    /// Fill the frame, cropping the overflow (biased towards the top third, where faces are).
    case cover
    /// Show the whole image, padded with black.
    case contain
}

/// Whether the final video keeps the clips' audio.
public enum AudioMode: String, Sendable, Equatable, CaseIterable {
    case keep
    case strip
}

/// A transition between clips.
public struct Transition: Sendable, Equatable {
    /// An ffmpeg `xfade` transition name, or `none` for hard cuts.
    public var type: String
    /// Seconds; ignored for `none`.
    public var duration: Double

    public init(type: String, duration: Double) {
        self.type = type
        self.duration = duration
    }

    /// A hard cut.
    public static let none = Transition(type: "none", duration: 0)

    /// Whether this is a hard cut.
    public var isNone: Bool { type == "none" || duration <= 0 }

    /// The names ffmpeg 5.1's `xfade` accepts.
    public static let xfadeNames: [String] = [
        "fade", "wipeleft", "wiperight", "wipeup", "wipedown", "slideleft", "slideright", "slideup", "slidedown",
        "circlecrop", "rectcrop", "distance", "fadeblack", "fadewhite", "radial", "smoothleft", "smoothright",
        "smoothup", "smoothdown", "circleopen", "circleclose", "vertopen", "vertclose", "horzopen", "horzclose",
        "dissolve", "pixelize", "diagtl", "diagtr", "diagbl", "diagbr", "hlslice", "hrslice", "vuslice", "vdslice",
        "hblur", "fadegrays", "wipetl", "wipetr", "wipebl", "wipebr", "squeezeh", "squeezev", "zoomin",
    ]
}

/// Output frame size in pixels.
public struct Resolution: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var width: Int
    public var height: Int

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    /// Parses `1280x720`, or a label `480p`, `540p`, `720p`, `768p`, `1080p`, `1440p`, `2160p` (16:9).
    public init?(parsing text: String) {
        let lower = text.lowercased()
        if let known = Resolution.labels[lower] {
            self = known
            return
        }
        let parts = lower.split(separator: "x", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
            let width = Int(parts[0]), let height = Int(parts[1])
        else { return nil }
        self.init(width: width, height: height)
    }

    static let labels: [String: Resolution] = [
        "480p": Resolution(width: 854, height: 480), "540p": Resolution(width: 960, height: 540),
        "720p": Resolution(width: 1280, height: 720), "768p": Resolution(width: 1366, height: 768),
        "1080p": Resolution(width: 1920, height: 1080), "1440p": Resolution(width: 2560, height: 1440),
        "2160p": Resolution(width: 3840, height: 2160),
    ]

    /// `WxH`.
    public var description: String { "\(width)x\(height)" }
}

/// The `output` section: how clips are combined into the final video.
public struct OutputSection: Sendable, Equatable {
    /// Relative to the manifest; default `out/<campaign id>.mp4`.
    public var path: String?
    public var resolution: Resolution?
    public var fps: Int?
    public var fit: Fit?
    public var transition: Transition?
    public var audio: AudioMode?
    /// x264 constant rate factor (0–51; lower is better).
    public var crf: Int?
    /// x264 preset (`ultrafast` … `veryslow`).
    public var encoderPreset: String?

    public init(
        path: String? = nil, resolution: Resolution? = nil, fps: Int? = nil, fit: Fit? = nil,
        transition: Transition? = nil, audio: AudioMode? = nil, crf: Int? = nil, encoderPreset: String? = nil
    ) {
        self.path = path
        self.resolution = resolution
        self.fps = fps
        self.fit = fit
        self.transition = transition
        self.audio = audio
        self.crf = crf
        self.encoderPreset = encoderPreset
    }

    /// The x264 presets.
    public static let encoderPresets = [
        "ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow",
    ]
}

/// Quality presets: each resolves to a generator, resolution, fps, duration, audio and encoder settings.
public enum QualityPreset: String, Sendable, Equatable, CaseIterable {
    case draft, economy, balanced, premium
}

/// Spending caps in US dollars.
public struct Budget: Sendable, Equatable {
    /// The campaign's total across all runs.
    public var maxUSD: Double?
    /// One invocation of `reel build`.
    public var runMaxUSD: Double?
    /// One clip.
    public var clipMaxUSD: Double?

    public init(maxUSD: Double? = nil, runMaxUSD: Double? = nil, clipMaxUSD: Double? = nil) {
        self.maxUSD = maxUSD
        self.runMaxUSD = runMaxUSD
        self.clipMaxUSD = clipMaxUSD
    }
}

/// A price written in the manifest for one model, replacing the registry's estimate.
public struct PriceOverride: Sendable, Equatable {
    /// Per second of output video, at any resolution.
    public var usdPerSecond: Double?
    /// Per second of output video, by resolution label (`768p`).
    public var usdPerSecondByResolution: [String: Double]
    /// Per prediction.
    public var usdPerRun: Double?
    /// Selector models: per million prompt and completion tokens.
    public var usdPerMillionInput: Double?
    public var usdPerMillionOutput: Double?
    public var location: SourceLocation

    public init(
        usdPerSecond: Double? = nil, usdPerSecondByResolution: [String: Double] = [:], usdPerRun: Double? = nil,
        usdPerMillionInput: Double? = nil, usdPerMillionOutput: Double? = nil, location: SourceLocation
    ) {
        self.usdPerSecond = usdPerSecond
        self.usdPerSecondByResolution = usdPerSecondByResolution
        self.usdPerRun = usdPerRun
        self.usdPerMillionInput = usdPerMillionInput
        self.usdPerMillionOutput = usdPerMillionOutput
        self.location = location
    }
}

/// One entry of `variants:`: the settings it overrides (everything else is the campaign's).
public struct VariantEntry: Sendable, Equatable {
    /// The variant's name: in its node ids (`generate/3@fast`) and its video's file name.
    public var name: String
    /// Only the keys a variant may set are ever filled in (model, duration, resolution, prompt,
    /// negative prompt, seed, audio, options, allow_duration_snap).
    public var generate: GenerateSection
    /// Only `transition` and `resolution`.
    public var output: OutputSection
    public var location: SourceLocation

    public init(name: String, generate: GenerateSection = GenerateSection(), output: OutputSection = OutputSection(), location: SourceLocation) {
        self.name = name
        self.generate = generate
        self.output = output
        self.location = location
    }

    /// `section` with this variant's generation settings over it.
    public func applying(to section: GenerateSection) -> GenerateSection {
        var result = section
        if let model = generate.model {
            result.model = model
            // A model of the variant's own: the base's resolution label may not exist for it.
            if generate.resolution == nil { result.resolution = nil }
            if section.generator == .local { result.generator = .replicate }
        }
        if let value = generate.duration { result.duration = value }
        if let value = generate.resolution { result.resolution = value }
        if let value = generate.prompt { result.prompt = value }
        if let value = generate.negativePrompt { result.negativePrompt = value }
        if let value = generate.seed { result.seed = value }
        if let value = generate.audio { result.audio = value }
        if !generate.options.isEmpty { result.options = generate.options }
        if let value = generate.allowDurationSnap { result.allowDurationSnap = value }
        return result
    }

    /// `section` with this variant's output settings over it.
    public func applying(to section: OutputSection) -> OutputSection {
        var result = section
        if let value = output.transition { result.transition = value }
        if let value = output.resolution { result.resolution = value }
        return result
    }
}

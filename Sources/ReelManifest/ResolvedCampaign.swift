import ReelBasics

/// What kind of media a file holds, judged by its extension.
public enum MediaKind: String, Sendable, Equatable, Codable {
    case image, video, audio, other

    /// The kind for a lowercase file extension.
    public init(fileExtension: String) {
        switch fileExtension {
        case "jpg", "jpeg", "png", "webp", "bmp", "tif", "tiff", "gif", "heic", "avif": self = .image
        case "mp4", "mov", "m4v", "webm", "mkv": self = .video
        case "wav", "mp3", "m4a", "aac", "flac", "ogg": self = .audio
        default: self = .other
        }
    }
}

/// An asset after globs are expanded: one file with an id.
public struct ResolvedAsset: Sendable, Equatable {
    public var id: String
    public var path: AbsolutePath
    /// Relative to the project root, for lockfiles and messages (never part of a key).
    public var projectRelativePath: String
    public var tags: [String]
    public var kind: MediaKind
    public var location: SourceLocation

    public init(id: String, path: AbsolutePath, projectRelativePath: String, tags: [String], kind: MediaKind, location: SourceLocation) {
        self.id = id
        self.path = path
        self.projectRelativePath = projectRelativePath
        self.tags = tags
        self.kind = kind
        self.location = location
    }
}

/// A pair of asset ids: the clip goes from `first` to `last`.
public struct AssetPair: Sendable, Equatable, Hashable, Codable {
    public var first: String
    public var last: String
    /// A motion prompt for this pair's clip; the generator's prompt when `nil`.
    public var prompt: String?

    public init(first: String, last: String, prompt: String? = nil) {
        self.first = first
        self.last = last
        self.prompt = prompt
    }
}

/// Selector settings after presets and defaults.
public struct SelectorSettings: Sendable, Equatable {
    public var kind: SelectorKind
    /// Requested pair count; `nil` lets the selector decide.
    public var count: Int?
    /// Ids of the candidate images, in manifest order.
    public var candidates: [String]
    /// LLM selector: model, endpoint and the name of the key's environment variable.
    public var model: String
    public var baseURL: String
    public var apiKeyEnv: String
    public var detail: String

    public init(kind: SelectorKind, count: Int?, candidates: [String], model: String, baseURL: String, apiKeyEnv: String, detail: String) {
        self.kind = kind
        self.count = count
        self.candidates = candidates
        self.model = model
        self.baseURL = baseURL
        self.apiKeyEnv = apiKeyEnv
        self.detail = detail
    }

    /// The default LLM: xAI's chat completions with a vision-capable Grok model.
    public static let defaultModel = "grok-4.20-non-reasoning"
    public static let defaultBaseURL = "https://api.x.ai/v1"
    public static let defaultAPIKeyEnv = "XAI_API_KEY"
}

/// Where the pairs come from.
public enum PairSource: Sendable, Equatable {
    /// Written in the manifest: no selector runs.
    case explicit([AssetPair])
    /// Chosen by a selector.
    case selector(SelectorSettings)

    /// The selector's settings, when a selector chooses.
    public var selector: SelectorSettings? {
        if case .selector(let settings) = self { return settings }
        return nil
    }
}

/// Generator settings after presets, defaults and snapping.
public struct GeneratorSettings: Sendable, Equatable {
    public var kind: GeneratorKind
    /// Replicate model slug and its registry entry, for `replicate`.
    public var model: String?
    public var modelSpec: ModelSpec?
    /// Seconds per clip (already snapped for models with fixed durations).
    public var duration: Double
    /// The model's resolution label (`720p`), for `replicate`.
    public var modelResolution: String?
    /// Frame size and rate of the local animatic's clips.
    public var clipResolution: Resolution
    public var fps: Int
    public var fit: Fit
    public var prompt: String
    public var negativePrompt: String?
    public var seed: Int?
    public var audio: Bool
    public var concurrency: Int
    public var options: [String: CanonicalValue]
    public var baseURL: String
    /// x264 settings of locally encoded clips.
    public var crf: Int
    public var encoderPreset: String

    public static let defaultPrompt =
        "Smooth cinematic camera move that carries the first image into the last one; natural motion, no text or logos."
    public static let defaultReplicateBaseURL = "https://api.replicate.com/v1"
}

/// Settings of the final combine.
public struct OutputSettings: Sendable, Equatable {
    public var path: AbsolutePath
    public var resolution: Resolution
    public var fps: Int
    public var fit: Fit
    public var transition: Transition
    public var audio: AudioMode
    public var crf: Int
    public var encoderPreset: String

    /// The folder beside the video that holds its clips: `final.mp4` → `final.clips/`.
    public var clipsDirectory: AbsolutePath {
        path.parent.appending(path.stem + ".clips")
    }

    /// The folder beside the video that holds its storyboard: `final.mp4` → `final.report/`.
    public var reportDirectory: AbsolutePath {
        path.parent.appending(path.stem + ".report")
    }
}

/// A manifest with presets applied, globs expanded and every path checked: what planning needs.
public struct ResolvedCampaign: Sendable, Equatable {
    public var manifest: Manifest
    public var manifestPath: AbsolutePath
    public var projectRoot: AbsolutePath
    public var quality: QualityPreset
    public var campaign: Campaign
    public var brand: Brand
    public var assets: [ResolvedAsset] {
        didSet { assetIndex = ResolvedCampaign.index(assets) }
    }
    public var pairs: PairSource
    public var generator: GeneratorSettings
    public var output: OutputSettings
    public var budget: Budget
    /// Each resolved setting, its value and where it came from, for `reel plan`.
    public var settings: [ResolvedSetting]
    /// Warnings and notes found while resolving (e.g. a duration snapped to the model's).
    public var notes: [Diagnostic]
    /// The model registry with the manifest's price overrides applied.
    public var registry: ModelRegistry
    /// The manifest's `variants:`, resolved; empty without them.
    public var variants: [ResolvedVariant]
    /// Position of each asset id in `assets` (the first, should ids repeat): planning looks up two
    /// assets per pair, and a scan per lookup grew with pairs × assets.
    private var assetIndex: [String: Int]

    public init(
        manifest: Manifest, manifestPath: AbsolutePath, projectRoot: AbsolutePath, quality: QualityPreset, campaign: Campaign,
        brand: Brand, assets: [ResolvedAsset], pairs: PairSource, generator: GeneratorSettings, output: OutputSettings,
        budget: Budget, settings: [ResolvedSetting], notes: [Diagnostic], registry: ModelRegistry = .builtIn,
        variants: [ResolvedVariant] = []
    ) {
        self.manifest = manifest
        self.manifestPath = manifestPath
        self.projectRoot = projectRoot
        self.quality = quality
        self.campaign = campaign
        self.brand = brand
        self.assets = assets
        self.pairs = pairs
        self.generator = generator
        self.output = output
        self.budget = budget
        self.settings = settings
        self.notes = notes
        self.registry = registry
        self.variants = variants
        self.assetIndex = ResolvedCampaign.index(assets)
    }

    private static func index(_ assets: [ResolvedAsset]) -> [String: Int] {
        var index: [String: Int] = [:]
        index.reserveCapacity(assets.count)
        for (position, asset) in assets.enumerated() where index[asset.id] == nil { index[asset.id] = position }
        return index
    }

    /// What the campaign renders: one video per variant, or (without variants) one unnamed lane
    /// with the campaign's own settings, whose node ids and keys are those of a campaign before
    /// variants existed.
    public var lanes: [ResolvedVariant] {
        guard variants.isEmpty else { return variants }
        return [ResolvedVariant(
            name: "", generator: generator, output: output, promptSet: manifest.generate.prompt != nil, location: nil, settings: [])]
    }

    /// The lockfile beside the manifest: `campaign.yaml` → `campaign.lock`.
    public var lockfilePath: AbsolutePath {
        ResolvedCampaign.lockfilePath(for: manifestPath)
    }

    /// The lockfile of the manifest at `manifestPath`.
    public static func lockfilePath(for manifestPath: AbsolutePath) -> AbsolutePath {
        let name = manifestPath.basename
        for suffix in [".yaml", ".yml"] where name.lowercased().hasSuffix(suffix) {
            return manifestPath.parent.appending(String(name.dropLast(suffix.count)) + ".lock")
        }
        return manifestPath.parent.appending(name + ".lock")
    }

    /// The asset with `id`.
    public func asset(_ id: String) -> ResolvedAsset? {
        assetIndex[id].map { assets[$0] }
    }
}

/// One variant (or the campaign's single unnamed lane): the settings its clips and video are made with.
public struct ResolvedVariant: Sendable, Equatable {
    /// The variant's name; `""` for the unnamed lane of a campaign without variants.
    public var name: String
    public var generator: GeneratorSettings
    /// Its video is `<dir>/<stem>.<variant>.mp4` beside the campaign's `output.path`.
    public var output: OutputSettings
    /// Whether `generate.prompt` is set (by the manifest or the variant): it then wins over the selector's prompts.
    public var promptSet: Bool
    public var location: SourceLocation?
    /// Its resolved settings, for `reel plan`.
    public var settings: [ResolvedSetting]

    public init(
        name: String, generator: GeneratorSettings, output: OutputSettings, promptSet: Bool, location: SourceLocation?, settings: [ResolvedSetting]
    ) {
        self.name = name
        self.generator = generator
        self.output = output
        self.promptSet = promptSet
        self.location = location
        self.settings = settings
    }

    /// `out/spring.mp4` → `out/spring.fast.mp4`.
    public static func outputPath(_ path: AbsolutePath, variant: String) -> AbsolutePath {
        let ext = path.fileExtension
        return path.parent.appending(path.stem + "." + variant + (ext.isEmpty ? "" : "." + ext))
    }
}

/// One resolved setting for display.
public struct ResolvedSetting: Sendable, Equatable {
    public var key: String
    public var value: String
    public var source: ValueSource

    public init(key: String, value: String, source: ValueSource) {
        self.key = key
        self.value = value
        self.source = source
    }
}

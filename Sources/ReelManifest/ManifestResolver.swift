import Foundation
import ReelBasics

/// Turns a parsed `Manifest` into a `ResolvedCampaign`: applies the quality preset, expands
/// assets, checks pairs and model limits. Every problem is a located diagnostic.
public struct ManifestResolver: Sendable {
    public let fileSystem: any FileSystem
    public let registry: ModelRegistry
    /// The process environment (base URL overrides); never read for secrets here.
    public let environment: [String: String]

    public init(fileSystem: any FileSystem, registry: ModelRegistry = .builtIn, environment: [String: String] = [:]) {
        self.fileSystem = fileSystem
        self.registry = registry
        self.environment = environment
    }

    /// The project a manifest belongs to: the nearest folder at or above it holding `.git` or
    /// `.reel`, else the manifest's own folder. Assets must stay inside it; its cache is shared.
    public func projectRoot(for manifestPath: AbsolutePath) -> AbsolutePath {
        ProjectRoot.find(from: manifestPath.parent, fileSystem: fileSystem)
    }

    /// Resolves `manifest`, read from `manifestPath` and shown as `displayPath` in diagnostics.
    public func resolve(_ manifest: Manifest, at manifestPath: AbsolutePath) -> (campaign: ResolvedCampaign?, diagnostics: [Diagnostic]) {
        let priced = registry.applying(manifest.prices)
        var context = ResolutionContext(manifest: manifest, registry: priced)
        let root = projectRoot(for: manifestPath)
        let assets = resolveAssets(manifest, manifestPath: manifestPath, root: root, context: &context)
        let preset = manifest.quality ?? .draft
        let presetValues = PresetValues.values(for: preset)
        let generator = context.resolveGenerator(preset: preset, values: presetValues, environment: environment)
        let output = context.resolveOutput(preset: preset, values: presetValues, manifestPath: manifestPath, root: root, generator: generator)
        let pairs = context.resolvePairs(preset: preset, values: presetValues, assets: assets, environment: environment)
        let variants = resolveVariants(manifest, registry: priced, preset: preset, values: presetValues, manifestPath: manifestPath, root: root, base: output, context: &context)
        context.checkPrices(pairs: pairs)
        context.checkCaps()
        // The videos this campaign renders: its own, or one per variant.
        var videos: [(output: OutputSettings, variant: ResolvedVariant?)] = variants.map { ($0.output, $0) }
        if variants.isEmpty, let output { videos = [(output, nil)] }
        for (output, variant) in videos {
            var protected = [(path: root.appending(".reel"), name: "the project's .reel folder")]
            if let cache = environment["REEL_CACHE_DIR"], !cache.isEmpty {
                protected.append((AbsolutePath(cache, relativeTo: AbsolutePath.currentDirectory), "the cache ($REEL_CACHE_DIR)"))
            }
            let lockfile = ResolvedCampaign.lockfilePath(for: manifestPath)
            if let problem = OutputConflicts.problem(
                output: output, manifestPath: manifestPath, lockfilePath: lockfile, assets: assets, protectedFolders: protected, projectRoot: root)
            {
                let message = variant.map { "variant '\($0.name)': \(problem)" } ?? problem
                context.diagnostics.append(.error(message, at: manifest.locations["output.path"] ?? variant?.location ?? manifest.locations["output"]))
            }
        }
        let diagnostics = ManifestResolver.sortedByLocation(context.diagnostics)
        if diagnostics.contains(where: { $0.severity == .error }) {
            return (nil, diagnostics)
        }
        guard let generator, let output, let pairs else { return (nil, diagnostics) }
        let campaign = ResolvedCampaign(
            manifest: manifest, manifestPath: manifestPath, projectRoot: root, quality: preset, campaign: manifest.campaign,
            brand: manifest.brand, assets: assets, pairs: pairs, generator: generator, output: output, budget: manifest.budget,
            settings: context.settings, notes: diagnostics, registry: priced, variants: variants)
        return (campaign, diagnostics)
    }

    /// Each variant's generation and output settings: the manifest with the variant's keys over
    /// `generate` and `output`, resolved the same way (so a variant's model, duration and price
    /// are checked as the campaign's are, with diagnostics at the variant's keys).
    private func resolveVariants(
        _ manifest: Manifest, registry: ModelRegistry, preset: QualityPreset, values: PresetValues, manifestPath: AbsolutePath,
        root: AbsolutePath, base: OutputSettings?, context: inout ResolutionContext
    ) -> [ResolvedVariant] {
        var variants: [ResolvedVariant] = []
        for entry in manifest.variants {
            var varied = manifest
            varied.generate = entry.applying(to: manifest.generate)
            varied.output = entry.applying(to: manifest.output)
            varied.variants = []
            let prefix = "variants.\(entry.name)."
            for (key, location) in manifest.locations where key.hasPrefix(prefix) {
                varied.locations[String(key.dropFirst(prefix.count))] = location
            }
            var own = ResolutionContext(manifest: varied, registry: registry)
            let generator = own.resolveGenerator(preset: preset, values: values, environment: environment)
            var output = own.resolveOutput(preset: preset, values: values, manifestPath: manifestPath, root: root, generator: generator)
            // What the campaign's own settings already said is not said again; the rest names the variant.
            for diagnostic in own.diagnostics where !context.diagnostics.contains(diagnostic) {
                var named = diagnostic
                named.message = "variant '\(entry.name)': " + diagnostic.message
                context.diagnostics.append(named)
            }
            context.variantSettings[entry.name] = own.settings
            guard let generator, let base, output != nil else { continue }
            output?.path = ResolvedVariant.outputPath(base.path, variant: entry.name)
            guard let output else { continue }
            variants.append(ResolvedVariant(
                name: entry.name, generator: generator, output: output, promptSet: varied.generate.prompt != nil, location: entry.location,
                settings: own.settings))
        }
        return variants
    }

    /// Diagnostics in the order of the manifest (stable, so that problems at one place keep their order).
    static func sortedByLocation(_ diagnostics: [Diagnostic]) -> [Diagnostic] {
        let start = SourceLocation(file: "", line: 0, column: 0)
        return diagnostics.enumerated().sorted { lhs, rhs in
            let left = lhs.element.location ?? start
            let right = rhs.element.location ?? start
            return left == right ? lhs.offset < rhs.offset : left < right
        }.map(\.element)
    }

    private func resolveAssets(_ manifest: Manifest, manifestPath: AbsolutePath, root: AbsolutePath, context: inout ResolutionContext) -> [ResolvedAsset] {
        let resolvedRoot = (try? fileSystem.resolvingSymlinks(root)) ?? root
        let expander = AssetExpander(fileSystem: fileSystem, manifestDirectory: manifestPath.parent, projectRoot: root, resolvedRoot: resolvedRoot)
        var assets: [ResolvedAsset] = []
        var seenIDs: [String: (location: SourceLocation, path: String)] = [:]
        var seenPaths: Set<AbsolutePath> = []
        for entry in manifest.assets {
            switch expander.expand(entry) {
            case .failure(let diagnostic):
                context.diagnostics.append(diagnostic)
                // Already reported: pairs naming this entry, and the selector's count, would only repeat it.
                switch entry.source {
                case .path(let text):
                    context.unavailableIDs.insert(entry.id ?? ManifestResolver.id(fromStem: AbsolutePath(text, relativeTo: manifestPath.parent).stem))
                case .glob:
                    context.assetsIncomplete = true
                }
            case .success(let paths):
                for path in paths {
                    if case .glob = entry.source, seenPaths.contains(path) { continue }
                    let id = entry.id ?? ManifestResolver.id(fromStem: path.stem)
                    let shown = path.relative(to: root)
                    if let previous = seenIDs[id] {
                        let fix: String
                        if case .glob = entry.source {
                            fix = "narrow the glob, or list one of the files with 'path' and an explicit 'id'"
                        } else {
                            fix = "give one of them an explicit 'id'"
                        }
                        context.diagnostics.append(.error(
                            "asset id '\(id)' is used twice: by \(previous.path) (at \(previous.location)) and by \(shown); \(fix)",
                            at: entry.location))
                        continue
                    }
                    seenIDs[id] = (entry.location, shown)
                    seenPaths.insert(path)
                    assets.append(ResolvedAsset(
                        id: id, path: path, projectRelativePath: shown, tags: entry.tags,
                        kind: MediaKind(fileExtension: path.fileExtension), location: entry.location))
                }
            }
        }
        return assets
    }

    /// An asset id from a file stem: characters outside `[A-Za-z0-9._-]` become `-`. A stem with
    /// other than ASCII is first transliterated (`ñandú` → `nandu`, `写真` → `xie-zhen`, runs of `-`
    /// collapsed); when nothing is left (`☕.jpg`), the id is `asset-` and 8 hex digits of the
    /// stem's bytes, stable and distinct per name. ASCII stems keep their ids exactly (they are in
    /// keys and lockfiles).
    static func id(fromStem stem: String) -> String {
        guard !stem.unicodeScalars.allSatisfy(\.isASCII) else { return asciiID(stem) ?? "asset" }
        var latin = stem
        for transform in [StringTransform.toLatin, .stripDiacritics, StringTransform("Latin-ASCII")] {
            latin = latin.applyingTransform(transform, reverse: false) ?? latin
        }
        var collapsed = ""
        for character in asciiMapped(latin) where !(character == "-" && collapsed.hasSuffix("-")) {
            collapsed.append(character)
        }
        while collapsed.hasSuffix("-") { collapsed.removeLast() }
        return asciiID(collapsed) ?? "asset-" + Digest.of(string: stem).hex.prefix(8)
    }

    private static func asciiMapped(_ text: String) -> String {
        String(text.unicodeScalars.map { scalar -> Character in
            let ok = CharacterSet.alphanumerics.contains(scalar) && scalar.isASCII || "._-".unicodeScalars.contains(scalar)
            return ok ? Character(scalar) : "-"
        })
    }

    /// The mapped text from its first letter or digit, at most 128 characters; `nil` when it has none.
    private static func asciiID(_ text: String) -> String? {
        let trimmed = asciiMapped(text).drop { !$0.isLetter && !$0.isNumber }
        return trimmed.isEmpty ? nil : String(trimmed.prefix(128))
    }
}

extension ResolutionContext {
    /// Caps that contradict each other (a clip allowed more than the whole campaign) are warnings:
    /// the smaller cap wins, which is probably not what was meant.
    mutating func checkCaps() {
        let budget = manifest.budget
        let caps: [(key: String, value: Double?, scope: String)] = [
            ("budget.clip_max_usd", budget.clipMaxUSD, "one clip"),
            ("budget.run_max_usd", budget.runMaxUSD, "one run"),
            ("budget.max_usd", budget.maxUSD, "the campaign"),
        ]
        for (index, narrow) in caps.enumerated() {
            guard let narrowValue = narrow.value else { continue }
            for wide in caps[(index + 1)...] {
                guard let wideValue = wide.value, narrowValue > wideValue else { continue }
                diagnostics.append(.warning(
                    "'\(narrow.key)' ($\(NumberText.decimal(narrowValue, places: 2))) allows more than '\(wide.key)' ($\(NumberText.decimal(wideValue, places: 2))), "
                        + "so \(narrow.scope) can never spend it: \(wide.scope)'s cap wins; lower '\(narrow.key)' or raise '\(wide.key)'",
                    at: location(narrow.key) ?? location("budget")))
                break
            }
        }
    }
}

/// Mutable state while resolving one manifest.
struct ResolutionContext {
    let manifest: Manifest
    let registry: ModelRegistry
    var diagnostics: [Diagnostic] = []
    var settings: [ResolvedSetting] = []
    /// Ids of `path` assets that failed (already reported).
    var unavailableIDs: Set<String> = []
    /// Whether a glob failed, so that any id might have come from it.
    var assetsIncomplete = false
    /// Each variant's resolved settings, by name.
    var variantSettings: [String: [ResolvedSetting]] = [:]

    init(manifest: Manifest, registry: ModelRegistry) {
        self.manifest = manifest
        self.registry = registry
    }

    func location(_ key: String) -> SourceLocation? {
        manifest.locations[key]
    }

    /// Records a setting; a later record of the same key (a snapped duration) replaces the earlier one.
    mutating func record(_ key: String, _ value: String, _ source: ValueSource) {
        let setting = ResolvedSetting(key: key, value: value, source: source)
        if let index = settings.firstIndex(where: { $0.key == key }) {
            settings[index] = setting
        } else {
            settings.append(setting)
        }
    }

    /// The manifest's value if set, else the preset's, recording which.
    mutating func pick<T>(_ key: String, _ explicit: T?, preset: QualityPreset, _ fallback: T, describe: (T) -> String) -> T {
        if let explicit {
            record(key, describe(explicit), .manifest)
            return explicit
        }
        record(key, describe(fallback), .preset(preset))
        return fallback
    }

    /// Warns about prices for models this campaign does not use (likely a typo).
    mutating func checkPrices(pairs: PairSource?) {
        var used: Set<String> = []
        if let model = settings.first(where: { $0.key == "generate.model" })?.value { used.insert(model) }
        for variant in variantSettings.values {
            if let model = variant.first(where: { $0.key == "generate.model" })?.value { used.insert(model) }
        }
        if case .selector(let selector)? = pairs, selector.kind == .openAICompatible { used.insert(selector.model) }
        for (name, override) in manifest.prices.sorted(by: { $0.key < $1.key }) where !used.contains(name) {
            let hint = DidYouMean.hint(for: name, among: Array(used) + Array(registry.models.keys))
            diagnostics.append(.warning("price for '\(name)' is not used by this campaign\(hint)", at: override.location))
        }
    }

    mutating func resolveGenerator(preset: QualityPreset, values: PresetValues, environment: [String: String]) -> GeneratorSettings? {
        let section = manifest.generate
        let kind: GeneratorKind
        if let explicit = section.generator {
            kind = explicit
            record("generate.generator", kind.rawValue, .manifest)
        } else if section.model != nil {
            kind = .replicate
            record("generate.generator", kind.rawValue, .manifest)
        } else {
            kind = values.generator
            record("generate.generator", kind.rawValue, .preset(preset))
        }
        var duration = pick("generate.duration", section.duration, preset: preset, values.duration) { format($0) + " s" }
        let fps = pick("output.fps", manifest.output.fps, preset: preset, values.fps) { String($0) }
        let outputResolution = pick("output.resolution", manifest.output.resolution, preset: preset, values.outputResolution) { $0.description }
        let fit = manifest.output.fit ?? .cover
        let crf = pick("output.crf", manifest.output.crf, preset: preset, values.crf) { String($0) }
        let encoderPreset = pick("output.encoder_preset", manifest.output.encoderPreset, preset: preset, values.encoderPreset) { $0 }
        var model: String?
        var spec: ModelSpec?
        var modelResolution: String?
        var audio = section.audio ?? values.audio
        var baseURL = section.baseURL ?? GeneratorSettings.defaultReplicateBaseURL
        if let override = environment["REPLICATE_BASE_URL"], !override.isEmpty {
            baseURL = override.hasSuffix("/v1") ? override : override.trimmingSuffix("/") + "/v1"
        }
        if kind == .replicate {
            let slug = section.model ?? values.model ?? "google/veo-3.1-fast"
            record("generate.model", slug, section.model != nil ? .manifest : values.model != nil ? .preset(preset) : .defaultValue)
            guard let found = registry.models[slug] else {
                let hint = DidYouMean.hint(for: slug, among: Array(registry.models.keys).sorted())
                let known = registry.models.keys.sorted().joined(separator: ", ")
                let message = registry.models.isEmpty && ModelRegistry.builtInProblem != nil
                    ? "cannot check model '\(slug)': \(ModelRegistry.builtInProblem ?? "")"
                    : "unknown model '\(slug)'\(hint) (known: \(known))"
                diagnostics.append(.error(message, at: location("generate.model") ?? location("quality")))
                return nil
            }
            model = slug
            spec = found
            let presetLabel = values.modelResolution.flatMap { found.resolutions.contains($0) ? $0 : nil }
            guard let label = section.resolution ?? presetLabel ?? found.resolutions.first else {
                diagnostics.append(.error(
                    "\(slug) lists no resolutions in the model registry; add them to its entry", at: location("generate.model") ?? location("quality")))
                return nil
            }
            if !found.resolutions.contains(label) {
                diagnostics.append(.error(
                    "\(slug) cannot generate \(label) with a first and last frame; use one of: \(found.resolutions.joined(separator: ", "))",
                    at: location("generate.resolution")))
                return nil
            }
            modelResolution = label
            record("generate.resolution", label, section.resolution != nil ? .manifest : presetLabel != nil ? .preset(preset) : .defaultValue)
            let snapped = found.snapDuration(duration, resolution: label)
            if Double(snapped) != duration {
                let allowed = found.allowedDurations(at: label).map(String.init).joined(separator: ", ")
                let factor = max(Double(snapped) / duration, duration / Double(snapped))
                if factor > 2, section.allowDurationSnap != true {
                    diagnostics.append(.error(
                        "duration \(format(duration)) s would become \(snapped) s, more than a factor of two: \(slug) at \(label) accepts \(allowed) s; "
                            + "ask for one of those, or set 'generate.allow_duration_snap: true' to accept \(snapped) s",
                        at: location("generate.duration") ?? location("generate.model") ?? location("quality")))
                    return nil
                }
                diagnostics.append(.warning(
                    "duration \(format(duration)) s snapped to \(snapped) s: \(slug) at \(label) accepts \(allowed) s",
                    at: location("generate.duration") ?? location("generate.model") ?? location("quality")))
                record("generate.duration", "\(snapped) s", .snapped(from: format(duration) + " s"))
                duration = Double(snapped)
            }
            if audio && !found.supportsAudio {
                if section.audio == true {
                    diagnostics.append(.warning("\(slug) does not generate audio; 'generate.audio' is ignored", at: location("generate.audio")))
                }
                audio = false
            }
            record("generate.audio", audio ? "on" : "off", section.audio == nil ? .preset(preset) : .manifest)
            if found.estimatedCost(duration: snapped, resolution: label, audio: audio) == nil {
                diagnostics.append(.error(
                    "no price is known for \(slug) at \(label)\(audio ? " with audio" : ""); add one under 'prices' so the budget can be enforced",
                    at: location("generate.model") ?? location("quality")))
                return nil
            }
        } else {
            if let resolutionKey = location("generate.resolution") {
                diagnostics.append(.warning(
                    "'generate.resolution' applies to Replicate models; the local animatic renders at output.resolution", at: resolutionKey))
            }
            audio = false
            if duration < 1 {
                diagnostics.append(.error("the local animatic needs clips of at least 1 s", at: location("generate.duration")))
                return nil
            }
        }
        if kind == .replicate {
            guard checkEndpoint(baseURL, key: "generate.base_url") else { return nil }
            record("generate.base_url", baseURL, section.baseURL == nil ? .defaultValue : .manifest)
        }
        let concurrency = section.concurrency ?? (kind == .local ? 2 : 4)
        record("generate.concurrency", String(concurrency), section.concurrency == nil ? .defaultValue : .manifest)
        let prompt = section.prompt ?? GeneratorSettings.defaultPrompt
        record("generate.prompt", prompt, section.prompt == nil ? .defaultValue : .manifest)
        if let seed = section.seed { record("generate.seed", String(seed), .manifest) }
        return GeneratorSettings(
            kind: kind, model: model, modelSpec: spec, duration: duration, modelResolution: modelResolution,
            clipResolution: outputResolution, fps: fps, fit: fit, prompt: prompt, negativePrompt: section.negativePrompt,
            seed: section.seed, audio: audio, concurrency: concurrency, options: section.options, baseURL: baseURL,
            crf: crf, encoderPreset: encoderPreset)
    }

    mutating func resolveOutput(
        preset: QualityPreset, values: PresetValues, manifestPath: AbsolutePath, root: AbsolutePath, generator: GeneratorSettings?
    ) -> OutputSettings? {
        let section = manifest.output
        let relative = section.path ?? "out/\(manifest.campaign.id).mp4"
        record("output.path", relative, section.path == nil ? .defaultValue : .manifest)
        if relative.hasPrefix("/") || relative.hasPrefix("~") {
            diagnostics.append(.error("'output.path' is absolute; write it relative to the manifest", at: location("output.path")))
            return nil
        }
        let path = AbsolutePath(relative, relativeTo: manifestPath.parent)
        guard path.isDescendant(ofOrEqualTo: root) else {
            diagnostics.append(.error("'output.path' leaves the project (\(root)); keep outputs inside it", at: location("output.path")))
            return nil
        }
        let transition = pick("output.transition", section.transition, preset: preset, values.transition) { transition in
            transition.isNone ? "none" : "\(transition.type) \(format(transition.duration)) s"
        }
        let audio: AudioMode = section.audio ?? ((generator?.audio ?? false) ? .keep : .strip)
        record("output.audio", audio.rawValue, section.audio == nil ? .preset(preset) : .manifest)
        guard let generator else { return nil }
        if !transition.isNone, transition.duration >= generator.duration {
            diagnostics.append(.error(
                "transition of \(format(transition.duration)) s is not shorter than the \(format(generator.duration)) s clips; shorten it",
                at: location("output.transition") ?? location("generate.duration")))
            return nil
        }
        return OutputSettings(
            path: path, resolution: generator.clipResolution, fps: generator.fps, fit: generator.fit, transition: transition,
            audio: audio, crf: generator.crf, encoderPreset: generator.encoderPreset)
    }

    mutating func resolvePairs(preset: QualityPreset, values: PresetValues, assets: [ResolvedAsset], environment: [String: String]) -> PairSource? {
        let section = manifest.select
        let images = assets.filter { $0.kind == .image }
        if let explicit = section.pairs {
            record("select.selector", "none (explicit pairs)", .manifest)
            return checkExplicitPairs(explicit, assets: assets)
        }
        var candidates = images
        if !section.tags.isEmpty {
            candidates = images.filter { !Set($0.tags).isDisjoint(with: section.tags) }
        }
        let assetsKey = location("assets") ?? location("select")
        // Too few candidates after an asset failed is that failure again, already reported.
        if assetsIncomplete || !unavailableIDs.isEmpty, candidates.count < 2 || (section.count ?? 0) > candidates.count * (candidates.count - 1) {
            return nil
        }
        guard candidates.count >= 2 else {
            let what = section.tags.isEmpty ? "images" : "images tagged \(section.tags.joined(separator: ", "))"
            diagnostics.append(.error("the selector needs at least two \(what); found \(candidates.count)", at: location("select.tags") ?? assetsKey))
            return nil
        }
        if let count = section.count, count > candidates.count * (candidates.count - 1) {
            let most = candidates.count * (candidates.count - 1)
            diagnostics.append(.error(
                "\(count) pairs asked for, but \(candidates.count) images make at most \(most) distinct pairs", at: location("select.count")))
            return nil
        }
        let kind = pick("select.selector", section.selector, preset: preset, values.selector) { $0.rawValue }
        if let count = section.count { record("select.count", String(count), .manifest) }
        var baseURL = section.baseURL ?? SelectorSettings.defaultBaseURL
        if let override = environment["REEL_SELECTOR_BASE_URL"], !override.isEmpty { baseURL = override }
        let model = section.model ?? SelectorSettings.defaultModel
        let keyVariable = section.apiKeyEnv ?? SelectorSettings.defaultAPIKeyEnv
        if kind == .openAICompatible {
            record("select.model", model, section.model == nil ? .defaultValue : .manifest)
            guard checkEndpoint(baseURL, key: "select.base_url") else { return nil }
            record("select.base_url", baseURL, section.baseURL == nil ? .defaultValue : .manifest)
            // A manifest must not be able to send an arbitrary secret (AWS keys…) to a host it names.
            guard keyVariable.hasSuffix("_API_KEY") || keyVariable.hasSuffix("_API_TOKEN") else {
                diagnostics.append(.error(
                    "'select.api_key_env' must name an API key variable ending in _API_KEY or _API_TOKEN, not '\(keyVariable)'",
                    at: location("select.api_key_env")))
                return nil
            }
            record("select.api_key_env", keyVariable, section.apiKeyEnv == nil ? .defaultValue : .manifest)
        }
        return .selector(SelectorSettings(
            kind: kind, count: section.count, candidates: candidates.map(\.id), model: model, baseURL: baseURL,
            apiKeyEnv: keyVariable, detail: section.detail ?? "high"))
    }

    /// Credentials travel only over https, or plain http to this machine (a local model server,
    /// or the tests' fakes).
    mutating func checkEndpoint(_ url: String, key: String) -> Bool {
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(), let host = parsed.host?.lowercased() else {
            diagnostics.append(.error("'\(key)' is not a URL: '\(url)'", at: location(key)))
            return false
        }
        if scheme == "https" || (scheme == "http" && ["127.0.0.1", "localhost", "::1", "[::1]"].contains(host)) { return true }
        diagnostics.append(.error(
            "'\(key)' is \(url): keys are sent only over https, or plain http to localhost", at: location(key)))
        return false
    }

    private mutating func checkExplicitPairs(_ entries: [PairEntry], assets: [ResolvedAsset]) -> PairSource? {
        let byID = Dictionary(assets.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var pairs: [AssetPair] = []
        var seen: Set<String> = []
        var failed = false
        for entry in entries {
            for id in entry.first == entry.last ? [entry.first] : [entry.first, entry.last] {
                guard let asset = byID[id] else {
                    failed = true
                    // An asset that failed to resolve has been reported already.
                    if unavailableIDs.contains(id) || assetsIncomplete { continue }
                    let hint = DidYouMean.hint(for: id, among: assets.map(\.id) + unavailableIDs.sorted())
                    diagnostics.append(.error("pair names asset '\(id)', which is not in 'assets'\(hint)", at: entry.location))
                    continue
                }
                if asset.kind != .image {
                    diagnostics.append(.error("pair names '\(id)', which is not an image (\(asset.projectRelativePath))", at: entry.location))
                    failed = true
                }
            }
            if entry.first == entry.last {
                diagnostics.append(.error("pair goes from '\(entry.first)' to itself; pick two different images", at: entry.location))
                failed = true
            }
            if !seen.insert("\(entry.first)\u{0}\(entry.last)").inserted {
                diagnostics.append(.error("pair '\(entry.first)' -> '\(entry.last)' is listed twice", at: entry.location))
                failed = true
            }
            pairs.append(AssetPair(first: entry.first, last: entry.last, prompt: entry.prompt))
        }
        return failed ? nil : .explicit(pairs)
    }
}

func format(_ value: Double) -> String {
    value == value.rounded() ? String(Int(value)) : String(format: "%g", value)
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}

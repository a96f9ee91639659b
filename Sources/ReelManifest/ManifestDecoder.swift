import Foundation
import ReelBasics
import Yams

/// Walks the composed tree section by section.
struct ManifestDecoder {
    let reader: YAMLNodeReader

    static let rootKeys = ["version", "campaign", "brand", "assets", "select", "generate", "output", "quality", "budget", "prices", "variants"]
    static let generateKeys = [
        "generator", "model", "duration", "resolution", "prompt", "negative_prompt", "seed", "audio", "concurrency",
        "options", "base_url", "allow_duration_snap",
    ]
    static let outputKeys = ["path", "resolution", "fps", "fit", "transition", "audio", "crf", "encoder_preset"]
    /// What a variant may override: the generation settings of a clip, and the combine's look.
    static let variantGenerateKeys = ["model", "duration", "resolution", "prompt", "negative_prompt", "seed", "audio", "options", "allow_duration_snap"]
    static let variantOutputKeys = ["transition", "resolution"]

    func decode(_ root: Node) -> Manifest? {
        guard let top = reader.mapping(root, path: "", known: ManifestDecoder.rootKeys, required: ["version", "campaign", "assets"]) else {
            return nil
        }
        let version = decodeVersion(top["version"])
        let campaign = top["campaign"].flatMap(decodeCampaign)
        let brand = top["brand"].map(decodeBrand) ?? Brand()
        let assets = top["assets"].flatMap(decodeAssets)
        let select = top["select"].map(decodeSelect) ?? SelectSection()
        let generate = top["generate"].map { decodeGenerate($0) } ?? GenerateSection()
        let output = top["output"].map { decodeOutput($0) } ?? OutputSection()
        let quality = top["quality"].flatMap {
            reader.choice($0, path: "quality", allowed: QualityPreset.allCases.map(\.rawValue)).flatMap(QualityPreset.init(rawValue:))
        }
        let budget = top["budget"].map(decodeBudget) ?? Budget()
        let prices = top["prices"].map(decodePrices) ?? [:]
        let variants = top["variants"].map(decodeVariants) ?? []
        guard let version, let campaign, let assets else { return nil }
        return Manifest(
            version: version, campaign: campaign, brand: brand, assets: assets, select: select, generate: generate,
            output: output, quality: quality, budget: budget, prices: prices, variants: variants, locations: reader.locations)
    }

    private func decodeVersion(_ node: Node?) -> Int? {
        guard let node else { return nil }
        guard let version = reader.int(node, path: "version", range: Int.min...Int.max) else { return nil }
        guard version == Manifest.highestSupportedVersion else {
            if version > Manifest.highestSupportedVersion {
                reader.error("unsupported manifest version \(version); this reel reads version \(Manifest.highestSupportedVersion) (upgrade reel)", at: node)
            } else {
                reader.error("unsupported manifest version \(version); the first version is 1", at: node)
            }
            return nil
        }
        return version
    }

    private func decodeCampaign(_ node: Node) -> Campaign? {
        let keys = ["id", "name", "goal", "audience", "product_url"]
        guard let map = reader.mapping(node, path: "campaign", known: keys, required: ["id"]) else { return nil }
        let id = map["id"].flatMap { patterned($0, path: "campaign.id", pattern: ManifestParser.campaignIDPattern,
            rule: "lowercase letters, digits, '-' and '_', starting with a letter or digit, at most 64 characters") }
        let url = map["product_url"].flatMap { httpURL($0, path: "campaign.product_url") }
        let name = reader.string(map["name"], path: "campaign.name")
        let goal = reader.string(map["goal"], path: "campaign.goal")
        let audience = reader.string(map["audience"], path: "campaign.audience")
        guard let id else { return nil }
        return Campaign(id: id, name: name, goal: goal, audience: audience, productURL: url)
    }

    private func decodeBrand(_ node: Node) -> Brand {
        let keys = ["name", "voice", "colors", "do", "avoid"]
        guard let map = reader.mapping(node, path: "brand", known: keys) else { return Brand() }
        let colors = reader.sequence(map["colors"], path: "brand.colors") { item, index in
            patterned(item, path: "brand.colors[\(index)]", pattern: "^#[0-9A-Fa-f]{6}$", rule: "a colour like \"#1A2B3C\"")
        }
        return Brand(
            name: reader.string(map["name"], path: "brand.name"), voice: reader.string(map["voice"], path: "brand.voice"),
            colors: colors ?? [], dos: reader.strings(map["do"], path: "brand.do") ?? [],
            avoid: reader.strings(map["avoid"], path: "brand.avoid") ?? [])
    }

    private func decodeAssets(_ node: Node) -> [AssetEntry]? {
        let entries = reader.sequence(node, path: "assets") { item, index in decodeAsset(item, index: index) }
        if let entries, entries.isEmpty {
            reader.error("'assets' is empty; list at least two images", at: node)
            return nil
        }
        return entries
    }

    private func decodeAsset(_ node: Node, index: Int) -> AssetEntry? {
        let path = "assets[\(index)]"
        if case .scalar = node {
            return reader.string(node, path: path).map { AssetEntry(source: .path($0), location: reader.location(node)) }
        }
        guard let map = reader.mapping(node, path: path, known: ["path", "glob", "id", "tags"]) else { return nil }
        let tags = reader.strings(map["tags"], path: "\(path).tags") ?? []
        let id = map["id"].flatMap { patterned($0, path: "\(path).id", pattern: ManifestParser.idPattern,
            rule: "letters, digits, '.', '-' and '_', starting with a letter or digit") }
        switch (map["path"], map["glob"]) {
        case (let file?, nil):
            guard let text = reader.string(file, path: "\(path).path") else { return nil }
            return AssetEntry(source: .path(text), id: id, tags: tags, location: reader.location(file))
        case (nil, let glob?):
            let text = reader.string(glob, path: "\(path).glob")
            if let idNode = map["id"] {
                reader.error("'\(path).id' cannot be used with 'glob': each matched file takes its name as its id", at: idNode)
                return nil
            }
            guard let text else { return nil }
            return AssetEntry(source: .glob(text), tags: tags, location: reader.location(glob))
        case (.some, .some):
            reader.error("'\(path)' has both 'path' and 'glob'; use one", at: node)
            return nil
        case (nil, nil):
            reader.error("'\(path)' needs 'path' (one file) or 'glob' (a pattern)", at: node)
            return nil
        }
    }

    private func decodeSelect(_ node: Node) -> SelectSection {
        let keys = ["selector", "count", "pairs", "tags", "model", "base_url", "api_key_env", "detail"]
        guard let map = reader.mapping(node, path: "select", known: keys) else { return SelectSection() }
        var section = SelectSection()
        section.selector = map["selector"].flatMap {
            reader.choice($0, path: "select.selector", allowed: SelectorKind.allCases.map(\.rawValue)).flatMap(SelectorKind.init(rawValue:))
        }
        section.count = map["count"].flatMap { reader.int($0, path: "select.count", range: 1...1000) }
        section.pairs = map["pairs"].flatMap { node in
            reader.sequence(node, path: "select.pairs") { item, index in decodePair(item, index: index) }
        }
        if let pairsNode = map["pairs"], section.pairs?.isEmpty == true {
            reader.error("'select.pairs' is empty; list pairs or remove the key to let the selector choose", at: pairsNode)
        }
        section.tags = reader.strings(map["tags"], path: "select.tags") ?? []
        section.model = reader.string(map["model"], path: "select.model")
        section.baseURL = map["base_url"].flatMap { httpURL($0, path: "select.base_url") }
        section.apiKeyEnv = map["api_key_env"].flatMap {
            patterned($0, path: "select.api_key_env", pattern: "^[A-Za-z_][A-Za-z0-9_]*$", rule: "an environment variable name such as XAI_API_KEY")
        }
        section.detail = map["detail"].flatMap { reader.choice($0, path: "select.detail", allowed: ["low", "high", "auto"]) }
        if map["pairs"] != nil, let countNode = map["count"] {
            reader.error("'select.count' cannot be used with 'select.pairs': the explicit pairs set the count", at: countNode)
        }
        if map["pairs"] != nil, let selectorNode = map["selector"] {
            reader.error("'select.selector' cannot be used with 'select.pairs': explicit pairs skip the selector", at: selectorNode)
        }
        return section
    }

    private func decodePair(_ node: Node, index: Int) -> PairEntry? {
        let path = "select.pairs[\(index)]"
        if case .sequence(let items) = node {
            guard items.count == 2 else {
                reader.error("'\(path)' must list exactly two asset ids, [first, last]", at: node)
                return nil
            }
            let first = reader.string(items[0], path: "\(path)[0]")
            let last = reader.string(items[1], path: "\(path)[1]")
            guard let first, let last else { return nil }
            return PairEntry(first: first, last: last, location: reader.location(node))
        }
        if case .scalar = node {
            reader.error("'\(path)' must be a pair such as [first, last] or {first: …, last: …}, not \(reader.describe(node))", at: node)
            return nil
        }
        guard let map = reader.mapping(node, path: path, known: ["first", "last", "prompt"], required: ["first", "last"]) else {
            return nil
        }
        let first = reader.string(map["first"], path: "\(path).first")
        let last = reader.string(map["last"], path: "\(path).last")
        let prompt = reader.string(map["prompt"], path: "\(path).prompt")
        guard let first, let last else { return nil }
        return PairEntry(first: first, last: last, prompt: prompt, location: reader.location(node))
    }

    private func decodeGenerate(_ node: Node, path: String = "generate", keys: [String] = ManifestDecoder.generateKeys) -> GenerateSection {
        guard let map = reader.mapping(node, path: path, known: keys) else { return GenerateSection() }
        var section = GenerateSection()
        section.generator = map["generator"].flatMap {
            reader.choice($0, path: "\(path).generator", allowed: GeneratorKind.allCases.map(\.rawValue)).flatMap(GeneratorKind.init(rawValue:))
        }
        section.model = map["model"].flatMap {
            patterned($0, path: "\(path).model", pattern: "^[a-z0-9][a-z0-9._-]*/[a-z0-9][a-z0-9._-]*$", rule: "a Replicate model such as google/veo-3.1-fast")
        }
        section.duration = map["duration"].flatMap { reader.number($0, path: "\(path).duration", above: 0, upTo: 60) }
        section.resolution = map["resolution"].flatMap {
            patterned($0, path: "\(path).resolution", pattern: "^[0-9]{3,4}p$", rule: "a resolution label such as 720p")
        }
        section.prompt = reader.string(map["prompt"], path: "\(path).prompt")
        section.negativePrompt = reader.string(map["negative_prompt"], path: "\(path).negative_prompt")
        section.seed = map["seed"].flatMap { reader.int($0, path: "\(path).seed", range: 0...4_294_967_295) }
        section.audio = map["audio"].flatMap { reader.bool($0, path: "\(path).audio") }
        section.concurrency = map["concurrency"].flatMap { reader.int($0, path: "\(path).concurrency", range: 1...64) }
        if let optionsNode = map["options"] {
            if case .mapping = optionsNode {
                if case .object(let members)? = reader.canonical(optionsNode, path: "\(path).options") { section.options = members }
            } else {
                reader.error("'\(path).options' must be a mapping of model inputs, not \(reader.describe(optionsNode))", at: optionsNode)
            }
        }
        section.baseURL = map["base_url"].flatMap { httpURL($0, path: "\(path).base_url") }
        section.allowDurationSnap = map["allow_duration_snap"].flatMap { reader.bool($0, path: "\(path).allow_duration_snap") }
        if section.generator == .local, let modelNode = map["model"] {
            reader.error("'\(path).model' names a Replicate model, but '\(path).generator' is local; remove one", at: modelNode)
        }
        return section
    }

    private func decodeOutput(_ node: Node, path: String = "output", keys: [String] = ManifestDecoder.outputKeys) -> OutputSection {
        guard let map = reader.mapping(node, path: path, known: keys) else { return OutputSection() }
        var section = OutputSection()
        section.path = map["path"].flatMap { outputPath($0) }
        section.resolution = map["resolution"].flatMap { decodeResolution($0, path: "\(path).resolution") }
        section.fps = map["fps"].flatMap { reader.int($0, path: "\(path).fps", range: 1...120) }
        section.fit = map["fit"].flatMap { reader.choice($0, path: "\(path).fit", allowed: Fit.allCases.map(\.rawValue)).flatMap(Fit.init(rawValue:)) }
        section.transition = map["transition"].flatMap { decodeTransition($0, path: "\(path).transition") }
        section.audio = map["audio"].flatMap {
            reader.choice($0, path: "\(path).audio", allowed: AudioMode.allCases.map(\.rawValue)).flatMap(AudioMode.init(rawValue:))
        }
        section.crf = map["crf"].flatMap { reader.int($0, path: "\(path).crf", range: 0...51) }
        section.encoderPreset = map["encoder_preset"].flatMap {
            reader.choice($0, path: "\(path).encoder_preset", allowed: OutputSection.encoderPresets)
        }
        return section
    }

    private func outputPath(_ node: Node) -> String? {
        guard let text = reader.string(node, path: "output.path") else { return nil }
        guard text.lowercased().hasSuffix(".mp4") else {
            reader.error("'output.path' must end in .mp4 (the output is H.264/AAC MP4)", at: node)
            return nil
        }
        return text
    }

    private func decodeResolution(_ node: Node, path: String) -> Resolution? {
        guard let text = reader.string(node, path: path) else { return nil }
        guard let resolution = Resolution(parsing: text) else {
            reader.error("'\(path)' must be WIDTHxHEIGHT such as \"1280x720\", or a label such as 720p, not '\(text)'", at: node)
            return nil
        }
        guard (16...7680).contains(resolution.width), (16...4320).contains(resolution.height),
            resolution.width % 2 == 0, resolution.height % 2 == 0
        else {
            reader.error("'\(path)' \(text) is not usable: width 16–7680 and height 16–4320, both even", at: node)
            return nil
        }
        return resolution
    }

    private func decodeTransition(_ node: Node, path: String) -> Transition? {
        let names = ["none"] + Transition.xfadeNames
        if case .scalar = node {
            guard let type = reader.choice(node, path: "\(path)", allowed: names) else { return nil }
            return type == "none" ? Transition.none : Transition(type: type, duration: 0.5)
        }
        guard let map = reader.mapping(node, path: "\(path)", known: ["type", "duration"], required: ["type"]) else { return nil }
        let type = map["type"].flatMap { reader.choice($0, path: "\(path).type", allowed: names) }
        let duration = map["duration"].flatMap { reader.number($0, path: "\(path).duration", above: 0, upTo: 10) }
        guard let type else { return nil }
        if map["duration"] != nil, duration == nil { return nil }
        return type == "none" ? Transition.none : Transition(type: type, duration: duration ?? 0.5)
    }

    /// `variants:`, a mapping of names to overrides of `generate` and `output`.
    private func decodeVariants(_ node: Node) -> [VariantEntry] {
        guard reader.visit(node) else { return [] }
        guard case .mapping(let mapping) = node else {
            reader.error("'variants' must be a mapping of variant names to overrides (e.g. 'fast: {generate: {model: …}}'), not \(reader.describe(node))", at: node)
            return []
        }
        if mapping.count == 0 {
            reader.error("'variants' is empty; name at least one variant, or remove the key", at: node)
            return []
        }
        var variants: [VariantEntry] = []
        var seen: [String: SourceLocation] = [:]
        for (keyNode, value) in mapping {
            guard let name = patterned(keyNode, path: "variants", pattern: ManifestParser.campaignIDPattern,
                rule: "a variant name of lowercase letters, digits, '-' and '_', starting with a letter or digit, at most 64 characters")
            else { continue }
            let path = "variants.\(name)"
            if let first = seen[name] {
                reader.error("variant '\(name)' is defined twice (first at \(first)); give each variant its own name", at: keyNode)
                continue
            }
            seen[name] = reader.location(keyNode)
            guard let map = reader.mapping(value, path: path, known: ["generate", "output"]) else { continue }
            let generate = map["generate"].map { decodeGenerate($0, path: "\(path).generate", keys: ManifestDecoder.variantGenerateKeys) } ?? GenerateSection()
            let output = map["output"].map { decodeOutput($0, path: "\(path).output", keys: ManifestDecoder.variantOutputKeys) } ?? OutputSection()
            let entry = VariantEntry(name: name, generate: generate, output: output, location: reader.location(keyNode))
            // Nothing written under it (a key that failed to decode is its own error, not "nothing").
            var writesNothing = true
            if case .mapping(let written) = value {
                for (key, section) in written {
                    guard case .scalar(let scalar) = key, ["generate", "output"].contains(scalar.string), case .mapping(let inner) = section,
                        inner.count == 0
                    else {
                        writesNothing = false
                        break
                    }
                }
            }
            if writesNothing {
                reader.error(
                    "variant '\(name)' overrides nothing; set at least one of generate.\(ManifestDecoder.variantGenerateKeys.joined(separator: ", generate.")), "
                        + "output.transition or output.resolution", at: keyNode)
                continue
            }
            variants.append(entry)
        }
        return variants
    }

    private func decodeBudget(_ node: Node) -> Budget {
        guard let map = reader.mapping(node, path: "budget", known: ["max_usd", "run_max_usd", "clip_max_usd"]) else { return Budget() }
        func amount(_ key: String) -> Double? {
            map[key].flatMap { reader.number($0, path: "budget.\(key)", above: 0, inclusive: true, upTo: 1_000_000) }
        }
        return Budget(maxUSD: amount("max_usd"), runMaxUSD: amount("run_max_usd"), clipMaxUSD: amount("clip_max_usd"))
    }

    private func decodePrices(_ node: Node) -> [String: PriceOverride] {
        guard reader.visit(node) else { return [:] }
        guard case .mapping(let mapping) = node else {
            reader.error("'prices' must be a mapping of model names to prices, not \(reader.describe(node))", at: node)
            return [:]
        }
        var prices: [String: PriceOverride] = [:]
        for (keyNode, value) in mapping {
            guard let model = reader.string(keyNode, path: "prices") else { continue }
            let path = "prices.\(model)"
            let known = ["usd_per_second", "usd_per_run", "usd_per_million_input", "usd_per_million_output"]
            guard let map = reader.mapping(value, path: path, known: known) else { continue }
            if map.isEmpty {
                reader.error("'\(path)' sets no price; give usd_per_second, usd_per_run or usd_per_million_input/_output", at: value)
                continue
            }
            func amount(_ key: String) -> Double? {
                map[key].flatMap { reader.number($0, path: "\(path).\(key)", above: 0, inclusive: true, upTo: 10_000) }
            }
            var override = PriceOverride(
                usdPerRun: amount("usd_per_run"), usdPerMillionInput: amount("usd_per_million_input"),
                usdPerMillionOutput: amount("usd_per_million_output"), location: reader.location(keyNode))
            if let perSecond = map["usd_per_second"] {
                if case .mapping(let byResolution) = perSecond {
                    for (labelNode, rateNode) in byResolution {
                        guard let label = patterned(labelNode, path: "\(path).usd_per_second", pattern: "^[0-9]{3,4}p$", rule: "a resolution label such as 720p"),
                            let rate = reader.number(rateNode, path: "\(path).usd_per_second.\(label)", above: 0, inclusive: true, upTo: 10_000)
                        else { continue }
                        override.usdPerSecondByResolution[label] = rate
                    }
                } else {
                    override.usdPerSecond = reader.number(perSecond, path: "\(path).usd_per_second", above: 0, inclusive: true, upTo: 10_000)
                }
                if let runNode = map["usd_per_run"] {
                    reader.error("'\(path)' has both usd_per_second and usd_per_run; a model is priced one way", at: runNode)
                }
            }
            prices[model] = override
        }
        return prices
    }

    // MARK: Helpers

    private func patterned(_ node: Node, path: String, pattern: String, rule: String) -> String? {
        guard let text = reader.string(node, path: path) else { return nil }
        // The match must cover the whole text: ICU's `$` also matches before a final line break.
        guard let match = text.range(of: pattern, options: .regularExpression), match == text.startIndex..<text.endIndex else {
            reader.error("'\(path)' cannot be '\(text)': use \(rule)", at: node)
            return nil
        }
        return text
    }

    private func httpURL(_ node: Node, path: String) -> String? {
        patterned(node, path: path, pattern: "^https?://[^\\s/]+[^\\s]*$", rule: "an http:// or https:// URL")
    }
}

extension String {
    /// The string with leading zeros up to `width` characters.
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

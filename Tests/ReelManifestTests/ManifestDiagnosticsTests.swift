import Foundation
import ReelBasics
import ReelManifest
import ReelTestSupport
import Testing

/// Manifest text with location markers (`1️⃣` … `9️⃣`) in it, as swift-format's tests write them:
/// the markers are removed, and each one's `line:col` is where the character after it lands
/// (1-based, columns counted in Unicode scalars as libyaml counts them).
struct MarkedText {
    /// The text without its markers.
    let text: String
    private let positions: [Int: (line: Int, column: Int)]

    init(_ marked: String) {
        var scalars = Array(marked.unicodeScalars)
        var output = String.UnicodeScalarView()
        var positions: [Int: (line: Int, column: Int)] = [:]
        var line = 1
        var column = 1
        var index = 0
        scalars.append(" ")  // a sentinel so that the look-ahead below never runs off the end
        while index < scalars.count - 1 {
            let scalar = scalars[index]
            if ("1"..."9").contains(scalar), index + 2 < scalars.count,
                scalars[index + 1] == "\u{FE0F}", scalars[index + 2] == "\u{20E3}"
            {
                positions[Int(scalar.value) - 48] = (line, column)
                index += 3
                continue
            }
            output.append(scalar)
            if scalar == "\n" {
                line += 1
                column = 1
            } else {
                column += 1
            }
            index += 1
        }
        self.text = String(output)
        self.positions = positions
    }

    /// `file:line:col` of marker `number`.
    func location(_ number: Int, file: String = "m.yaml") -> String {
        guard let position = positions[number] else { return "\(file):<no marker \(number)>" }
        return "\(file):\(position.line):\(position.column)"
    }

    /// The expected `file:line:col: error: message` line at marker `number`.
    func error(_ number: Int, _ message: String, file: String = "m.yaml") -> String {
        "\(location(number, file: file)): error: \(message)"
    }

    /// The expected warning line at marker `number`.
    func warning(_ number: Int, _ message: String, file: String = "m.yaml") -> String {
        "\(location(number, file: file)): warning: \(message)"
    }
}

/// One mistake in a manifest and the single error it must produce, at marker 1️⃣.
struct DiagnosticCase: Sendable, CustomTestStringConvertible {
    let name: String
    let yaml: String
    let message: String

    init(_ name: String, _ yaml: String, _ message: String) {
        self.name = name
        self.yaml = yaml
        self.message = message
    }

    var testDescription: String { name }
}

/// The base of most cases: a valid manifest that further sections are appended to.
private let base = """
    version: 1
    campaign: {id: demo}
    assets: [a.jpg, b.jpg]

    """

private let cases: [DiagnosticCase] = [
    // Unknown keys, with and without a suggestion.
    DiagnosticCase("unknown top-level key", base + "1️⃣qualty: draft\n",
        "unknown key 'qualty' at the top level; did you mean 'quality'?"),
    DiagnosticCase("unknown top-level key without a close match", base + "1️⃣flavour: vanilla\n",
        "unknown key 'flavour' at the top level"),
    DiagnosticCase("unknown key in campaign", "version: 1\ncampaign: {id: demo, 1️⃣goel: win}\nassets: [a.jpg]\n",
        "unknown key 'goel' in 'campaign'; did you mean 'goal'?"),
    DiagnosticCase("unknown key in generate", base + "generate:\n  1️⃣durration: 4\n",
        "unknown key 'durration' in 'generate'; did you mean 'duration'?"),
    DiagnosticCase("unknown key in a transition", base + "output:\n  transition: {type: fade, 1️⃣durtion: 1}\n",
        "unknown key 'durtion' in 'output.transition'; did you mean 'duration'?"),
    DiagnosticCase("unknown key in budget", base + "budget: {1️⃣max_usb: 10}\n",
        "unknown key 'max_usb' in 'budget'; did you mean 'max_usd'?"),
    DiagnosticCase("unknown key in an asset", base.replacingOccurrences(of: "[a.jpg, b.jpg]", with: "[a.jpg, {path: b.jpg, 1️⃣tag: [x]}]"),
        "unknown key 'tag' in 'assets[1]'; did you mean 'tags'?"),
    DiagnosticCase("key that is not a plain name", base + "1️⃣[a, b]: 1\n",
        "keys at the top level must be plain names, not a list"),

    // The document itself.
    DiagnosticCase("manifest that is a list", "1️⃣- version: 1\n- campaign: x\n",
        "the manifest must be a mapping of keys to values, not a list"),
    DiagnosticCase("manifest that is a string", "1️⃣hello\n",
        "the manifest must be a mapping of keys to values, not the string \"hello\""),
    DiagnosticCase("empty manifest", "1️⃣", "manifest is empty; it needs at least 'version: 1', 'campaign' and 'assets'"),
    DiagnosticCase("manifest of comments only", "1️⃣# nothing yet\n   # still nothing\n",
        "manifest is empty; it needs at least 'version: 1', 'campaign' and 'assets'"),
    DiagnosticCase("missing version, after comments", "# spring\n\n1️⃣campaign: {id: demo}\nassets: [a.jpg]\n",
        "the manifest is missing the required key 'version'"),

    // version
    DiagnosticCase("version as a string", "version: 1️⃣\"1\"\ncampaign: {id: demo}\nassets: [a.jpg]\n",
        "'version' must be a whole number, not the string \"1\""),
    DiagnosticCase("version as a decimal", "version: 1️⃣1.0\ncampaign: {id: demo}\nassets: [a.jpg]\n",
        "'version' must be a whole number, not the number 1.0"),
    DiagnosticCase("future version", "version: 1️⃣2\ncampaign: {id: demo}\nassets: [a.jpg]\n",
        "unsupported manifest version 2; this reel reads version 1 (upgrade reel)"),
    DiagnosticCase("version zero", "version: 1️⃣0\ncampaign: {id: demo}\nassets: [a.jpg]\n",
        "unsupported manifest version 0; the first version is 1"),

    // campaign
    DiagnosticCase("campaign as a string", "version: 1\ncampaign: 1️⃣demo\nassets: [a.jpg]\n",
        "'campaign' must be a mapping of keys to values, not the string \"demo\""),
    DiagnosticCase("campaign without an id", "version: 1\ncampaign: 1️⃣{name: Spring}\nassets: [a.jpg]\n",
        "'campaign' is missing the required key 'id'"),
    DiagnosticCase("campaign id with spaces", "version: 1\ncampaign: {id: 1️⃣Spring Sale}\nassets: [a.jpg]\n",
        "'campaign.id' cannot be 'Spring Sale': use lowercase letters, digits, '-' and '_', starting with a letter or digit, at most 64 characters"),
    DiagnosticCase("campaign name left empty", "version: 1\ncampaign: {id: demo, name: 1️⃣}\nassets: [a.jpg]\n",
        "'campaign.name' must be a string, not an empty value; write one or remove the key"),
    DiagnosticCase("campaign name that YAML reads as a boolean", "version: 1\ncampaign: {id: demo, name: 1️⃣no}\nassets: [a.jpg]\n",
        "'campaign.name' must be a string, not the boolean no; put it in quotes: \"no\""),
    DiagnosticCase("campaign goal that YAML reads as a date", "version: 1\ncampaign: {id: demo, goal: 1️⃣2024-05-01}\nassets: [a.jpg]\n",
        "'campaign.goal' must be a string, not the date 2024-05-01; put it in quotes: \"2024-05-01\""),
    DiagnosticCase("product URL that is not http", "version: 1\ncampaign: {id: demo, product_url: 1️⃣ftp://example.com}\nassets: [a.jpg]\n",
        "'campaign.product_url' cannot be 'ftp://example.com': use an http:// or https:// URL"),

    // brand
    DiagnosticCase("colour name instead of hex", base + "brand: {colors: [1️⃣red]}\n",
        "'brand.colors[0]' cannot be 'red': use a colour like \"#1A2B3C\""),
    DiagnosticCase("brand.do as a string", base + "brand: {do: 1️⃣be bold}\n",
        "'brand.do' must be a list, not the string \"be bold\""),
    DiagnosticCase("nested list in brand.avoid", base + "brand: {avoid: [clutter, 1️⃣[nested]]}\n",
        "'brand.avoid[1]' must be a string, not a list"),

    // assets
    DiagnosticCase("empty assets", "version: 1\ncampaign: {id: demo}\nassets: 1️⃣[]\n",
        "'assets' is empty; list at least two images"),
    DiagnosticCase("assets as a string", "version: 1\ncampaign: {id: demo}\nassets: 1️⃣a.jpg\n",
        "'assets' must be a list, not the string \"a.jpg\""),
    DiagnosticCase("assets left empty", "version: 1\ncampaign: {id: demo}\nassets:1️⃣\n",
        "'assets' must be a list, not an empty value"),
    DiagnosticCase("asset with path and glob", "version: 1\ncampaign: {id: demo}\nassets:\n  - 1️⃣{path: a.jpg, glob: \"*.jpg\"}\n",
        "'assets[0]' has both 'path' and 'glob'; use one"),
    DiagnosticCase("asset with neither path nor glob", "version: 1\ncampaign: {id: demo}\nassets:\n  - a.jpg\n  - 1️⃣id: hero\n    tags: [x]\n",
        "'assets[1]' needs 'path' (one file) or 'glob' (a pattern)"),
    DiagnosticCase("glob with an id", "version: 1\ncampaign: {id: demo}\nassets:\n  - glob: \"*.jpg\"\n    id: 1️⃣hero\n",
        "'assets[0].id' cannot be used with 'glob': each matched file takes its name as its id"),
    DiagnosticCase("asset id with a leading dash", "version: 1\ncampaign: {id: demo}\nassets:\n  - a.jpg\n  - {path: b.jpg, id: 1️⃣-b}\n",
        "'assets[1].id' cannot be '-b': use letters, digits, '.', '-' and '_', starting with a letter or digit"),
    DiagnosticCase("asset path YAML reads as a number", "version: 1\ncampaign: {id: demo}\nassets: [a.jpg, 1️⃣42]\n",
        "'assets[1]' must be a string, not the number 42; put it in quotes: \"42\""),
    DiagnosticCase("asset tags as a string", "version: 1\ncampaign: {id: demo}\nassets: [a.jpg, {path: b.jpg, tags: 1️⃣hero}]\n",
        "'assets[1].tags' must be a list, not the string \"hero\""),

    // select
    DiagnosticCase("zero pairs", base + "select: {count: 1️⃣0}\n", "'select.count' must be between 1 and 1000, not 0"),
    DiagnosticCase("count in words", base + "select: {count: 1️⃣two}\n", "'select.count' must be a whole number, not the string \"two\""),
    DiagnosticCase("count in hexadecimal", base + "select: {count: 1️⃣0x10}\n",
        "'select.count' must be a whole number written in decimal digits, not 0x10"),
    DiagnosticCase("count with a digit separator", base + "select: {count: 1️⃣1_0}\n",
        "'select.count' must be a whole number written in decimal digits, not 1_0"),
    DiagnosticCase("misspelt selector", base + "select: {selector: 1️⃣lcoal}\n",
        "'select.selector' cannot be 'lcoal'; did you mean 'local'?"),
    DiagnosticCase("unknown selector", base + "select: {selector: 1️⃣gpt}\n",
        "'select.selector' cannot be 'gpt' (one of: local, openai-compatible)"),
    DiagnosticCase("unknown detail", base + "select: {detail: 1️⃣medium}\n",
        "'select.detail' cannot be 'medium' (one of: low, high, auto)"),
    DiagnosticCase("base URL without a scheme", base + "select: {base_url: 1️⃣api.x.ai}\n",
        "'select.base_url' cannot be 'api.x.ai': use an http:// or https:// URL"),
    DiagnosticCase("API key variable with a dash", base + "select: {api_key_env: 1️⃣my-key}\n",
        "'select.api_key_env' cannot be 'my-key': use an environment variable name such as XAI_API_KEY"),
    DiagnosticCase("empty pairs", base + "select: {pairs: 1️⃣[]}\n",
        "'select.pairs' is empty; list pairs or remove the key to let the selector choose"),
    DiagnosticCase("pairs as a string", base + "select: {pairs: 1️⃣a}\n", "'select.pairs' must be a list, not the string \"a\""),
    DiagnosticCase("pair of three", base + "select: {pairs: [1️⃣[a, b, c]]}\n",
        "'select.pairs[0]' must list exactly two asset ids, [first, last]"),
    DiagnosticCase("pair that is a string", base + "select: {pairs: [1️⃣a-b]}\n",
        "'select.pairs[0]' must be a pair such as [first, last] or {first: …, last: …}, not the string \"a-b\""),
    DiagnosticCase("pair id YAML reads as a number", base + "select: {pairs: [[a, 1️⃣7]]}\n",
        "'select.pairs[0][1]' must be a string, not the number 7; put it in quotes: \"7\""),
    DiagnosticCase("pair mapping without last", base + "select:\n  pairs:\n    - 1️⃣first: a\n      prompt: zoom\n",
        "'select.pairs[0]' is missing the required key 'last'"),
    DiagnosticCase("count with explicit pairs", base + "select: {pairs: [[a, b]], count: 1️⃣1}\n",
        "'select.count' cannot be used with 'select.pairs': the explicit pairs set the count"),
    DiagnosticCase("selector with explicit pairs", base + "select: {pairs: [[a, b]], selector: 1️⃣local}\n",
        "'select.selector' cannot be used with 'select.pairs': explicit pairs skip the selector"),

    // generate
    DiagnosticCase("misspelt generator", base + "generate: {generator: 1️⃣replicat}\n",
        "'generate.generator' cannot be 'replicat'; did you mean 'replicate'?"),
    DiagnosticCase("model without an owner", base + "generate: {model: 1️⃣veo}\n",
        "'generate.model' cannot be 'veo': use a Replicate model such as google/veo-3.1-fast"),
    DiagnosticCase("model with the local generator", base + "generate: {generator: local, model: 1️⃣google/veo-3.1}\n",
        "'generate.model' names a Replicate model, but 'generate.generator' is local; remove one"),
    DiagnosticCase("zero duration", base + "generate: {duration: 1️⃣0}\n", "'generate.duration' must be more than 0 and at most 60, not 0"),
    DiagnosticCase("duration over a minute", base + "generate: {duration: 1️⃣61}\n", "'generate.duration' must be more than 0 and at most 60, not 61"),
    DiagnosticCase("negative duration", base + "generate:\n  duration: 1️⃣-2.5\n", "'generate.duration' must be more than 0 and at most 60, not -2.5"),
    DiagnosticCase("duration in words", base + "generate: {duration: 1️⃣four}\n", "'generate.duration' must be a number, not the string \"four\""),
    DiagnosticCase("infinite duration", base + "generate: {duration: 1️⃣.inf}\n",
        "'generate.duration' must be a plain decimal number such as 4 or 2.5, not .inf"),
    DiagnosticCase("duration as minutes:seconds", base + "generate: {duration: 1️⃣1:30}\n",
        "'generate.duration' must be a plain decimal number such as 4 or 2.5, not 1:30"),
    DiagnosticCase("resolution YAML reads as a number", base + "generate: {resolution: 1️⃣720}\n",
        "'generate.resolution' must be a string, not the number 720; put it in quotes: \"720\""),
    DiagnosticCase("resolution that is not a label", base + "generate: {resolution: 1️⃣hd}\n",
        "'generate.resolution' cannot be 'hd': use a resolution label such as 720p"),
    DiagnosticCase("negative seed", base + "generate: {seed: 1️⃣-1}\n", "'generate.seed' must be between 0 and 4294967295, not -1"),
    DiagnosticCase("seed too large for any integer", base + "generate: {seed: 1️⃣99999999999999999999}\n",
        "'generate.seed' must be between 0 and 4294967295, not 99999999999999999999"),
    DiagnosticCase("audio that is not a boolean", base + "generate: {audio: 1️⃣maybe}\n",
        "'generate.audio' must be true or false, not the string \"maybe\""),
    DiagnosticCase("concurrency too high", base + "generate: {concurrency: 1️⃣100}\n", "'generate.concurrency' must be between 1 and 64, not 100"),
    DiagnosticCase("options as a list", base + "generate: {options: 1️⃣[a]}\n", "'generate.options' must be a mapping of model inputs, not a list"),
    DiagnosticCase("blank prompt", base + "generate: {prompt: 1️⃣\"  \"}\n", "'generate.prompt' must not be empty"),

    // output
    DiagnosticCase("output that is not MP4", base + "output: {path: 1️⃣out/video.mov}\n",
        "'output.path' must end in .mp4 (the output is H.264/AAC MP4)"),
    DiagnosticCase("resolution that cannot be read", base + "output: {resolution: 1️⃣1280by720}\n",
        "'output.resolution' must be WIDTHxHEIGHT such as \"1280x720\", or a label such as 720p, not '1280by720'"),
    DiagnosticCase("odd resolution", base + "output: {resolution: 1️⃣1281x720}\n",
        "'output.resolution' 1281x720 is not usable: width 16–7680 and height 16–4320, both even"),
    DiagnosticCase("zero fps", base + "output: {fps: 1️⃣0}\n", "'output.fps' must be between 1 and 120, not 0"),
    DiagnosticCase("unknown fit", base + "output: {fit: 1️⃣stretch}\n", "'output.fit' cannot be 'stretch' (one of: cover, contain)"),
    DiagnosticCase("misspelt transition", base + "output: {transition: 1️⃣fdae}\n", "'output.transition' cannot be 'fdae'; did you mean 'fade'?"),
    DiagnosticCase("unknown transition", base + "output: {transition: 1️⃣sparkles}\n",
        "'output.transition' cannot be 'sparkles' (one of: \((["none"] + Transition.xfadeNames).joined(separator: ", ")))"),
    DiagnosticCase("transition without a type", base + "output: {transition: 1️⃣{duration: 1}}\n",
        "'output.transition' is missing the required key 'type'"),
    DiagnosticCase("transition too long", base + "output: {transition: {type: fade, duration: 1️⃣11}}\n",
        "'output.transition.duration' must be more than 0 and at most 10, not 11"),
    DiagnosticCase("unknown audio mode", base + "output: {audio: 1️⃣mute}\n", "'output.audio' cannot be 'mute' (one of: keep, strip)"),
    DiagnosticCase("crf out of range", base + "output: {crf: 1️⃣52}\n", "'output.crf' must be between 0 and 51, not 52"),
    DiagnosticCase("misspelt encoder preset", base + "output: {encoder_preset: 1️⃣medum}\n",
        "'output.encoder_preset' cannot be 'medum'; did you mean 'medium'?"),

    // variants (issue 14)
    DiagnosticCase("misspelt key in a variant", base + "variants:\n  fast:\n    generate: {1️⃣modle: google/veo-3.1-fast}\n",
        "unknown key 'modle' in 'variants.fast.generate'; did you mean 'model'?"),
    DiagnosticCase("a setting variants cannot change", base + "variants:\n  fast:\n    generate: {1️⃣concurrency: 2}\n",
        "unknown key 'concurrency' in 'variants.fast.generate'"),
    DiagnosticCase("unknown section in a variant", base + "variants:\n  fast:\n    1️⃣ouptut: {transition: none}\n",
        "unknown key 'ouptut' in 'variants.fast'; did you mean 'output'?"),
    DiagnosticCase("a variant that overrides nothing", base + "variants:\n  1️⃣same: {generate: {}}\n",
        "variant 'same' overrides nothing; set at least one of generate.model, generate.duration, generate.resolution, generate.prompt, "
            + "generate.negative_prompt, generate.seed, generate.audio, generate.options, generate.allow_duration_snap, output.transition or output.resolution"),
    DiagnosticCase("a variant name that is not an id", base + "variants:\n  1️⃣Fast!: {generate: {seed: 1}}\n",
        "'variants' cannot be 'Fast!': use a variant name of lowercase letters, digits, '-' and '_', starting with a letter or digit, at most 64 characters"),
    DiagnosticCase("a variant named twice", base + "variants:\n  1️⃣fast: {generate: {seed: 1}}\n  fast: {generate: {seed: 2}}\n",
        "duplicate key 'fast'"),
    DiagnosticCase("a variant's bad value", base + "variants:\n  fast: {generate: {duration: 1️⃣-4}}\n",
        "'variants.fast.generate.duration' must be more than 0 and at most 60, not -4"),
    DiagnosticCase("variants as a list", base + "variants: 1️⃣[fast]\n",
        "'variants' must be a mapping of variant names to overrides (e.g. 'fast: {generate: {model: …}}'), not a list"),

    // quality and budget
    DiagnosticCase("misspelt quality", base + "quality: 1️⃣premum\n", "'quality' cannot be 'premum'; did you mean 'premium'?"),
    DiagnosticCase("unknown quality", base + "quality: 1️⃣deluxe\n", "'quality' cannot be 'deluxe' (one of: draft, economy, balanced, premium)"),
    DiagnosticCase("negative budget", base + "budget: {max_usd: 1️⃣-1}\n", "'budget.max_usd' must be at least 0 and at most 1000000, not -1"),
    DiagnosticCase("budget in words", base + "budget: {run_max_usd: 1️⃣ten}\n", "'budget.run_max_usd' must be a number, not the string \"ten\""),
    DiagnosticCase("budget as a number", base + "budget: 1️⃣100\n", "'budget' must be a mapping of keys to values, not the number 100"),

    // YAML itself
    DiagnosticCase("unclosed flow mapping", "version: 1\ncampaign: {id: demo\nassets1️⃣: [a.jpg]\n",
        "invalid YAML: while parsing a flow mapping did not find expected ',' or '}'"),
    DiagnosticCase("tab indentation", "version: 1\n1️⃣\tcampaign: {id: demo}\n",
        "invalid YAML: while scanning a plain scalar found a tab character that violates indentation"),
    // Located where the quote opens, not at the end of the file (issue 10, item 11).
    DiagnosticCase("unterminated quote", "version: 1\ncampaign: {id: 1️⃣\"demo}\nassets: [a.jpg]\n",
        "invalid YAML: this quote is never closed (found unexpected end of stream at line 4); add the closing quote"),
    DiagnosticCase("undefined alias", "version: 1️⃣*one\ncampaign: {id: demo}\nassets: [a.jpg]\n", "invalid YAML: found undefined alias"),
    DiagnosticCase("second document", base + "1️⃣---\nversion: 1\n",
        "invalid YAML: expected a single document in the stream but found another document"),
    DiagnosticCase("duplicate key", "1️⃣version: 1\ncampaign: {id: demo}\nversion: 1\nassets: [a.jpg]\n", "duplicate key 'version'"),
    DiagnosticCase("duplicate key that YAML tells apart by its tag", base + "1️⃣!x version: 1\n",
        "duplicate key 'version' at the top level"),
]

@Suite struct ManifestDiagnosticsTests {
    func diagnostics(_ text: String, file: String = "m.yaml") -> [String] {
        ManifestParser.parse(text: text, file: file).diagnostics.map(\.description)
    }

    @Test(arguments: cases)
    func reportsOneLocatedError(_ example: DiagnosticCase) {
        let marked = MarkedText(example.yaml)
        let outcome = ManifestParser.parse(text: marked.text, file: "m.yaml")
        #expect(outcome.manifest == nil)
        #expect(outcome.diagnostics.map(\.description) == [marked.error(1, example.message)])
    }

    @Test func theBaseOfTheCasesIsValid() {
        #expect(diagnostics(base) == [])
    }

    @Test func markersGiveLineAndColumn() {
        let marked = MarkedText("ab1️⃣c\n2️⃣d\n  x: \"日本😀\" 3️⃣y\n")
        #expect(marked.text == "abc\nd\n  x: \"日本😀\" y\n")
        #expect(marked.location(1) == "m.yaml:1:3")
        #expect(marked.location(2) == "m.yaml:2:1")
        #expect(marked.location(3) == "m.yaml:3:12")
    }

    @Test func columnsCountCharactersNotBytes() {
        let marked = MarkedText("version: 1\ncampaign: {id: demo, name: \"Café 日本 😀\", goal: 1️⃣7}\nassets: [a.jpg]\n")
        #expect(diagnostics(marked.text) == [marked.error(1, "'campaign.goal' must be a string, not the number 7; put it in quotes: \"7\"")])
    }

    @Test func reportsEveryErrorSortedByLocation() {
        // Written so that the order of the sections differs from the order they are checked in.
        let marked = MarkedText("""
            quality: 1️⃣deluxe
            budget: {max_usd: 2️⃣-5}
            output:
              fps: 3️⃣0
              4️⃣trasition: fade
            generate:
              duration: 5️⃣-3
              seed: 6️⃣"7"
            version: 1
            campaign: {id: 7️⃣Demo!, 8️⃣nmae: X}
            assets: [a.jpg, 9️⃣{path: b.jpg, glob: "*.jpg"}]
            """)
        #expect(diagnostics(marked.text) == [
            marked.error(1, "'quality' cannot be 'deluxe' (one of: draft, economy, balanced, premium)"),
            marked.error(2, "'budget.max_usd' must be at least 0 and at most 1000000, not -5"),
            marked.error(3, "'output.fps' must be between 1 and 120, not 0"),
            marked.error(4, "unknown key 'trasition' in 'output'; did you mean 'transition'?"),
            marked.error(5, "'generate.duration' must be more than 0 and at most 60, not -3"),
            marked.error(6, "'generate.seed' must be a whole number, not the string \"7\""),
            marked.error(7, "'campaign.id' cannot be 'Demo!': use lowercase letters, digits, '-' and '_', starting with a letter or digit, at most 64 characters"),
            marked.error(8, "unknown key 'nmae' in 'campaign'; did you mean 'name'?"),
            marked.error(9, "'assets[1]' has both 'path' and 'glob'; use one"),
        ])
    }

    @Test func sortsErrorsOnOneLineByColumn() {
        let marked = MarkedText(base + "generate: {concurrency: 1️⃣0, seed: 2️⃣-1, duration: 3️⃣0}\n")
        #expect(diagnostics(marked.text) == [
            marked.error(1, "'generate.concurrency' must be between 1 and 64, not 0"),
            marked.error(2, "'generate.seed' must be between 0 and 4294967295, not -1"),
            marked.error(3, "'generate.duration' must be more than 0 and at most 60, not 0"),
        ])
    }

    @Test func reportsEveryMissingRequiredKey() {
        let marked = MarkedText("# nothing useful\n1️⃣brand: {name: Acme}\n")
        #expect(diagnostics(marked.text) == [
            marked.error(1, "the manifest is missing the required key 'version'"),
            marked.error(1, "the manifest is missing the required key 'campaign'"),
            marked.error(1, "the manifest is missing the required key 'assets'"),
        ])
    }

    @Test func reportsEveryFieldEvenWhenAnEarlierOneIsWrong() {
        let marked = MarkedText("""
            version: 1
            campaign: {id: 1️⃣Bad Id, name: 2️⃣[x], audience: 3️⃣7}
            assets:
              - {glob: 4️⃣[x], id: 5️⃣y}
              - b.jpg
            select:
              pairs: [[6️⃣1, 7️⃣2]]
            output:
              transition: {type: 8️⃣sparkle, duration: 9️⃣0}
            """)
        #expect(diagnostics(marked.text) == [
            marked.error(1, "'campaign.id' cannot be 'Bad Id': use lowercase letters, digits, '-' and '_', starting with a letter or digit, at most 64 characters"),
            marked.error(2, "'campaign.name' must be a string, not a list"),
            marked.error(3, "'campaign.audience' must be a string, not the number 7; put it in quotes: \"7\""),
            marked.error(4, "'assets[0].glob' must be a string, not a list"),
            marked.error(5, "'assets[0].id' cannot be used with 'glob': each matched file takes its name as its id"),
            marked.error(6, "'select.pairs[0][0]' must be a string, not the number 1; put it in quotes: \"1\""),
            marked.error(7, "'select.pairs[0][1]' must be a string, not the number 2; put it in quotes: \"2\""),
            marked.error(8, "'output.transition.type' cannot be 'sparkle' (one of: \((["none"] + Transition.xfadeNames).joined(separator: ", ")))"),
            marked.error(9, "'output.transition.duration' must be more than 0 and at most 10, not 0"),
        ])
    }

    @Test func errorsAtTheEndOfAFileWithoutALineBreakStayInsideIt() {
        let marked = MarkedText(base + "quality1️⃣")
        #expect(diagnostics(marked.text) == [marked.error(1, "invalid YAML: while scanning a simple key could not find expected ':'")])
        let crlf = MarkedText("version: 1\r\ncampaign: {id: demo}\r\nassets: [a.jpg]\r\nquality1️⃣")
        #expect(diagnostics(crlf.text) == [crlf.error(1, "invalid YAML: while scanning a simple key could not find expected ':'")])
    }

    @Test func reportsAnUnknownKeyAndTheMissingKeyItWasMeantToBe() {
        let marked = MarkedText(base + "select:\n  pairs:\n    - 1️⃣{first: a, 2️⃣lsat: b}\n")
        #expect(diagnostics(marked.text) == [
            marked.error(1, "'select.pairs[0]' is missing the required key 'last'"),
            marked.error(2, "unknown key 'lsat' in 'select.pairs[0]'; did you mean 'last'?"),
        ])
    }

    @Test func reportsErrorsInEveryListItem() {
        let marked = MarkedText("""
            version: 1
            campaign: {id: demo}
            assets:
              - 1️⃣7
              - {path: b.jpg, id: 2️⃣"-b"}
              - 3️⃣{tags: [x]}
            brand:
              colors: [4️⃣red, "#00FF00", 5️⃣"#0F0"]
            """)
        #expect(diagnostics(marked.text) == [
            marked.error(1, "'assets[0]' must be a string, not the number 7; put it in quotes: \"7\""),
            marked.error(2, "'assets[1].id' cannot be '-b': use letters, digits, '.', '-' and '_', starting with a letter or digit"),
            marked.error(3, "'assets[2]' needs 'path' (one file) or 'glob' (a pattern)"),
            marked.error(4, "'brand.colors[0]' cannot be 'red': use a colour like \"#1A2B3C\""),
            marked.error(5, "'brand.colors[2]' cannot be '#0F0': use a colour like \"#1A2B3C\""),
        ])
    }

    @Test func usesTheFileNameItIsGiven() {
        let marked = MarkedText(base + "1️⃣qualty: draft\n")
        let found = ManifestParser.parse(text: marked.text, file: "campaigns/spring/reel.yaml").diagnostics.map(\.description)
        #expect(found == [marked.error(1, "unknown key 'qualty' at the top level; did you mean 'quality'?", file: "campaigns/spring/reel.yaml")])
    }

    @Test func acceptsAValidManifestWithEverySection() throws {
        let yaml = """
            version: 1
            campaign:
              id: spring-2025
              name: Spring launch
              goal: "Sell: more"
              audience: runners
              product_url: https://example.com/shoe
            brand:
              name: Acme
              voice: calm
              colors: ["#1A2B3C", "#ffffff"]
              do: [show the product]
              avoid: [text]
            assets:
              - path: photos/hero.jpg
                id: hero
                tags: [hero]
              - glob: "photos/**/*.png"
                tags: [detail]
              - photos/extra.jpg
            select:
              count: 3
              tags: [hero, detail]
              selector: openai-compatible
              model: grok-4.3
              base_url: https://api.x.ai/v1
              api_key_env: XAI_API_KEY
              detail: low
            generate:
              model: google/veo-3.1-fast
              duration: 6
              resolution: 1080p
              prompt: slow dolly in
              negative_prompt: blur
              seed: 42
              audio: false
              concurrency: 3
              options: {aspect_ratio: "16:9", extra: [1, 2.5, true, null]}
            output:
              path: out/spring.mp4
              resolution: 1920x1080
              fps: 30
              fit: contain
              transition: {type: wipeleft, duration: 0.75}
              audio: strip
              crf: 20
              encoder_preset: slow
            quality: balanced
            budget: {max_usd: 50, run_max_usd: 20.5, clip_max_usd: 0}
            """
        let outcome = ManifestParser.parse(text: yaml, file: "m.yaml")
        #expect(outcome.diagnostics == [])
        let manifest = try #require(outcome.manifest)
        #expect(manifest.campaign == Campaign(
            id: "spring-2025", name: "Spring launch", goal: "Sell: more", audience: "runners", productURL: "https://example.com/shoe"))
        #expect(manifest.brand == Brand(name: "Acme", voice: "calm", colors: ["#1A2B3C", "#ffffff"], dos: ["show the product"], avoid: ["text"]))
        #expect(manifest.assets.map(\.source) == [.path("photos/hero.jpg"), .glob("photos/**/*.png"), .path("photos/extra.jpg")])
        #expect(manifest.assets.map(\.id) == ["hero", nil, nil])
        #expect(manifest.assets.map(\.tags) == [["hero"], ["detail"], []])
        #expect(manifest.assets.map(\.location.line) == [15, 18, 20])
        #expect(manifest.select == SelectSection(
            selector: .openAICompatible, count: 3, pairs: nil, tags: ["hero", "detail"], model: "grok-4.3",
            baseURL: "https://api.x.ai/v1", apiKeyEnv: "XAI_API_KEY", detail: "low"))
        #expect(manifest.generate.model == "google/veo-3.1-fast")
        #expect(manifest.generate.duration == 6)
        #expect(manifest.generate.resolution == "1080p")
        #expect(manifest.generate.seed == 42)
        #expect(manifest.generate.audio == false)
        #expect(manifest.generate.concurrency == 3)
        #expect(manifest.generate.options == [
            "aspect_ratio": "16:9", "extra": .array([1, .decimal(2.5), true, .null]),
        ])
        #expect(manifest.output == OutputSection(
            path: "out/spring.mp4", resolution: Resolution(width: 1920, height: 1080), fps: 30, fit: .contain,
            transition: Transition(type: "wipeleft", duration: 0.75), audio: .strip, crf: 20, encoderPreset: "slow"))
        #expect(manifest.quality == .balanced)
        #expect(manifest.budget == Budget(maxUSD: 50, runMaxUSD: 20.5, clipMaxUSD: 0))
        #expect(manifest.locations["generate.duration"] == SourceLocation(file: "m.yaml", line: 31, column: 3))
        #expect(manifest.locations["output.transition"] == SourceLocation(file: "m.yaml", line: 44, column: 3))
    }

    @Test func readsPairsInBothForms() throws {
        let marked = MarkedText(base + "select:\n  pairs:\n    - 1️⃣[a, b]\n    - 2️⃣first: b\n      last: a\n      prompt: pull back\n")
        let manifest = try #require(ManifestParser.parse(text: marked.text, file: "m.yaml").manifest)
        let pairs = try #require(manifest.select.pairs)
        #expect(pairs.map { "\($0.first)>\($0.last):\($0.prompt ?? "-")@\($0.location)" } == [
            "a>b:-@\(marked.location(1))", "b>a:pull back@\(marked.location(2))",
        ])
    }

    @Test func transitionShorthands() throws {
        func transition(_ text: String) throws -> Transition? {
            try #require(ManifestParser.parse(text: base + "output: {transition: \(text)}\n", file: "m.yaml").manifest).output.transition
        }
        #expect(try transition("none") == Transition.none)
        #expect(try transition("dissolve") == Transition(type: "dissolve", duration: 0.5))
        #expect(try transition("{type: fade}") == Transition(type: "fade", duration: 0.5))
        #expect(try transition("{type: none, duration: 2}") == Transition.none)
        #expect(try transition("{type: fade, duration: 1.25}") == Transition(type: "fade", duration: 1.25))
    }

    @Test func resolutionLabelsAndSizes() throws {
        func resolution(_ text: String) throws -> Resolution? {
            try #require(ManifestParser.parse(text: base + "output: {resolution: \(text)}\n", file: "m.yaml").manifest).output.resolution
        }
        #expect(try resolution("720p") == Resolution(width: 1280, height: 720))
        #expect(try resolution("1080P") == Resolution(width: 1920, height: 1080))
        #expect(try resolution("768p") == Resolution(width: 1366, height: 768))
        #expect(try resolution("1080x1920") == Resolution(width: 1080, height: 1920))
    }

    @Test func loaderReportsResolutionErrorsSortedAfterParsing() throws {
        let fileSystem = InMemoryFileSystem()
        fileSystem.addFile("/project/.git/HEAD", "ref: main")
        for name in ["a.jpg", "b.jpg"] { fileSystem.addFile("/project/\(name)", name) }
        let marked = MarkedText("""
            version: 1
            campaign: {id: demo}
            assets:
              - 1️⃣missing.jpg
              - a.jpg
              - b.jpg
            select:
              pairs:
                - 2️⃣[a, bb]
            generate:
              3️⃣model: google/veo-31
            """)
        fileSystem.addFile("/project/reel.yaml", marked.text)
        let path = try #require(AbsolutePath("/project/reel.yaml"))
        let (campaign, found) = ManifestLoader(fileSystem: fileSystem).load(path, displayPath: "reel.yaml")
        #expect(campaign == nil)
        let known = ModelRegistry.builtIn.models.keys.sorted().joined(separator: ", ")
        #expect(found.map(\.description) == [
            marked.error(1, "asset 'missing.jpg' does not exist (looked for missing.jpg in the project)", file: "reel.yaml"),
            marked.error(2, "pair names asset 'bb', which is not in 'assets'; did you mean 'b'?", file: "reel.yaml"),
            marked.error(3, "unknown model 'google/veo-31'; did you mean 'google/veo-3.1'? (known: \(known))", file: "reel.yaml"),
        ])
    }

    @Test func loaderStopsAfterParseErrors() throws {
        let fileSystem = InMemoryFileSystem()
        let marked = MarkedText("version: 1\ncampaign: {id: demo}\nassets: [nothing.jpg, b.jpg]\n1️⃣qualty: draft\n")
        fileSystem.addFile("/p/reel.yaml", marked.text)
        let path = try #require(AbsolutePath("/p/reel.yaml"))
        let (campaign, found) = ManifestLoader(fileSystem: fileSystem).load(path, displayPath: "p/reel.yaml")
        #expect(campaign == nil)
        // Only the parse error: the missing asset is not looked for until the manifest parses.
        #expect(found.map(\.description) == [marked.error(1, "unknown key 'qualty' at the top level; did you mean 'quality'?", file: "p/reel.yaml")])
    }

    @Test func loaderExplainsAFolderOrAMissingFile() throws {
        let fileSystem = InMemoryFileSystem()
        fileSystem.addFile("/p/campaigns/reel.yaml", base)
        let folder = try #require(AbsolutePath("/p/campaigns"))
        let loader = ManifestLoader(fileSystem: fileSystem)
        #expect(loader.load(folder, displayPath: "campaigns").diagnostics.map(\.description) == [
            "error: 'campaigns' is a directory; name the manifest file (e.g. campaigns/reel.yaml)",
        ])
        let missing = try #require(AbsolutePath("/p/nope.yaml"))
        let found = loader.load(missing, displayPath: "nope.yaml").diagnostics
        #expect(found.count == 1)
        #expect(found.first?.severity == .error)
        #expect(found.first?.message.hasPrefix("cannot read manifest 'nope.yaml': ") == true)
    }
}

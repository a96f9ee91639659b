import Foundation
import ReelBasics
import ReelManifest
import ReelTestSupport
import Testing

/// SplitMix64: a small seeded generator, so that every run fuzzes exactly the same inputs
/// (written out rather than `Int.random(in:using:)`, whose use of the generator may change).
struct SeededGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        self.state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in `0..<bound`.
    mutating func below(_ bound: Int) -> Int {
        Int(next() % UInt64(max(bound, 1)))
    }

    mutating func pick<T>(_ items: [T]) -> T {
        items[below(items.count)]
    }

    /// True with probability `percent` / 100.
    mutating func chance(_ percent: Int) -> Bool {
        below(100) < percent
    }
}

/// What must hold for any input: a manifest exactly when there are no errors, and every
/// diagnostic located inside the text and printed as `m.yaml:line:col: severity: message`.
/// When the manifest parses, resolution over a small project must hold to the same rules.
@discardableResult
func expectWellBehaved(_ bytes: [UInt8], _ label: @autoclosure () -> String, project: InMemoryFileSystem? = nil) -> ManifestParser.Outcome {
    let outcome = ManifestParser.parse(bytes: bytes, file: "m.yaml")
    let hasErrors = outcome.diagnostics.contains { $0.severity == .error }
    #expect(hasErrors == (outcome.manifest == nil), "\(label())")
    // libyaml counts \n, \r (alone), NEL, LS and PS as line breaks.
    let text = String(decoding: bytes, as: UTF8.self)
    let lines = text.unicodeScalars.reduce(1) { count, scalar in
        ["\n", "\r", "\u{85}", "\u{2028}", "\u{2029}"].contains(scalar) ? count + 1 : count
    }
    expectLocated(outcome.diagnostics, lines: lines, label())
    if let manifest = outcome.manifest, let project, let path = AbsolutePath("/project/reel.yaml") {
        let (campaign, diagnostics) = ManifestResolver(fileSystem: project).resolve(manifest, at: path)
        #expect(diagnostics.contains { $0.severity == .error } == (campaign == nil), "\(label())")
        expectLocated(diagnostics, lines: lines, label())
    }
    return outcome
}

private func expectLocated(_ diagnostics: [Diagnostic], lines: Int, _ label: @autoclosure () -> String) {
    for diagnostic in diagnostics {
        guard let location = diagnostic.location else {
            Issue.record("diagnostic without a location: \(diagnostic) for \(label())")
            continue
        }
        #expect(location.file == "m.yaml")
        #expect((1...lines).contains(location.line), "line \(location.line) of \(lines): \(diagnostic) for \(label())")
        #expect(location.column >= 1, "\(diagnostic) for \(label())")
        #expect(diagnostic.description.hasPrefix("m.yaml:\(location.line):\(location.column): \(diagnostic.severity.rawValue): "))
        #expect(!diagnostic.message.isEmpty)
    }
}

/// A readable form of fuzz input for failure messages.
func escaped(_ bytes: [UInt8]) -> String {
    String(decoding: bytes, as: UTF8.self).debugDescription
}

/// Counts how often the file system is asked to list a folder (the work a glob does).
final class CountingFileSystem: FileSystem {
    let base: InMemoryFileSystem
    private let counter = Counter()

    init(_ base: InMemoryFileSystem) {
        self.base = base
    }

    var listings: Int { counter.value }

    func info(_ path: AbsolutePath) -> FileInfo? { base.info(path) }
    func infoFollowingSymlinks(_ path: AbsolutePath) -> FileInfo? { base.infoFollowingSymlinks(path) }
    func read(_ path: AbsolutePath) throws -> Data { try base.read(path) }
    func writeAtomically(_ data: Data, to path: AbsolutePath, durable: Bool) throws { try base.writeAtomically(data, to: path, durable: durable) }
    func createDirectory(_ path: AbsolutePath) throws { try base.createDirectory(path) }
    func list(_ path: AbsolutePath) throws -> [String] {
        counter.increment()
        return try base.list(path)
    }
    func resolvingSymlinks(_ path: AbsolutePath) throws -> AbsolutePath { try base.resolvingSymlinks(path) }
    func remove(_ path: AbsolutePath) throws { try base.remove(path) }
    func rename(_ source: AbsolutePath, to destination: AbsolutePath) throws { try base.rename(source, to: destination) }
    func linkOrCopy(_ source: AbsolutePath, to destination: AbsolutePath) throws { try base.linkOrCopy(source, to: destination) }
    func hash(_ path: AbsolutePath) throws -> (digest: Digest, size: Int64) { try base.hash(path) }
    func makeReadOnly(_ path: AbsolutePath) throws { try base.makeReadOnly(path) }

    private final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var count = 0
        var value: Int { lock.withLock { count } }
        func increment() { lock.withLock { count += 1 } }
    }
}

private let head = "version: 1\ncampaign: {id: demo}\nassets: [a.jpg, b.jpg]\n"

/// `text` as UTF-16 little endian, without a byte order mark.
private func utf16LittleEndian(_ text: String) -> [UInt8] {
    text.utf16.flatMap { unit -> [UInt8] in [UInt8(unit & 0xFF), UInt8(unit >> 8)] }
}

private let binaryFiles: [(String, [UInt8])] = [
    ("PNG", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52]),
    ("JPEG", [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 0x4A, 0x46, 0x49, 0x46]),
    ("UTF-16 with a byte order mark", [0xFF, 0xFE] + utf16LittleEndian("version: 1\n")),
    ("Latin-1", Array("version: 1\ncampaign: {id: demo, name: Caf".utf8) + [0xE9] + Array("}\n".utf8)),
]

/// `l1` is ten strings; each further level is ten aliases of the one before (10^9 values in all).
private func billionLaughs(levels: Int = 9) -> String {
    var lines = ["lols:", "  l1: &l1 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in 2...levels {
        lines.append("  l\(level): &l\(level) [" + Array(repeating: "*l\(level - 1)", count: 10).joined(separator: ", ") + "]")
    }
    return lines.joined(separator: "\n") + "\n"
}

@Suite struct HostileInputTests {
    func parse(_ text: String) -> ManifestParser.Outcome {
        expectWellBehaved(Array(text.utf8), text.count < 200 ? text.debugDescription : "\(text.prefix(200).debugDescription)…")
    }

    func descriptions(_ text: String) -> [String] {
        parse(text).diagnostics.map(\.description)
    }

    // MARK: Aliases

    static let aliasLimit = "aliases expand the manifest to more than 100000 values; write the values out instead"

    @Test func billionLaughsIsStoppedWhereTheAliasesAddUp() {
        // l2 adds 110 values, l3 1,110, l4 11,110 (12,330 so far); each alias in l5 adds 11,111,
        // so the 8th passes 100,000.
        let bomb = billionLaughs().replacingOccurrences(
            of: "  l5: &l5 [*l4, *l4, *l4, *l4, *l4, *l4, *l4, *l4,", with: "  l5: &l5 [*l4, *l4, *l4, *l4, *l4, *l4, *l4, 1️⃣*l4,")
        let marked = MarkedText(head + bomb + "generate:\n  options: {x: *l9}\n")
        #expect(descriptions(marked.text) == [marked.error(1, Self.aliasLimit)])
    }

    @Test(arguments: [
        ("assets", head.replacingOccurrences(of: "assets: [a.jpg, b.jpg]\n", with: "") + billionLaughs() + "assets: *l9\n"),
        ("model options", head + billionLaughs() + "generate:\n  options: {frames: *l9}\n"),
        ("brand colours", head + billionLaughs() + "brand: {colors: *l9}\n"),
        ("a mapping key", head + billionLaughs() + "? *l9\n: boom\n"),
        ("a flow pair key", head + billionLaughs() + "select: {pairs: [*l9 : x]}\n"),
        ("a merge key", head + billionLaughs() + "campaign2: {<<: *l9}\n"),
        ("a document of aliases", "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\ng: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\nh: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\ni: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]\n? *i\n: 1\n"),
    ])
    func aliasBombsAreOneErrorWherever(_ place: String, _ text: String) {
        // One diagnostic, from the check before the tree is composed: nothing was expanded or hashed.
        let found = parse(text).diagnostics
        #expect(found.map(\.message) == [Self.aliasLimit], "bomb in \(place)")
    }

    @Test func manyAliasesOfAMediumValueAddUpToo() {
        let anchor = "big: &big [" + Array(repeating: "x", count: 999).joined(separator: ", ") + "]\n"
        let uses = (0..<150).map { "u\($0): *big" }.joined(separator: "\n")
        #expect(parse(head + anchor + uses + "\n").diagnostics.map(\.message) == [Self.aliasLimit])
    }

    @Test func ordinaryAliasesStillWork() throws {
        let outcome = parse("""
            version: 1
            campaign: {id: demo}
            assets:
              - {path: a.jpg, tags: &hero [hero, launch]}
              - {path: b.jpg, tags: *hero}
            select: {tags: *hero}
            """)
        let manifest = try #require(outcome.manifest)
        #expect(manifest.assets.map(\.tags) == [["hero", "launch"], ["hero", "launch"]])
        #expect(manifest.select.tags == ["hero", "launch"])
    }

    @Test func aliasCyclesAndUndefinedAliases() {
        let cycle = MarkedText(head + "brand: &b {avoid: [1️⃣*b]}\n")
        #expect(descriptions(cycle.text) == [cycle.error(1, "invalid YAML: found undefined alias")])
        let later = MarkedText(head + "brand: {avoid: [1️⃣*later]}\nx: &later [y]\n")
        #expect(descriptions(later.text) == [later.error(1, "invalid YAML: found undefined alias")])
    }

    // MARK: Size

    @Test func fiveMebibytesAreRejectedBySizeAlone() {
        let size = 5 << 20
        let expected = ["m.yaml:1:1: error: manifest is \(size) bytes; the limit is 4194304 bytes"]
        // Whatever the content (valid, nested, binary), the size is the only thing looked at.
        let valid = Array((head + "# " + String(repeating: "x", count: size)).utf8.prefix(size))
        let nested = [UInt8](repeating: UInt8(ascii: "["), count: size)
        var binary = [UInt8](repeating: 0, count: size)
        var random = SeededGenerator(seed: 5)
        for index in binary.indices where index % 7 != 0 { binary[index] = UInt8(truncatingIfNeeded: random.next()) }
        for bytes in [valid, nested, binary] {
            #expect(ManifestParser.parse(bytes: bytes, file: "m.yaml").diagnostics.map(\.description) == expected)
        }
    }

    @Test func theLimitItselfIsAccepted() throws {
        let limit = 4 << 20
        let text = head + "# " + String(repeating: "x", count: limit - head.utf8.count - 3) + "\n"
        #expect(text.utf8.count == limit)
        #expect(parse(text).manifest != nil)
        let over = ManifestParser.parse(text: text + "\n", file: "m.yaml").diagnostics.map(\.description)
        #expect(over == ["m.yaml:1:1: error: manifest is \(limit + 1) bytes; the limit is \(limit) bytes"])
    }

    @Test func hugeValuesAndKeys() throws {
        let name = String(repeating: "n", count: 3 << 20)
        let manifest = try #require(parse("version: 1\ncampaign: {id: demo, name: \"\(name)\"}\nassets: [a.jpg]\n").manifest)
        #expect(manifest.campaign.name?.count == name.count)
        // A 3 MiB misspelt key: one error, and no suggestion (nothing is that close).
        let key = String(repeating: "versio", count: 1 << 19)
        #expect(parse(head + "? \(key)\n: 1\n").diagnostics.map(\.message) == ["unknown key '\(key)' at the top level"])
    }

    @Test func veryLongListsStopAtTheValueLimit() {
        let items = String(repeating: "  - 1\n", count: 150_000)
        let found = parse(head + "brand:\n  avoid:\n" + items).diagnostics
        // Each item is an error until the limit, then one error says why reading stopped.
        #expect(found.count <= 100_002)
        #expect(found.count > 99_000)
        #expect(found.filter { $0.message.hasPrefix("manifest has more than 100000 values") }.count == 1)
    }

    // MARK: Nesting

    @Test func deepFlowNestingIsRejectedAtTheLevelTooDeep() {
        #expect(descriptions(String(repeating: "[", count: 900)) == ["m.yaml:1:65: error: collections are nested more than 64 levels deep"])
        // A thousand or more on one line stop libyaml's scanner first (it reads a line ahead):
        // the same error, at the collection where the nesting starts.
        #expect(descriptions(String(repeating: "[", count: 100_000)) == ["m.yaml:1:1: error: collections are nested more than 64 levels deep"])
        #expect(descriptions(head + "brand: {avoid: " + String(repeating: "[", count: 4_000)) == [
            "m.yaml:4:17: error: collections are nested more than 64 levels deep",
        ])
        #expect(descriptions(String(repeating: "{a: ", count: 1_000)) == ["m.yaml:1:257: error: collections are nested more than 64 levels deep"])
        #expect(descriptions(String(repeating: "[{a: ", count: 1_000)) == ["m.yaml:1:161: error: collections are nested more than 64 levels deep"])
    }

    @Test func deepBlockNestingIsRejectedAtTheLevelTooDeep() {
        let mappings = (0..<300).map { String(repeating: " ", count: $0) + "a:" }.joined(separator: "\n")
        #expect(descriptions(mappings) == ["m.yaml:65:65: error: collections are nested more than 64 levels deep"])
        let sequences = String(repeating: "- ", count: 300) + "x\n"
        #expect(descriptions(sequences) == ["m.yaml:1:129: error: collections are nested more than 64 levels deep"])
        let keys = String(repeating: "? ", count: 300) + "x\n"
        #expect(descriptions(keys) == ["m.yaml:1:129: error: collections are nested more than 64 levels deep"])
    }

    @Test func sixtyFourLevelsAreFine() {
        // The top-level mapping, brand and avoid make three levels; 62 lists inside avoid make 64.
        let fits = head + "brand: {avoid: " + String(repeating: "[", count: 62) + "x" + String(repeating: "]", count: 62) + "}\n"
        #expect(descriptions(fits) == ["m.yaml:4:17: error: 'brand.avoid[0]' must be a string, not a list"])
        let marked = MarkedText(head + "brand: {avoid: " + String(repeating: "[", count: 62) + "1️⃣[x" + String(repeating: "]", count: 63) + "}\n")
        #expect(descriptions(marked.text) == [marked.error(1, "collections are nested more than 64 levels deep")])
    }

    @Test(arguments: [
        ("a quote inside a plain scalar", "note: say \"hi\n"),
        ("a quote inside a block scalar", "generate:\n  prompt: |\n    He said \"hello\n"),
        ("an escaped quote", "brand: {voice: \"a\\\" b\"}\n"),
        ("an apostrophe", "brand: {voice: it's}\n"),
        ("a comment marker in a string", "brand: {voice: \"# not a comment\"}\n"),
    ])
    func deepNestingCannotHideBehindQuotesOrComments(_ what: String, _ prefix: String) {
        let marked = MarkedText(head + prefix + "deep: " + String(repeating: "[", count: 63) + "1️⃣" + String(repeating: "[", count: 900) + "\n")
        #expect(descriptions(marked.text) == [marked.error(1, "collections are nested more than 64 levels deep")], "\(what)")
    }

    @Test func bracketsAndDashesInTextAreNotNesting() throws {
        let text = head + """
            generate:
              prompt: |
                ----------------------------------------------------------------------
                - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - -
                [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[
              negative_prompt: "{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{"
            brand:
              voice: '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[['
            # [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[
            """
        let manifest = try #require(parse(text).manifest)
        #expect(manifest.generate.prompt?.hasPrefix("------") == true)
        #expect(manifest.generate.negativePrompt?.count == 70)
    }

    // MARK: Bytes that are not text

    @Test(arguments: binaryFiles)
    func binaryFilesAreOneErrorNamingWhy(_ kind: String, _ bytes: [UInt8]) {
        let found = expectWellBehaved(bytes, kind).diagnostics
        #expect(found.count == 1, "\(kind)")
        #expect(found.first?.message == "manifest is not valid UTF-8 text", "\(kind)")
    }

    @Test(arguments: [
        ("a lone byte above 0x7F", [0xE9] as [UInt8]),
        ("a stray continuation byte", [0x80]),
        ("an overlong slash", [0xC0, 0xAF]),
        ("a UTF-16 surrogate", [0xED, 0xA0, 0x80]),
        ("0xFF", [0xFF]),
        ("a sequence cut short", [0xE2, 0x82]),
    ])
    func invalidUTF8IsLocatedAtTheFirstBadByte(_ kind: String, _ bad: [UInt8]) {
        let marked = MarkedText("version: 1\ncampaign: {id: demo, name: \"日本 1️⃣")
        let bytes = Array(marked.text.utf8) + bad + Array("\"}\nassets: [a.jpg]\n".utf8)
        #expect(expectWellBehaved(bytes, kind).diagnostics.map(\.description) == [marked.error(1, "manifest is not valid UTF-8 text")], "\(kind)")
    }

    @Test func nulBytesAreLocatedInCharacters() {
        let marked = MarkedText("version: 1\ncampaign: {id: demo, name: \"日本😀 1️⃣\u{0}\"}\nassets: [a.jpg]\n")
        #expect(descriptions(marked.text) == [marked.error(1, "manifest contains a NUL byte; is it a binary file?")])
        let utf16 = utf16LittleEndian("version: 1")
        #expect(expectWellBehaved(utf16, "UTF-16").diagnostics.map(\.description) == ["m.yaml:1:2: error: manifest contains a NUL byte; is it a binary file?"])
    }

    @Test func controlCharactersAreLocated() {
        let marked = MarkedText("version: 1\ncampaign: {id: demo, name: \"日本 1️⃣\u{1}\"}\nassets: [a.jpg]\n")
        #expect(descriptions(marked.text) == [marked.error(1, "invalid YAML: control characters are not allowed (U+0001)")])
        let crlf = MarkedText("version: 1\r\ncampaign: {id: demo}\r\nassets: [a.jpg]\r\n1️⃣\u{7}\r\n")
        #expect(descriptions(crlf.text) == [crlf.error(1, "invalid YAML: control characters are not allowed (U+0007)")])
    }

    @Test func byteOrderMarkAndWindowsLineEndingsAreFine() throws {
        let crlf = head.replacingOccurrences(of: "\n", with: "\r\n")
        #expect(try #require(parse("\u{FEFF}" + crlf).manifest).campaign.id == "demo")
        let marked = MarkedText(crlf + "1️⃣qualty: draft\r\n")
        #expect(descriptions(marked.text) == [marked.error(1, "unknown key 'qualty' at the top level; did you mean 'quality'?")])
    }

    // MARK: Wrong types

    @Test func everySectionOfTheWrongType() {
        let marked = MarkedText("""
            version: 1️⃣[1]
            campaign: 2️⃣[demo]
            brand: 3️⃣[x]
            assets: 4️⃣{a: b}
            select: 5️⃣[x]
            generate: 6️⃣[x]
            output: 7️⃣yes
            quality: 8️⃣[x]
            budget: 9️⃣[x]
            """)
        #expect(descriptions(marked.text) == [
            marked.error(1, "'version' must be a whole number, not a list"),
            marked.error(2, "'campaign' must be a mapping of keys to values, not a list"),
            marked.error(3, "'brand' must be a mapping of keys to values, not a list"),
            marked.error(4, "'assets' must be a list, not a mapping"),
            marked.error(5, "'select' must be a mapping of keys to values, not a list"),
            marked.error(6, "'generate' must be a mapping of keys to values, not a list"),
            marked.error(7, "'output' must be a mapping of keys to values, not the boolean yes"),
            marked.error(8, "'quality' must be a string, not a list"),
            marked.error(9, "'budget' must be a mapping of keys to values, not a list"),
        ])
    }

    @Test func everyFieldOfTheWrongType() {
        let marked = MarkedText("""
            version: 1
            campaign: {id: 1️⃣[demo], name: 2️⃣{a: b}, goal: 3️⃣[], audience: 4️⃣1, product_url: 5️⃣[x]}
            assets: [a.jpg, b.jpg]
            generate: {prompt: 6️⃣[x], seed: 7️⃣{a: 1}, audio: 8️⃣[true], options: {k: {? 9️⃣[a] : b}}}
            """)
        #expect(descriptions(marked.text) == [
            marked.error(1, "'campaign.id' must be a string, not a list"),
            marked.error(2, "'campaign.name' must be a string, not a mapping"),
            marked.error(3, "'campaign.goal' must be a string, not a list"),
            marked.error(4, "'campaign.audience' must be a string, not the number 1; put it in quotes: \"1\""),
            marked.error(5, "'campaign.product_url' must be a string, not a list"),
            marked.error(6, "'generate.prompt' must be a string, not a list"),
            marked.error(7, "'generate.seed' must be a whole number, not a mapping"),
            marked.error(8, "'generate.audio' must be true or false, not a list"),
            marked.error(9, "keys in 'generate.options.k' must be plain names"),
        ])
    }

    // MARK: Fuzzing

    static let punctuation = [
        "[", "]", "{", "}", ":", ": ", "- ", "-", "? ", "?", ",", ", ", "&a ", "*a", "&b ", "*b", "*zz", "!", "!!str ", "!!int ",
        "!custom ", "|", "|-\n", ">", "\"", "'", "\\", "#", " # note", "\n", "\n", "\n  ", "\n    ", "  ", "\t", "%YAML 1.1\n",
        "---\n", "...\n", "<<: ", "\r\n", "\r", "~", "@", "`", "%", "\u{85}", "\u{2028}", "\u{FEFF}", "\u{1}", "\u{7F}",
    ]
    static let words = [
        "version", "campaign", "id", "name", "goal", "product_url", "brand", "colors", "do", "avoid", "assets", "path", "glob",
        "tags", "select", "selector", "count", "pairs", "first", "last", "prompt", "model", "detail", "generate", "generator",
        "duration", "resolution", "seed", "audio", "concurrency", "options", "output", "fps", "fit", "transition", "type",
        "encoder_preset", "crf", "quality", "budget", "max_usd", "clip_max_usd", "1", "0", "-3", "2.5", "1e999", ".inf", ".nan",
        "0x1F", "1_000", "1:30", "99999999999999999999", "true", "no", "null", "demo", "a.jpg", "b.jpg", "c.png", "assets/*.jpg",
        "**/*.jpg", "**", "../x.jpg", "/etc/passwd", "~/x.jpg", "google/veo-3.1", "minimax/hailuo-02", "kwaivgi/kling-v2.1",
        "acme/x", "720p", "1080p", "1280x720", "fade", "none", "premium", "draft", "economy", "local", "replicate",
        "\"#FF0000\"", "2024-01-01", "https://example.com", "日本", "😀", "é",
    ]
    static let valid = """
        version: 1
        campaign: {id: fuzz, name: Fuzz, goal: "test", product_url: https://example.com}
        brand: {name: Acme, colors: ["#112233"], do: [be bold], avoid: [clutter]}
        assets:
          - assets/a.jpg
          - {path: assets/b.jpg, id: bee, tags: [hero]}
          - glob: "assets/**/*.png"
            tags: [detail]
        select:
          pairs:
            - [a, bee]
            - {first: bee, last: c, prompt: orbit}
        generate:
          model: google/veo-3.1-fast
          duration: 6
          resolution: 720p
          seed: 42
          audio: false
          options: {aspect_ratio: "16:9", list: [1, 2.5, true, null]}
        output:
          path: out/fuzz.mp4
          resolution: 1280x720
          fps: 24
          fit: cover
          transition: {type: fade, duration: 0.5}
          audio: strip
          crf: 20
          encoder_preset: medium
        quality: balanced
        budget: {max_usd: 10, run_max_usd: 5, clip_max_usd: 1}

        """

    static func fuzzProject() -> InMemoryFileSystem {
        let fileSystem = InMemoryFileSystem()
        fileSystem.addFile("/project/.git/HEAD", "ref: main")
        for name in ["assets/a.jpg", "assets/b.jpg", "assets/c.png", "assets/more/d.png", "x.jpg"] {
            fileSystem.addFile("/project/\(name)", name)
        }
        fileSystem.addSymlink("/project/assets/out.jpg", to: "/etc/passwd")
        return fileSystem
    }

    @Test func validFuzzBaseResolves() throws {
        let fileSystem = Self.fuzzProject()
        let outcome = expectWellBehaved(Array(Self.valid.utf8), "valid", project: fileSystem)
        let manifest = try #require(outcome.manifest)
        let path = try #require(AbsolutePath("/project/reel.yaml"))
        let (campaign, diagnostics) = ManifestResolver(fileSystem: fileSystem).resolve(manifest, at: path)
        #expect(diagnostics == [])
        #expect(campaign?.assets.map(\.id) == ["a", "bee", "c", "d"])
    }

    /// Token soup: YAML punctuation and manifest words in random order, sometimes after a valid head.
    @Test func fuzzTokenSoup() {
        var random = SeededGenerator(seed: 0x5EED_0001)
        let project = Self.fuzzProject()
        var parsed = 0
        for index in 0..<1_200 {
            var text = random.chance(50) ? head : ""
            for _ in 0..<random.below(60) {
                text += random.chance(45) ? random.pick(Self.punctuation) : random.pick(Self.words)
            }
            let bytes = Array(text.utf8)
            if expectWellBehaved(bytes, "soup \(index): \(escaped(bytes))", project: project).manifest != nil { parsed += 1 }
        }
        // Most soup is rejected, but some reads as a manifest and goes on to be resolved.
        #expect(parsed > 0)
        #expect(parsed < 1_200)
    }

    /// Mutations of a valid manifest: bytes replaced, tokens inserted, ranges deleted, lines
    /// duplicated, swapped and re-indented.
    @Test func fuzzMutatedManifests() {
        var random = SeededGenerator(seed: 0x5EED_0002)
        let project = Self.fuzzProject()
        var parsed = 0
        var failed = 0
        for index in 0..<1_200 {
            var bytes = Array(Self.valid.utf8)
            for _ in 0..<(1 + random.below(4)) {
                let position = random.below(bytes.count + 1)
                switch random.below(6) {
                case 0 where position < bytes.count:
                    bytes[position] = Array((random.chance(50) ? random.pick(Self.punctuation) : random.pick(Self.words)).utf8).first ?? 0x20
                case 1:
                    bytes.insert(contentsOf: Array((random.chance(50) ? random.pick(Self.punctuation) : random.pick(Self.words)).utf8), at: position)
                case 2:
                    let end = min(bytes.count, position + random.below(40))
                    bytes.removeSubrange(position..<end)
                default:
                    var lines = bytes.split(separator: 10, omittingEmptySubsequences: false).map(Array.init)
                    let line = random.below(lines.count)
                    let other = random.below(lines.count)
                    switch random.below(3) {
                    case 0: lines.insert(lines[line], at: other)
                    case 1: lines.swapAt(line, other)
                    default: lines[line] = Array(repeating: 0x20, count: random.below(6)) + lines[line].drop { $0 == 0x20 }
                    }
                    bytes = Array(lines.joined(separator: [10]))
                }
            }
            let outcome = expectWellBehaved(bytes, "mutation \(index): \(escaped(bytes))", project: project)
            if outcome.manifest != nil { parsed += 1 } else { failed += 1 }
        }
        #expect(parsed + failed == 1_200)
        #expect(parsed > 50)
        #expect(failed > 50)
    }

    /// Raw bytes: mostly printable, with line breaks, high bytes, control characters and NULs.
    @Test func fuzzRandomBytes() {
        var random = SeededGenerator(seed: 0x5EED_0003)
        var checked = 0
        for index in 0..<600 {
            var bytes: [UInt8] = []
            for _ in 0..<random.below(300) {
                switch random.below(20) {
                case 0: bytes.append(UInt8(truncatingIfNeeded: random.next()))
                case 1: bytes.append(10)
                case 2: bytes.append(UInt8(random.below(32)))
                case 3: bytes.append(contentsOf: Array(random.pick(Self.words).utf8))
                default: bytes.append(UInt8(32 + random.below(95)))
                }
            }
            expectWellBehaved(bytes, "bytes \(index): \(bytes)")
            checked += 1
        }
        #expect(checked == 600)
    }

    // MARK: Work done by globs

    @Test func repeatedDoubleStarsDoNotMultiplyTheWork() throws {
        let memory = InMemoryFileSystem()
        memory.addFile("/project/.git/HEAD", "ref: main")
        var folder = "/project/assets"
        for depth in 0..<8 {
            folder += "/d\(depth)"
            memory.addFile("\(folder)/f\(depth).jpg", "pixels")
            memory.addFile("\(folder)/../side\(depth)/s\(depth).jpg", "pixels")
        }
        let counting = CountingFileSystem(memory)
        let stars = Array(repeating: "**", count: 12).joined(separator: "/")
        let outcome = ManifestParser.parse(text: head.replacingOccurrences(of: "[a.jpg, b.jpg]", with: "[{glob: \"assets/\(stars)/*.jpg\"}]"), file: "m.yaml")
        let manifest = try #require(outcome.manifest)
        let path = try #require(AbsolutePath("/project/reel.yaml"))
        let (campaign, diagnostics) = ManifestResolver(fileSystem: counting).resolve(manifest, at: path)
        #expect(diagnostics == [])
        #expect(campaign?.assets.count == 16)
        // 17 folders: each is listed a bounded number of times, however many `**` there are.
        #expect(counting.listings <= 17 * 3)
    }
}

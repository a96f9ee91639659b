import ReelBasics
import ReelManifest
import ReelTestSupport
import Testing
import Yams

@Suite struct ManifestParserTests {
    static let minimal = """
        version: 1
        campaign: {id: demo}
        assets:
          - path: a.jpg
          - b.jpg
        """

    func errors(_ yaml: String) -> [String] {
        ManifestParser.parse(text: yaml, file: "m.yaml").diagnostics.filter { $0.severity == .error }.map(\.description)
    }

    /// A plain scalar is read as a string without asking Yams' resolver when its first byte rules
    /// out every other type (`Node.tagName`): for scalars starting with each printable byte, and
    /// for the words YAML reads as booleans, nulls, numbers and dates, the parser calls a value
    /// "not a string" exactly when Yams resolves it to another type.
    @Test func aPlainScalarIsAStringExactlyWhenYamsSaysSo() throws {
        var texts = ["yes", "Yes", "NO", "on", "Off", "true", "FALSE", "null", "Null", "~", "y", "n", "0", "-1", "+3", "0x1F", "0o17", "0b101",
            "1_000", "1:30", "3.5", "-.5", ".5", ".inf", "-.Inf", ".NaN", "1e3", "2026-11-29", "2026-11-29T06:00:00Z", "<<", "=",
            "yellow", "nope", "tram", "fig", "only", "none", "Nulls", "-x", ".hidden", "0day", "<tag>", "=x", "~home", "img00001", "Zebra", "_a"]
        for byte in UInt8(ascii: "!")...UInt8(ascii: "~") where ![UInt8(ascii: "#"), UInt8(ascii: "\""), UInt8(ascii: "'")].contains(byte) {
            let text = String(UnicodeScalar(byte)) + "a1"
            texts.append(text)
            texts.append(String(UnicodeScalar(byte)))
        }
        let nonString: Set<String> = ["tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null",
            "tag:yaml.org,2002:timestamp"]
        for text in texts {
            let line = "voice: \(text)\n"
            guard let node = try? Yams.compose(yaml: line), case .scalar = node["voice"] ?? .scalar(.init("")), let value = node["voice"],
                case .scalar(let scalar) = value, scalar.style == .plain
            else { continue }  // not a plain scalar in YAML at all (a flow collection, an alias, …)
            let yams = value.tag.description
            let yaml = "version: 1\ncampaign: {id: demo}\nbrand:\n  " + line + "assets: [a.jpg]\n"
            let refused = errors(yaml).contains { $0.contains("'brand.voice' must be a string") }
            #expect(refused == nonString.contains(yams), "\(text): Yams says \(yams)")
        }
    }

    @Test func parsesMinimalManifest() throws {
        let outcome = ManifestParser.parse(text: Self.minimal, file: "m.yaml")
        let manifest = try #require(outcome.manifest)
        #expect(manifest.campaign.id == "demo")
        #expect(manifest.assets.map(\.source) == [.path("a.jpg"), .path("b.jpg")])
        #expect(manifest.quality == nil)
    }

    @Test func unknownKeySuggestsTheRightOne() {
        let yaml = Self.minimal + "\noutput:\n  trasition: fade\n"
        #expect(errors(yaml) == ["m.yaml:7:3: error: unknown key 'trasition' in 'output'; did you mean 'transition'?"])
    }

    /// Thousands of unknown keys: twenty errors and one line counting the rest (issue 10, item 11).
    @Test func unknownKeysAreCapped() {
        let yaml = Self.minimal + "\n" + (0..<50_000).map { "junk\($0): 1" }.joined(separator: "\n") + "\n"
        let found = errors(yaml)
        #expect(found.count == 21)
        #expect(found.first == "m.yaml:6:1: error: unknown key 'junk0' at the top level")
        #expect(found.last == "m.yaml:26:1: error: … and 49980 more unknown keys at the top level")
    }

    /// YAML merge keys share settings (`<<: *look`); explicit keys win; `x-…` top-level keys hold anchors.
    @Test func mergeKeysAreSupported() throws {
        let yaml = """
            version: 1
            x-look: &look {resolution: 640x360, fps: 12, transition: none}
            x-more: &more {crf: 30, fps: 30}
            campaign: {id: demo}
            assets: [a.jpg, b.jpg]
            output:
              <<: [*look, *more]
              fps: 24
            """
        let outcome = ManifestParser.parse(text: yaml, file: "m.yaml")
        #expect(outcome.diagnostics.filter { $0.severity == .error }.isEmpty, "\(outcome.diagnostics)")
        let manifest = try #require(outcome.manifest)
        #expect(manifest.output.resolution?.description == "640x360")
        #expect(manifest.output.fps == 24)
        #expect(manifest.output.crf == 30)
        // A merged key that does not belong is reported where it is written.
        let wrong = "version: 1\nx-d: &d {fsp: 12}\ncampaign: {id: demo}\nassets: [a.jpg]\noutput: {<<: *d}\n"
        #expect(errors(wrong) == ["m.yaml:2:10: error: unknown key 'fsp' in 'output'; did you mean 'fps'?"])
        #expect(errors("version: 1\ncampaign: {id: demo}\nassets: [a.jpg]\noutput: {<<: 3}\n")
            == ["m.yaml:4:14: error: a merge key ('<<') in 'output' takes a mapping or a list of mappings (e.g. '<<: *defaults'), not the number 3"])
    }

    /// A quote left open is reported where it opens (issue 10, item 11): whether a later quote
    /// closes it (the keys between become text) or nothing does (libyaml fails at the end).
    @Test func unclosedQuotesPointAtWhereTheyOpen() {
        let swallowing = "version: 1\ncampaign: {id: demo}\nbrand:\n  voice: \"warm, curious\n  colors: [\"#0B1D3A\"]\nassets: [a.jpg]\n"
        #expect(errors(swallowing) == [
            "m.yaml:4:10: error: this quoted string is not closed on its line: it runs on to line 5 and takes in 'colors:' (line 5) as text; "
                + "add the closing \" (for text over several lines, use a block scalar such as '>')",
        ])
        let never = "version: 1\ncampaign:\n  id: demo\n  name: 'Orbit\nassets:\n  - a.jpg\n"
        #expect(errors(never) == ["m.yaml:4:9: error: invalid YAML: this quote is never closed (found unexpected end of stream at line 7); add the closing quote"])
        // Quoted text may still span lines when no key is taken in.
        let folded = "version: 1\ncampaign:\n  id: demo\n  goal: \"a long goal\n    that goes on\"\nassets: ['a.jpg', \"it's\"]\n"
        #expect(errors(folded) == [])
    }

    @Test func reportsSeveralErrorsWithLocations() {
        let yaml = """
            version: 1
            campaign: {id: Demo!}
            assets: [a.jpg, b.jpg]
            generate:
              duration: -3
              seed: "7"
            quality: deluxe
            """
        let found = errors(yaml)
        #expect(found.count == 4)
        #expect(found.contains { $0.hasPrefix("m.yaml:2:16: error: 'campaign.id' cannot be 'Demo!'") })
        #expect(found.contains { $0.hasPrefix("m.yaml:5:13: error: 'generate.duration' must be more than 0") })
        #expect(found.contains { $0.hasPrefix("m.yaml:6:9: error: 'generate.seed' must be a whole number") })
        #expect(found.contains { $0.hasPrefix("m.yaml:7:10: error: 'quality' cannot be 'deluxe'") })
    }

    @Test func versionIsRequiredAndChecked() {
        #expect(errors("campaign: {id: x}\nassets: [a.jpg]\n") == ["m.yaml:1:1: error: the manifest is missing the required key 'version'"])
        #expect(errors("version: 2\ncampaign: {id: x}\nassets: [a.jpg]\n").first?.contains("unsupported manifest version 2") == true)
    }

    @Test(arguments: [
        "",
        "\u{0}\u{1}\u{2}binary",
        "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
        "version: 1\ncampaign: &a [*a]\n",
        "a: &a [1,2,3,4,5,6,7,8,9]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\nversion: 1\ncampaign: {id: x}\nassets: *g\n",
        "version: 1\nversion: 1\n",
        "- just\n- a\n- list\n",
        "key: 'unterminated\n",
    ])
    func neverCrashesOnHostileInput(_ yaml: String) {
        let outcome = ManifestParser.parse(text: yaml, file: "m.yaml")
        #expect(outcome.manifest == nil)
        #expect(!outcome.diagnostics.isEmpty)
        #expect(outcome.diagnostics.allSatisfy { $0.location != nil })
    }
}

import ReelBasics
import ReelManifest
import ReelTestSupport
import Testing

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

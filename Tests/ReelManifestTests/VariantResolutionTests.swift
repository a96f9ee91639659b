import Foundation
import ReelBasics
import ReelManifest
import ReelTestSupport
import Testing

/// Issue 14: each variant is resolved like the campaign's own settings, its video beside
/// `output.path`, its problems located at its own keys and named.
@Suite struct VariantResolutionTests {
    static let head = """
        version: 1
        campaign: {id: spring}
        assets:
          - glob: assets/*.jpg
        quality: balanced
        generate: {duration: 6}
        output: {path: out/final.mp4, transition: {type: fade, duration: 0.5}}

        """

    @Test func eachVariantHasItsSettingsAndVideo() throws {
        let campaign = try MemoryProject().resolve(Self.head + """
            variants:
              veo:
                output: {transition: none, resolution: 1080x1920}
              hailuo:
                generate: {model: minimax/hailuo-02, prompt: Slow orbit}
            """)
        #expect(campaign.variants.map(\.name) == ["veo", "hailuo"])
        #expect(campaign.lanes.map(\.name) == ["veo", "hailuo"])
        #expect(campaign.variants.map { $0.output.path.pathString } == ["/project/out/final.veo.mp4", "/project/out/final.hailuo.mp4"])
        let veo = campaign.variants[0], hailuo = campaign.variants[1]
        #expect(veo.generator.model == "google/veo-3.1-fast" && veo.output.transition.isNone)
        #expect(veo.output.resolution == Resolution(width: 1080, height: 1920))
        #expect(veo.generator.clipResolution == Resolution(width: 1080, height: 1920))
        #expect(hailuo.generator.model == "minimax/hailuo-02" && hailuo.generator.modelResolution == "768p", "the model's own resolution")
        #expect(hailuo.generator.duration == 6 && hailuo.promptSet && hailuo.generator.prompt == "Slow orbit")
        #expect(!veo.promptSet)
        #expect(hailuo.output.transition == Transition(type: "fade", duration: 0.5))
        #expect(hailuo.output.clipsDirectory.pathString == "/project/out/final.hailuo.clips")
    }

    @Test func withoutVariantsOneUnnamedLane() throws {
        let campaign = try MemoryProject().resolve(Self.head)
        #expect(campaign.variants.isEmpty)
        #expect(campaign.lanes.map(\.name) == [""])
        #expect(campaign.lanes[0].output == campaign.output && campaign.lanes[0].generator == campaign.generator)
    }

    @Test func aVariantsProblemsAreAtItsKeysAndNameIt() throws {
        let marked = MarkedText(Self.head + """
            variants:
              fine:
                generate: {seed: 3}
              cheap:
                generate: {model: minimax/hailuo-02, 1️⃣resolution: 480p}
            """)
        let found = try MemoryProject().diagnostics(marked)
        #expect(found == [
            marked.error(1, "variant 'cheap': minimax/hailuo-02 cannot generate 480p with a first and last frame; use one of: 768p, 1080p", file: "reel.yaml"),
        ], "\(found)")
    }
}

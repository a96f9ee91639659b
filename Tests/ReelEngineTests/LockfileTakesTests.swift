import Foundation
import ReelBasics
import ReelEngine
import ReelGraph
import ReelManifest
import ReelTestSupport
import Testing

/// Issue 14: the lockfile keeps chosen takes by pair (`takes:`), and still reads the first format
/// (`take` in a generate node's settings, which named an index), mapping it to the lockfile's pair.
@Suite struct LockfileTakesTests {
    static let legacy = """
        version: 1
        campaign: fixture
        quality: draft
        pairs:
        - first: a
          last: b
          score: 1.0000
          reasoning: r
        - first: b
          last: c
          score: 1.0000
          reasoning: r
        nodes:
        - id: generate/1
          kind: generate
          key: sha256:0000000000000000000000000000000000000000000000000000000000000001
          engine: animatic/1
          provider: local
          model: animatic
          settings:
            take: 3
          inputs: {}

        """

    func workspace(lockfile: String, in directory: AbsolutePath) throws -> Workspace {
        let campaign = try CampaignFixtures.resolve(CampaignFixtures.explicitPairs)
        let store = try CacheStore(root: directory.appending("cache"), fileSystem: LocalFileSystem())
        return Workspace(
            campaign: campaign, environment: .live(), store: store, assetDigests: CampaignFixtures.digests(campaign), toolVersion: "ffmpeg test",
            lockfileText: lockfile)
    }

    @Test func theFirstFormatIsReadByItsPair() async throws {
        try await withTemporaryDirectory { directory in
            let workspace = try workspace(lockfile: Self.legacy, in: directory)
            #expect(workspace.takes == [TakeSlot(first: "b", last: "c"): 3])
        }
    }

    @Test func theTakesListWinsAndNamesVariants() async throws {
        try await withTemporaryDirectory { directory in
            let listed = Self.legacy.replacingOccurrences(of: "nodes:\n", with: """
                takes:
                - first: a
                  last: b
                  take: 2
                - first: b
                  last: c
                  variant: fast
                  take: 4
                nodes:

                """)
            let workspace = try workspace(lockfile: listed, in: directory)
            #expect(workspace.takes == [TakeSlot(first: "a", last: "b"): 2, TakeSlot(variant: "fast", first: "b", last: "c"): 4])
        }
    }

    @Test func takesAndVariantsRoundTripThroughTheEmitter() throws {
        let lockfile = Lockfile(
            campaign: "fixture", quality: "draft", output: nil, pairs: [],
            takes: [LockedTake(variant: nil, first: "a", last: "b", take: 2), LockedTake(variant: "fast", first: "b", last: "c", take: 3)],
            variants: [LockedVariant(name: "fast", path: "out/x.fast.mp4", digest: nil, clips: ["generate/0@fast", "generate/1@slow"], combine: "combine@fast")],
            nodes: [])
        let text = try lockfile.yamlText()
        #expect(try Lockfile(yaml: text) == lockfile)
    }
}

import Foundation
import ReelBasics
import ReelEngine
import ReelGraph
import ReelTestSupport
import Synchronization
import Testing

/// The build as a library service, with no command involved: real ffmpeg, real files.
@Suite(.enabled(if: Fixtures.hasFFmpeg, "needs ffmpeg"), .serialized)
struct BuildServiceTests {
    static func writeCampaign(_ id: String, file: String, in directory: AbsolutePath) throws {
        try writeFile("""
            version: 1
            campaign: {id: \(id)}
            assets:
              - glob: assets/*.jpg
            select:
              pairs: [[rocket, astronaut], [astronaut, coffee]]
            generate: {duration: 1}
            output: {path: out/\(id).mp4, resolution: 320x180, fps: 12, transition: none}
            """, to: directory.appending(file))
    }

    static func project(_ directory: AbsolutePath) throws {
        try FileManager.default.createDirectory(atPath: directory.appending(".git").pathString, withIntermediateDirectories: true)
        try Fixtures.copyPhotos(["rocket.jpg", "astronaut.jpg", "coffee.jpg"], to: directory.appending("assets"))
    }

    static func service() -> BuildService {
        BuildService(environment: BuildEnvironment(fileSystem: LocalFileSystem(), runner: SpawnProcessRunner(), variables: [:]))
    }

    static func request(_ directory: AbsolutePath, _ files: [String], forced: [String] = []) -> BuildRequest {
        BuildRequest(manifests: files.map { BuildRequest.ManifestRef(path: directory.appending($0), display: $0) }, forced: forced, storyboard: false)
    }

    @Test func theSameCampaignTwiceInOneProcessGivesTheSameResult() async throws {
        try await withTemporaryDirectory { directory in
            try Self.project(directory)
            try Self.writeCampaign("twice", file: "reel.yaml", in: directory)
            let events = Mutex<[ServiceEvent]>([])
            let first = try await Self.service().build(Self.request(directory, ["reel.yaml"])) { event in events.withLock { $0.append(event) } }
            let lockfile = try String(contentsOfFile: directory.appending("reel.lock").pathString, encoding: .utf8)
            let second = try await Self.service().build(Self.request(directory, ["reel.yaml"])) { _ in }

            let one = try #require(first.campaigns.first?.result)
            let two = try #require(second.campaigns.first?.result)
            #expect(first.succeeded && second.succeeded)
            #expect(one.nodes.allSatisfy { $0.state == .built })
            #expect(two.nodes.allSatisfy { $0.state == .cached })
            #expect(one.videoDigest != nil && one.videoDigest == two.videoDigest)
            #expect(one.nodes.map(\.id) == two.nodes.map(\.id))
            #expect(one.nodes.map(\.spec?.key) == two.nodes.map(\.spec?.key))
            #expect(try String(contentsOfFile: directory.appending("reel.lock").pathString, encoding: .utf8) == lockfile)
            // Events came through the sink, not printed: the first build reported each node it built.
            let built = events.withLock { $0 }.compactMap { event -> NodeID? in
                if case .build(.built(let id, _, _)) = event { return id }
                return nil
            }
            #expect(built.count == one.nodes.count)
        }
    }

    @Test func twoCampaignsInOneBuildKeepTheirNodeIDsApart() async throws {
        try await withTemporaryDirectory { directory in
            try Self.project(directory)
            try Self.writeCampaign("spring", file: "spring.yaml", in: directory)
            try Self.writeCampaign("autumn", file: "autumn.yaml", in: directory)
            let result = try await Self.service().build(Self.request(directory, ["spring.yaml", "autumn.yaml"])) { _ in }
            #expect(result.succeeded && result.campaigns.count == 2)
            let ids = result.campaigns.flatMap { $0.result.nodes.map(\.id) }
            #expect(Set(ids).count == ids.count, "no node id is shared between campaigns")
            #expect(Set(ids.map(\.campaign)) == ["spring", "autumn"])
            #expect(Set(ids.map(\.qualified)).contains("spring:generate/0") && Set(ids.map(\.qualified)).contains("autumn:generate/0"))
            // Both campaigns ask for the same clips with the same settings: one clip each, shared.
            let clips = result.campaigns.map { $0.result.nodes.filter { $0.kind == .generate }.compactMap(\.outputDigest) }
            #expect(clips[0] == clips[1])

            // A short id names the node in every campaign; a qualified one in one campaign only.
            let again = try await Self.service().build(Self.request(directory, ["spring.yaml", "autumn.yaml"], forced: ["autumn:combine"])) { _ in }
            let states = Dictionary(uniqueKeysWithValues: again.campaigns.flatMap { $0.result.nodes.map { ($0.id.qualified, $0.state) } })
            #expect(states["autumn:combine"] == .built)
            #expect(states["spring:combine"] == .cached)
            await #expect(throws: BuildServiceError.self) {
                _ = try await Self.service().build(Self.request(directory, ["spring.yaml"], forced: ["generate/9"])) { _ in }
            }
        }
    }
}

import Foundation
import ReelBasics
import ReelTestSupport
import Testing

/// The concurrency a manifest asks for is the concurrency that happens: nothing in the HTTP stack
/// (URLSession keeps at most six connections per host by default) holds it lower.
@Suite(.enabled(if: Fixtures.hasFFmpeg, "needs ffmpeg"), .serialized)
struct ProviderConcurrencyTests {
    @Test func eightConcurrentCreatesReachTheProviderAtOnce() async throws {
        try await withTemporaryDirectory { directory in
            let harness = ProviderHarness(directory: directory)
            try await harness.start()
            defer { Task { await harness.stop() } }
            try Fixtures.copyPhotos(BatchShardTests.photos.map { "\($0).jpg" }, to: directory.appending("assets"))
            let pairs = BatchShardTests.allPairs.prefix(16).map { "[\($0.0), \($0.1)]" }.joined(separator: ", ")
            try writeFile("""
                version: 1
                campaign: {id: wide}
                assets:
                  - glob: assets/*.jpg
                select:
                  pairs: [\(pairs)]
                generate: {duration: 4, concurrency: 8}
                output: {path: out/wide.mp4, resolution: 320x180, fps: 24, transition: none}
                quality: balanced
                """, to: directory.appending("reel.yaml"))
            // Creates are held until eight are in flight at once (at most 30 s): a client capped below
            // eight connections shows a lower peak, however slow or fast the machine.
            harness.replicate.holdCreates(until: 8)
            let result = try await harness.build()
            #expect(result.exitCode == 0, "\(result.stderr)")
            #expect(harness.replicate.createCount == 16)
            #expect(harness.replicate.peakConcurrency(of: .createPrediction) == 8)
        }
    }
}

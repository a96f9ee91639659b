import Foundation
import ReelBasics
import ReelLedger
import ReelTestSupport
import Testing

/// `reel spend` and `reel cache` find the project's ledger and cache from any folder inside it,
/// as `reel build` does from a manifest.
@Suite(.enabled(if: Fixtures.hasFFmpeg, "needs ffmpeg"), .serialized)
struct SubfolderTests {
    @Test func spendAndCacheVerifyWorkFromASubfolder() async throws {
        try await withTemporaryDirectory { directory in
            try DemoBuildTests.writeCampaign(in: directory)
            let build = try await ReelBinary.run(["build", "reel.yaml", "-q"], in: directory)
            #expect(build.exitCode == 0, "\(build.stderr)")
            // A paid call recorded in the project's ledger.
            let ledger = try Ledger(path: directory.appending(".reel/ledger.sqlite"))
            let reservation = try ledger.reserve(
                runID: "run", campaign: "e2e", nodeID: "generate/0", nodeKey: String(repeating: "a", count: 64), provider: "replicate",
                model: "google/veo-3.1-fast", estimate: 0.5, caps: BudgetCaps(), now: "2026-11-29T00:00:00Z")
            try ledger.settle(reservation, actualUSD: 0.4, predictionID: "p1", now: "2026-11-29T00:01:00Z")

            let subfolder = directory.appending("assets")
            let spend = try await ReelBinary.run(["spend", "--json"], in: subfolder)
            #expect(spend.exitCode == 0, "\(spend.stderr)")
            #expect((spend.lastJSON?["total_usd"] as? Double) == 0.4)

            let verify = try await ReelBinary.run(["cache", "verify", "--json"], in: subfolder)
            #expect(verify.exitCode == 0, "\(verify.stderr)")
            #expect(((verify.lastJSON?["blobs"] as? Int) ?? 0) > 0)
            #expect((verify.lastJSON?["corrupt"] as? Int) == 0)
        }
    }
}

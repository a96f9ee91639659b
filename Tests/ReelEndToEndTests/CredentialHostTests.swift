import Foundation
import ReelBasics
import ReelTestSupport
import Testing

/// A credential goes only to a host its operator approved: the provider's own host, or a base URL
/// from the environment or the command line — never a host that only the manifest names.
@Suite(.enabled(if: Fixtures.hasFFmpeg, "needs ffmpeg"), .serialized)
struct CredentialHostTests {
    func withHarness(_ body: (ProviderHarness) async throws -> Void) async throws {
        try await withTemporaryDirectory { directory in
            let harness = ProviderHarness(directory: directory)
            try await harness.start()
            do {
                try await body(harness)
            } catch {
                await harness.stop()
                throw error
            }
            await harness.stop()
        }
    }

    func writeManifest(_ harness: ProviderHarness, select: String, generate: String = "") throws {
        try writeFile("""
            version: 1
            campaign: {id: hosts}
            assets:
              - glob: assets/*.jpg
            select: {count: 2\(select)}
            generate: {prompt: move\(generate)}
            output: {path: out/hosts.mp4, resolution: 320x180, fps: 24}
            quality: balanced
            """, to: harness.directory.appending("reel.yaml"))
    }

    func authorized(_ requests: [RecordedRequest]) -> Int {
        requests.filter { $0.headers["authorization"] != nil }.count
    }

    @Test func aSelectorHostNamedOnlyInTheManifestGetsNoKey() async throws {
        try await withHarness { harness in
            try writeManifest(harness, select: ", base_url: \"\(harness.chat.baseURL.absoluteString)\"")
            var environment = harness.environment
            environment["REEL_SELECTOR_BASE_URL"] = nil
            let refused = try await ReelBinary.run(["build", "reel.yaml"], in: harness.directory, environment: environment)
            #expect(refused.exitCode == 1)
            #expect(harness.chat.requests.isEmpty, "the manifest's host saw \(harness.chat.requests.count) requests")
            #expect(authorized(harness.chat.requests) == 0)
            #expect(harness.replicate.createCount == 0)
            #expect(refused.stderr.contains("select.base_url"))
            #expect(refused.stderr.contains("a host only the manifest names"))
            #expect(refused.stderr.contains("--allow-host 127.0.0.1:\(harness.chat.baseURL.port ?? 0)"))
            #expect(refused.stderr.contains("REEL_SELECTOR_BASE_URL="))
            #expect(!refused.stderr.contains(ProviderHarness.xaiKey))

            // The operator approves the host on the command line: the build goes ahead.
            let allowed = try await ReelBinary.run(
                ["build", "reel.yaml", "--allow-host", "127.0.0.1:\(harness.chat.baseURL.port ?? 0)"], in: harness.directory, environment: environment)
            #expect(allowed.exitCode == 0, "\(allowed.stderr)")
            #expect(harness.chat.completionCount == 1)
        }
    }

    @Test func aGeneratorHostNamedOnlyInTheManifestGetsNoToken() async throws {
        try await withHarness { harness in
            let url = harness.replicate.baseURL.absoluteString
            try writeManifest(harness, select: "", generate: ", base_url: \"\(url)\"")
            var environment = harness.environment
            environment["REPLICATE_BASE_URL"] = nil
            let refused = try await ReelBinary.run(["build", "reel.yaml"], in: harness.directory, environment: environment)
            #expect(refused.exitCode == 1)
            #expect(authorized(harness.replicate.requests) == 0, "the manifest's host saw the token")
            #expect(harness.replicate.requests.isEmpty)
            #expect(refused.stderr.contains("generate.base_url"))
            #expect(refused.stderr.contains("REPLICATE_BASE_URL="))

            // Approved through the environment (REEL_ALLOW_HOSTS): it builds.
            environment["REEL_ALLOW_HOSTS"] = "127.0.0.1:\(harness.replicate.baseURL.port ?? 0)"
            let allowed = try await ReelBinary.run(["build", "reel.yaml"], in: harness.directory, environment: environment)
            #expect(allowed.exitCode == 0, "\(allowed.stderr)")
            #expect(harness.replicate.createCount == 2)
        }
    }
}

/// Issue 9 item 8: a selector that provably never connected costs $0 in the ledger.
@Suite(.enabled(if: Fixtures.hasFFmpeg, "needs ffmpeg"), .serialized)
struct NeverConnectedSelectorTests {
    @Test func aSelectorThatNeverConnectedCostsNothing() async throws {
        try await withTemporaryDirectory { directory in
            let harness = ProviderHarness(directory: directory)
            try await harness.start()
            var environment = harness.environment
            // A loopback port nothing listens on (the fake's, after it stopped).
            let closed = harness.chat.baseURL.absoluteString
            await harness.stop()
            environment["REEL_SELECTOR_BASE_URL"] = closed
            environment["REEL_RETRY_ATTEMPTS"] = "2"
            let result = try await ReelBinary.run(["build", "reel.yaml"], in: directory, environment: environment)
            #expect(result.exitCode == 1)
            let spend = try await ReelBinary.run(["spend", "--json"], in: directory, environment: environment)
            let total = spend.lastJSON?["total_usd"] as? Double
            #expect(spend.lastJSON?["rows"] as? Int == 1, "\(spend.stdout)")
            #expect(total == 0, "a call that never connected was charged: \(spend.stdout)")
        }
    }
}

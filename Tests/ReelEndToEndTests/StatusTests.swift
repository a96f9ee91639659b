import Foundation
import ReelBasics
import ReelTestSupport
import Testing

/// Issue 9 item 9: `reel status` lists paid work in flight and open reservations after a crash,
/// and settles each: resume (build), cancel (through the API), release (nothing in flight).
@Suite(.enabled(if: Fixtures.hasFFmpeg, "needs ffmpeg"), .serialized)
struct StatusTests {
    @Test func statusListsWhatAKillLeftAndSettlesEachWay() async throws {
        try await withTemporaryDirectory { directory in
            let harness = ProviderHarness(directory: directory)
            try await harness.start()
            defer { Task { await harness.stop() } }
            harness.replicate.enqueue(.manual, .manual)
            let process = try harness.launch()
            #expect(await harness.waitUntil { harness.replicate.createCount == 2 })
            // Past `Prefer: wait`, so the create replies (and the ids) are journaled.
            try await Task.sleep(for: .milliseconds(1800))
            kill(process.processIdentifier, SIGKILL)
            _ = await waitForExit(process)
            func status(_ arguments: [String]) async throws -> ReelBinary.Result {
                try await ReelBinary.run(["status", "reel.yaml"] + arguments, in: directory, environment: harness.environment)
            }

            let listed = try await status(["--check", "--json"])
            #expect(listed.exitCode == 0, "\(listed.stderr)")
            let inFlight = listed.lastJSON?["in_flight"] as? [[String: Any]] ?? []
            let open = listed.lastJSON?["open_reservations"] as? [[String: Any]] ?? []
            #expect(inFlight.count == 2)
            #expect(open.count == 2)
            #expect(inFlight.allSatisfy { ($0["prediction_id"] as? String)?.isEmpty == false }, "\(listed.stdout)")
            #expect(inFlight.allSatisfy { ["starting", "processing"].contains($0["provider_status"] as? String ?? "") }, "\(inFlight)")
            #expect(inFlight.allSatisfy { ($0["output"] as? String)?.contains("after it finishes") == true })
            #expect(open.allSatisfy { $0["journaled"] as? Bool == true })
            let text = try await status([])
            #expect(text.stdout.contains("resume with `reel build`"))

            // A journaled prediction is never released behind the provider's back.
            let refused = try await status(["--release", "generate/0"])
            #expect(refused.exitCode == 1)
            #expect(refused.stderr.contains("journaled"))

            // Cancel it through the API: the journal entry goes and its reservation is settled.
            let cancelled = try await status(["--cancel", "generate/0"])
            #expect(cancelled.exitCode == 0, "\(cancelled.stderr) \(cancelled.stdout)")
            #expect(cancelled.stdout.contains("cancelled prediction"))
            #expect(harness.replicate.requests(matching: .cancelPrediction).count == 1)
            let after = try await status(["--json"])
            #expect((after.lastJSON?["in_flight"] as? [[String: Any]])?.count == 1)
            #expect((after.lastJSON?["open_reservations"] as? [[String: Any]])?.count == 1)

            // Resume: the next build picks up the other prediction without creating it again.
            for prediction in harness.replicate.predictions where !prediction.canceledByClient { _ = harness.replicate.complete(id: prediction.id) }
            let build = try await harness.build()
            #expect(build.exitCode == 0, "\(ProviderHarness.failures(build))")
            #expect(harness.replicate.createCount == 3, "generate/0 again (it was cancelled), generate/1 resumed")
            let done = try await status([])
            #expect(done.stdout.contains("Nothing in flight and no open reservations."))
        }
    }
}

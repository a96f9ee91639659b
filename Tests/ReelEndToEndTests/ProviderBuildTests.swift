import Foundation
import ReelBasics
import ReelTestSupport
import Testing

/// A paid preset built with the real `reel` binary against fake providers on 127.0.0.1.
@Suite(.enabled(if: Fixtures.hasFFmpeg, "needs ffmpeg"), .serialized)
struct ProviderBuildTests {
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

    @Test func rendersWithModelsAndARerunCallsNoProvider() async throws {
        try await withHarness { harness in
            let first = try await harness.build()
            #expect(first.exitCode == 0, "\(first.stderr)")
            #expect(harness.replicate.createCount == 2)
            #expect(harness.chat.completionCount == 1)
            let request = try #require(harness.chat.chatRequests.first)
            #expect(request.imageURLs.count == 3)
            #expect(request.imageURLs.allSatisfy { $0.hasPrefix("data:image/jpeg;base64,") })
            #expect(request.responseFormat?["type"]?.stringValue == "json_schema")
            #expect(request.allText.contains("calm") && request.allText.contains("sell coffee to stargazers"))
            // Frames went in the model's own fields, with the selector's motion prompt.
            for prediction in harness.replicate.predictions {
                let input = prediction.input
                #expect(input["image"]?.stringValue?.hasPrefix("data:image/jpeg;base64,") == true)
                #expect(input["last_frame"]?.stringValue?.hasPrefix("data:image/jpeg;base64,") == true)
                #expect(input["duration"]?.intValue == 6 && input["generate_audio"] == .bool(false))
            }
            let prompts = Set(harness.replicate.predictions.compactMap { $0.input["prompt"]?.stringValue })
            #expect(prompts == ["slow push in 0", "slow push in 1"])
            let output = try #require(first.lastJSON?["output"] as? String)
            #expect(abs((try await probeVideo(try #require(AbsolutePath(output)))).duration - 3.5) < 0.2)

            let replicateCalls = harness.replicate.requests.count
            let chatCalls = harness.chat.requests.count
            let second = try await harness.build()
            #expect(second.exitCode == 0)
            #expect(harness.replicate.requests.count == replicateCalls, "a rerun makes zero provider calls")
            #expect(harness.chat.requests.count == chatCalls)
            #expect(ProviderHarness.states(second).values.allSatisfy { $0 == "cached" })
        }
    }

    @Test func brandEditRerunsSelectionButNoClip() async throws {
        try await withHarness { harness in
            #expect(try await harness.build().exitCode == 0)
            try harness.writeManifest(voice: "bold and bright", count: 2)
            let result = try await harness.build()
            #expect(result.exitCode == 0, "\(result.stderr)")
            #expect(harness.chat.completionCount == 2)
            #expect(harness.replicate.createCount == 2, "same pairs back: no clip regenerated")
            #expect(ProviderHarness.states(result)["select"] == "built")
            #expect(ProviderHarness.states(result)["generate/0"] == "cached")
        }
    }

    @Test func transientFaultsEndInSuccessWithoutDuplicateCreates() async throws {
        try await withHarness { harness in
            harness.replicate.inject(.serverError(status: 503), times: 3, on: .getPrediction)
            harness.replicate.inject(.malformedJSON, times: 1, on: .getPrediction)
            harness.replicate.inject(.rateLimited(retryAfter: 1), times: 1, on: .createPrediction)
            harness.replicate.inject(.rateLimited(), times: 1, on: .createPrediction)
            harness.replicate.inject(.truncatedBody, times: 1, on: .download)
            harness.chat.inject(.serverError(status: 502), times: 2)
            let result = try await harness.build()
            #expect(result.exitCode == 0, "\(result.stderr)")
            #expect(harness.replicate.createCount == 2)
            #expect(result.stdout.contains("\"event\":\"retried\""))
        }
    }

    @Test func failedPredictionIsANodeErrorAndTheRestIsKept() async throws {
        try await withHarness { harness in
            harness.replicate.enqueue(.fails("content flagged by the safety filter"), .succeeds())
            let failed = try await harness.build(["--keep-going"])
            #expect(failed.exitCode == 1)
            let nodes = failed.lastJSON?["nodes"] as? [[String: Any]] ?? []
            let broken = nodes.first { $0["state"] as? String == "failed" }
            #expect((broken?["message"] as? String)?.contains("content flagged by the safety filter") == true)
            #expect(nodes.filter { $0["state"] as? String == "built" && ($0["id"] as? String)?.hasPrefix("generate/") == true }.count == 1)
            #expect(ProviderHarness.states(failed)["combine"] == "skipped")
            // The next run regenerates only the failed clip.
            let retried = try await harness.build()
            #expect(retried.exitCode == 0, "\(retried.stderr)")
            #expect(harness.replicate.createCount == 3)
        }
    }

    @Test func providerRefusalsAreClearErrors() async throws {
        try await withHarness { harness in
            harness.replicate.inject(.insufficientCredit, times: 1, on: .createPrediction)
            harness.replicate.inject(.invalidInput(field: "input.duration", message: "duration must be one of 4, 6, 8"), times: 1, on: .createPrediction)
            let result = try await harness.build(["--keep-going", "--jobs", "1"])
            #expect(result.exitCode == 1)
            let failures = ProviderHarness.failures(result)
            #expect(failures.contains("HTTP 402") && failures.contains("add credit"))
            #expect(failures.contains("input.duration"))
            #expect(harness.replicate.createCount == 0)
        }
    }

    @Test func wrongKeysAreReportedByTheProvidersWords() async throws {
        try await withHarness { harness in
            var environment = harness.environment
            environment["XAI_API_KEY"] = "xai-wrongwrongwrong"
            let result = try await ReelBinary.run(["build", "reel.yaml"], in: harness.directory, environment: environment)
            #expect(result.exitCode == 1)
            #expect(result.stderr.contains("Incorrect API key provided"))
            #expect(!result.stderr.contains("xai-wrongwrongwrong"))
            #expect(harness.replicate.requests.isEmpty)
        }
    }

    @Test func missingKeyFailsAtPlanTimeBeforeAnyCall() async throws {
        try await withHarness { harness in
            var environment = harness.environment
            environment["REPLICATE_API_TOKEN"] = "  "
            let plan = try await ReelBinary.run(["plan", "reel.yaml"], in: harness.directory, environment: environment)
            #expect(plan.exitCode == 1)
            #expect(plan.stderr.contains("REPLICATE_API_TOKEN is not set"))
            let build = try await ReelBinary.run(["build", "reel.yaml"], in: harness.directory, environment: environment)
            #expect(build.exitCode == 1)
            #expect(harness.replicate.requests.isEmpty && harness.chat.requests.isEmpty)
        }
    }

    @Test func expiredOutputIsReportedPlainly() async throws {
        try await withHarness { harness in
            harness.replicate.enqueue(FakeReplicate.Script(.polls(1), expiry: .dataRemoved), .succeeds())
            let result = try await harness.build(["--keep-going"])
            #expect(result.exitCode == 1)
            #expect(ProviderHarness.failures(result).contains("expired before it was downloaded"))
        }
    }

    @Test func killNineMidBuildThenRerunCreatesEachClipOnce() async throws {
        try await withHarness { harness in
            harness.replicate.enqueue(.manual, .manual)
            let process = try harness.launch()
            #expect(await harness.waitUntil { harness.replicate.createCount == 2 })
            // Let the ids reach the journal, then kill without warning.
            try await Task.sleep(for: .milliseconds(300))
            kill(process.processIdentifier, SIGKILL)
            _ = await waitForExit(process)
            for prediction in harness.replicate.predictions { _ = harness.replicate.complete(id: prediction.id) }
            let rerun = try await harness.build()
            #expect(rerun.exitCode == 0, "\(rerun.stderr)")
            #expect(harness.replicate.createCount == 2, "creates must equal clips after kill -9")
        }
    }

    /// Ctrl-C, and (issue 9 item 4) SIGTERM and SIGHUP — what CI runners send on timeout.
    @Test(arguments: [SIGINT, SIGTERM, SIGHUP])
    func interruptKeepsPredictionsForTheNextRun(_ signalNumber: Int32) async throws {
        try await withHarness { harness in
            harness.replicate.enqueue(.manual, .manual)
            let process = try harness.launch()
            #expect(await harness.waitUntil { harness.replicate.createCount == 2 })
            try await Task.sleep(for: .milliseconds(300))
            kill(process.processIdentifier, signalNumber)
            #expect(await waitForExit(process) == 130)
            #expect(harness.replicate.predictions.allSatisfy { !$0.canceledByClient })
            #expect(harness.allFiles().filter { $0.contains("/journal/") }.count == 2, "both predictions stay journaled")
            for prediction in harness.replicate.predictions { _ = harness.replicate.complete(id: prediction.id) }
            #expect(try await harness.build().exitCode == 0)
            #expect(harness.replicate.createCount == 2)
        }
    }

    @Test func interruptWithCancelFlagCancelsThroughTheAPI() async throws {
        try await withHarness { harness in
            harness.replicate.enqueue(.manual, .manual)
            let process = try harness.launch(["--cancel-on-interrupt"])
            #expect(await harness.waitUntil { harness.replicate.createCount == 2 })
            try await Task.sleep(for: .milliseconds(300))
            kill(process.processIdentifier, SIGINT)
            #expect(await waitForExit(process) == 130)
            #expect(harness.replicate.requests(matching: .cancelPrediction).count == 2)
        }
    }

    @Test func twoProcessesOnOneCacheCreateEachClipOnce() async throws {
        try await withHarness { harness in
            harness.replicate.defaultScript = .succeeds(after: .milliseconds(800))
            async let first = harness.build()
            async let second = harness.build()
            let (one, two) = try await (first, second)
            #expect(one.exitCode == 0, "\(ProviderHarness.failures(one))")
            #expect(two.exitCode == 0, "\(ProviderHarness.failures(two))")
            #expect(harness.replicate.createCount == 2)
        }
    }

    @Test func secretsNeverReachFilesOrOutput() async throws {
        try await withHarness { harness in
            harness.replicate.inject(.serverError(status: 500), times: 1, on: .getPrediction)
            harness.replicate.enqueue(.fails("boom"), .succeeds())
            let failing = try await harness.build(["--keep-going"])
            let passing = try await harness.build()
            #expect(passing.exitCode == 0, "\(passing.stderr)")
            let plan = try await ReelBinary.run(["plan", "reel.yaml", "--json"], in: harness.directory, environment: harness.environment)
            let secrets = [ProviderHarness.replicateToken, ProviderHarness.xaiKey]
            for output in [failing.stdout, failing.stderr, passing.stdout, passing.stderr, plan.stdout, plan.stderr] {
                for secret in secrets { #expect(!output.contains(secret)) }
            }
            let files = harness.allFiles()
            #expect(files.contains { $0.contains("/.reel/cache/v1/ac/") } && files.contains { $0.hasSuffix("ledger.sqlite") })
            for file in files {
                let data = (try? Data(contentsOf: URL(fileURLWithPath: file))) ?? Data()
                for secret in secrets {
                    #expect(data.range(of: Data(secret.utf8)) == nil, "\(file) contains a secret")
                }
            }
        }
    }

    @Test func largeImagesGoThroughTheFilesAPIOnceAndAreReused() async throws {
        try await withHarness { harness in
            // A noisy 800x600 PNG is far over the 256 KB inline limit.
            let big = harness.directory.appending("assets/nebula.png")
            let made = try await runProcess("ffmpeg", [
                "-nostdin", "-y", "-v", "error", "-f", "lavfi", "-i", "nullsrc=s=800x600", "-vf", "geq=lum='random(1)*255':cb=128:cr=128", "-frames:v", "1", big.pathString,
            ])
            #expect(made.exitCode == 0)
            #expect((try FileManager.default.attributesOfItem(atPath: big.pathString)[.size] as? Int ?? 0) > 256 * 1024)
            try writeFile("""
                version: 1
                campaign: {id: uploads}
                assets: [{glob: "assets/*"}]
                select: {pairs: [[rocket, nebula], [nebula, coffee]]}
                output: {path: out/uploads.mp4, resolution: 320x180, fps: 24}
                quality: balanced
                """, to: harness.directory.appending("reel.yaml"))
            let result = try await harness.build(["--jobs", "1"])
            #expect(result.exitCode == 0, "\(ProviderHarness.failures(result))")
            #expect(harness.replicate.files.count == 1, "the same image is uploaded once")
            let upload = try #require(harness.replicate.files.first)
            let inputs = harness.replicate.predictions.map(\.input)
            #expect(inputs.contains { $0["last_frame"]?.stringValue?.contains(upload.id) == true })
            #expect(inputs.contains { $0["image"]?.stringValue?.contains(upload.id) == true })
            #expect(inputs.allSatisfy { $0["image"]?.stringValue?.hasPrefix("data:") == true || $0["image"]?.stringValue?.hasPrefix("http") == true })
        }
    }

    @Test func wrongReplicateTokenAndUnknownModelAreClear() async throws {
        try await withHarness { harness in
            var environment = harness.environment
            environment["REPLICATE_API_TOKEN"] = "r8_notTheRightTokenAtAll"
            let unauthorised = try await ReelBinary.run(["build", "reel.yaml", "--json"], in: harness.directory, environment: environment)
            #expect(unauthorised.exitCode == 1)
            #expect(ProviderHarness.failures(unauthorised).contains("HTTP 401") && ProviderHarness.failures(unauthorised).contains("check the API key"))
            #expect(!unauthorised.stdout.contains("notTheRightToken") && !unauthorised.stderr.contains("notTheRightToken"))
            harness.replicate.inject(.notFound, times: 2, on: .createPrediction)
            let missing = try await harness.build(["--keep-going"])
            #expect(missing.exitCode == 1)
            #expect(ProviderHarness.failures(missing).contains("check the model name"))
            #expect(harness.replicate.createCount == 0)
        }
    }

    @Test func slowAnswersTimeOutAndAreRetried() async throws {
        try await withHarness { harness in
            harness.replicate.inject(.slow(.seconds(3)), times: 2, on: .getPrediction)
            var environment = harness.environment
            environment["REEL_HTTP_TIMEOUT_S"] = "1"
            let result = try await ReelBinary.run(["build", "reel.yaml", "--json"], in: harness.directory, environment: environment)
            #expect(result.exitCode == 0, "\(ProviderHarness.failures(result))")
            #expect(result.stdout.contains("timed out"))
            #expect(harness.replicate.createCount == 2)
        }
    }

    @Test func aPredictionFinishedWithinPreferWaitNeedsNoPolling() async throws {
        try await withHarness { harness in
            harness.replicate.enqueue(FakeReplicate.Script(.immediate), FakeReplicate.Script(.immediate))
            let result = try await harness.build()
            #expect(result.exitCode == 0, "\(ProviderHarness.failures(result))")
            #expect(harness.replicate.predictions.allSatisfy { $0.createStatus == 201 && $0.pollCount == 0 })
            #expect(harness.replicate.predictions.allSatisfy { $0.prefer?.hasPrefix("wait") == true })
            #expect(harness.replicate.requests(matching: .getPrediction).isEmpty)
        }
    }

    @Test func aCreateWhoseReplyIsGarbledIsFoundAgainNotRecreated() async throws {
        try await withHarness { harness in
            // The fake creates (and will bill) the prediction but sends half a body.
            harness.replicate.inject(.malformedJSON, times: 1, on: .createPrediction)
            let result = try await harness.build()
            #expect(result.exitCode == 0, "\(ProviderHarness.failures(result))")
            #expect(harness.replicate.createCount == 2, "the garbled create was reconciled, not paid twice")
            #expect(result.stdout.contains("whose create response was lost") || result.stdout.contains("resuming"))
        }
    }
}

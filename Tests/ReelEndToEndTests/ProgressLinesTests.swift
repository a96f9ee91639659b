import Foundation
import ReelBasics
import ReelTestSupport
import Testing

/// Build progress as people and scripts see it: plain timestamped lines when standard error is
/// not a terminal (here it is a file), the NDJSON event stream with `--json`, `--quiet`, `NO_COLOR`,
/// and the live view on a pseudo-terminal.
@Suite(.enabled(if: Fixtures.hasFFmpeg, "needs ffmpeg"), .serialized)
struct ProgressLinesTests {
    /// `[HH:MM:SS] ` at the start of every plain progress line.
    static let stamp = #"\[\d\d:\d\d:\d\d\] "#

    static func line(_ pattern: String) throws -> Regex<AnyRegexOutput> {
        try Regex(stamp + pattern)
    }

    /// Builds the campaign once (everything built), then changes coffee (so generate/1 is rebuilt)
    /// and adds a third pair ending on an image ffmpeg fails on (so generate/2 fails, and combine is
    /// skipped). generate/0 stays cached.
    static func prepareMixedBuild(_ campaign: SeeingCampaign) async throws {
        try campaign.addImageTheAnimaticFailsOn("broken")
        try await campaign.buildSucceeds()
        try campaign.replace("coffee", withPhoto: "chelsea.jpg")
        try campaign.writeManifest(pairs: SeeingCampaign.defaultPairs + [("coffee", "broken")])
    }

    // MARK: - Plain lines

    @Test func plainLinesForCachedBuiltFailedAndSkippedNodes() async throws {
        try await withTemporaryDirectory { directory in
            let campaign = try SeeingCampaign(directory: directory)
            try await Self.prepareMixedBuild(campaign)
            let result = try await campaign.build(["--keep-going"])
            #expect(result.exitCode == 1)
            #expect(result.stdout.isEmpty, "a failed build prints its summary on standard error")
            #expect(!result.stderr.contains("\u{1B}"))

            let lines = OutputLines.of(result.stderr)
            let summary = try #require(lines.firstIndex { $0.hasPrefix("build failed") }, "\(result.stderr)")
            #expect(lines[summary] == "build failed (1 built, 1 cached, 1 failed, 1 skipped)")
            #expect(lines.indices.contains(summary + 1) && lines[summary + 1].hasPrefix("error: generate/2: "))

            // Every progress line is one line, with its timestamp: no continuation lines in a CI log.
            let progress = Array(lines[..<summary])
            let shape = try Self.line(#"(plan: |start   |cached  |built   |FAILED  |skipped ).+"#)
            for line in progress {
                #expect(line.wholeMatch(of: shape) != nil, "not a progress line: \(line)")
            }

            func position(_ pattern: String) throws -> Int? {
                let regex = try Self.line(pattern)
                let found = progress.indices.filter { progress[$0].wholeMatch(of: regex) != nil }
                #expect(found.count == 1, "expected exactly one line matching \(pattern) in:\n\(progress.joined(separator: "\n"))")
                return found.first
            }
            let plan = try #require(try position(#"plan: 3 of 4 nodes to run"#))
            let cached = try #require(try position(#"cached  generate/0  rocket -> astronaut"#))
            let startedClip = try #require(try position(#"start   generate/1  astronaut -> coffee"#))
            let builtClip = try #require(try position(#"built   generate/1  astronaut -> coffee  \(\d+\.\d\d s\)"#))
            let startedBroken = try #require(try position(#"start   generate/2  coffee -> broken"#))
            let failed = try #require(try position(#"FAILED  generate/2  coffee -> broken: .+"#))
            let skipped = try #require(try position(#"skipped combine  \(needs generate/2\)"#))
            #expect(progress.count == 7, "one line per event:\n\(progress.joined(separator: "\n"))")
            #expect(plan == 0)
            #expect(plan < cached && plan < startedClip && plan < startedBroken)
            #expect(startedClip < builtClip)
            #expect(startedBroken < failed && failed < skipped && builtClip < skipped)
        }
    }

    @Test func plainLinesForACleanBuildThenAllCached() async throws {
        try await withTemporaryDirectory { directory in
            let campaign = try SeeingCampaign(directory: directory)
            let first = try await campaign.buildSucceeds()
            #expect(OutputLines.of(first.stdout) == ["out/seeing.mp4  (3 built, 0 cached, 0 failed, 0 skipped)"])
            let lines = OutputLines.of(first.stderr)
            #expect(lines.first?.wholeMatch(of: try Self.line("plan: 3 of 3 nodes to run")) != nil, "\(first.stderr)")
            for node in ["generate/0  rocket -> astronaut", "generate/1  astronaut -> coffee", "combine  out/seeing.mp4"] {
                let started = lines.firstIndex { $0.wholeMatch(of: try! Self.line("start   " + node)) != nil }
                let built = lines.firstIndex { $0.wholeMatch(of: try! Self.line("built   " + node + #"  \(\d+\.\d\d s\)"#)) != nil }
                #expect(started != nil && built != nil && started! < built!, "\(node) in:\n\(first.stderr)")
            }
            // combine starts only after both clips are built.
            let combine = try #require(lines.firstIndex { $0.contains("start   combine") })
            #expect(lines[..<combine].filter { $0.contains("built   generate/") }.count == 2)

            let second = try await campaign.buildSucceeds()
            #expect(OutputLines.of(second.stdout) == ["out/seeing.mp4  (0 built, 3 cached, 0 failed, 0 skipped)"])
            let stamped = try Regex(Self.stamp + ".*")
            let again = OutputLines.of(second.stderr).filter { $0.wholeMatch(of: stamped) != nil }
            #expect(again.count == 4, "\(second.stderr)")
            #expect(again.first?.wholeMatch(of: try Self.line("plan: 0 of 3 nodes to run")) != nil)
            #expect(again.filter { $0.wholeMatch(of: try! Self.line("cached  (generate/[01]|combine)  .+")) != nil }.count == 3)
            #expect(!second.stderr.contains("start"))
        }
    }

    // MARK: - NDJSON

    /// What every event carries, by name.
    static let eventFields: [String: Set<String>] = [
        "planned": ["event", "time", "total", "stale"],
        "checked": ["event", "time", "images", "seconds"],
        "started": ["event", "time", "node", "label"],
        "cached": ["event", "time", "node", "label"],
        "built": ["event", "time", "node", "label", "seconds"],
        "failed": ["event", "time", "node", "label", "message"],
        "skipped": ["event", "time", "node", "label", "because"],
        "waiting": ["event", "time", "node", "label"],
        "retried": ["event", "time", "node", "attempt", "reason"],
        "spend": ["event", "time", "node", "usd"],
        "note": ["event", "time", "message"],
        "storyboard": ["event", "time", "path", "seconds"],
    ]

    /// Checks that `stdout` is NDJSON: one object per line, documented events with their fields,
    /// and a final summary object (no `event`). Returns the events and the summary.
    static func parseStream(_ stdout: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> (events: [[String: Any]], summary: [String: Any]) {
        #expect(stdout.hasSuffix("\n"), "NDJSON ends with a newline", sourceLocation: sourceLocation)
        let lines = stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
        #expect(!lines.contains(""), "no empty lines", sourceLocation: sourceLocation)
        var objects: [[String: Any]] = []
        for line in lines {
            let object = try #require(OutputLines.object(line), "not a JSON object: \(line)", sourceLocation: sourceLocation)
            objects.append(object)
        }
        let summary = try #require(objects.last, "no output", sourceLocation: sourceLocation)
        let events = Array(objects.dropLast())
        #expect(summary["event"] == nil, "the last line is the summary, not an event", sourceLocation: sourceLocation)
        for key in ["campaign", "succeeded", "interrupted", "nodes", "clips", "lockfile_changed", "output"] {
            #expect(summary[key] != nil, "the summary has '\(key)'", sourceLocation: sourceLocation)
        }
        #expect(summary["campaign"] as? String == "seeing" || summary["campaign"] as? String == "paid", sourceLocation: sourceLocation)
        for node in summary["nodes"] as? [[String: Any]] ?? [] {
            for key in ["id", "kind", "state", "label"] {
                #expect(node[key] is String, "summary node \(node) has '\(key)'", sourceLocation: sourceLocation)
            }
        }

        let time = #/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/#
        var started: Set<String> = []
        for (index, event) in events.enumerated() {
            let name = try #require(event["event"] as? String, "no 'event' in \(event)", sourceLocation: sourceLocation)
            let fields = try #require(eventFields[name], "undocumented event '\(name)'", sourceLocation: sourceLocation)
            #expect(Set(event.keys) == fields, "\(name) carries \(fields.sorted()), not \(event.keys.sorted())", sourceLocation: sourceLocation)
            #expect((event["time"] as? String)?.wholeMatch(of: time) != nil, "time of \(event)", sourceLocation: sourceLocation)
            #expect((name == "planned") == (index == 0), "planned comes first, once", sourceLocation: sourceLocation)
            let node = event["node"] as? String
            switch name {
            case "planned":
                #expect(event["total"] is Int && event["stale"] is Int, sourceLocation: sourceLocation)
            case "checked":
                #expect(index == 1, "checked comes right after planned", sourceLocation: sourceLocation)
                #expect((event["images"] as? Int).map { $0 >= 1 } == true, sourceLocation: sourceLocation)
            case "started":
                started.insert(node ?? "")
            case "built":
                #expect(started.contains(node ?? ""), "\(node ?? "?") built before it started", sourceLocation: sourceLocation)
                #expect(OutputLines.number(event["seconds"]).map { $0 >= 0 } == true, sourceLocation: sourceLocation)
            case "failed":
                #expect(!(event["message"] as? String ?? "").isEmpty, sourceLocation: sourceLocation)
            case "skipped":
                #expect(event["because"] is String, sourceLocation: sourceLocation)
            case "retried":
                #expect((event["attempt"] as? Int).map { $0 >= 1 } == true && event["reason"] is String, sourceLocation: sourceLocation)
            case "spend":
                #expect(OutputLines.number(event["usd"]).map { $0 >= 0 } == true, sourceLocation: sourceLocation)
            default:
                break
            }
        }
        return (events, summary)
    }

    static func events(_ events: [[String: Any]], named name: String) -> [String] {
        events.filter { $0["event"] as? String == name }.map { $0["node"] as? String ?? "" }
    }

    @Test func jsonIsOneEventPerLineThenASummary() async throws {
        try await withTemporaryDirectory { directory in
            let campaign = try SeeingCampaign(directory: directory)
            try campaign.addImageTheAnimaticFailsOn("broken")
            let clean = try await campaign.build(["--json"])
            #expect(clean.exitCode == 0, "\(clean.stderr)")
            #expect(!clean.stderr.contains("built"), "with --json, progress goes to standard output only")
            let first = try Self.parseStream(clean.stdout)
            let planned = try #require(first.events.first)
            #expect(planned["total"] as? Int == 3 && planned["stale"] as? Int == 3)
            // Four images seen for the first time, each decoded once to check it.
            #expect(first.events.filter { $0["event"] as? String == "checked" }.map { $0["images"] as? Int } == [4])
            #expect(Set(Self.events(first.events, named: "started")) == ["generate/0", "generate/1", "combine"])
            #expect(Set(Self.events(first.events, named: "built")) == ["generate/0", "generate/1", "combine"])
            #expect(Self.events(first.events, named: "built").last == "combine")
            #expect(first.summary["succeeded"] as? Bool == true)
            #expect((first.summary["output"] as? String)?.hasSuffix("/out/seeing.mp4") == true)
            #expect((first.summary["output_digest"] as? String)?.hasPrefix("sha256:") == true)
            #expect((first.summary["clips"] as? [String])?.count == 2)

            try campaign.replace("coffee", withPhoto: "chelsea.jpg")
            try campaign.writeManifest(pairs: SeeingCampaign.defaultPairs + [("coffee", "broken")])
            let mixed = try await campaign.build(["--json", "--keep-going"])
            #expect(mixed.exitCode == 1)
            let second = try Self.parseStream(mixed.stdout)
            #expect(second.events.first?["total"] as? Int == 4 && second.events.first?["stale"] as? Int == 3)
            // Only the replaced image is new content.
            #expect(second.events.filter { $0["event"] as? String == "checked" }.map { $0["images"] as? Int } == [1])
            #expect(Self.events(second.events, named: "cached") == ["generate/0"])
            #expect(Self.events(second.events, named: "built") == ["generate/1"])
            #expect(Self.events(second.events, named: "failed") == ["generate/2"])
            #expect(Self.events(second.events, named: "skipped") == ["combine"])
            let skipped = try #require(second.events.first { $0["event"] as? String == "skipped" })
            #expect(skipped["because"] as? String == "generate/2")
            #expect(second.summary["succeeded"] as? Bool == false)
            #expect(second.summary["output"] is NSNull)
            let states = Dictionary(uniqueKeysWithValues: (second.summary["nodes"] as? [[String: Any]] ?? []).map {
                ($0["id"] as? String ?? "", $0["state"] as? String ?? "")
            })
            #expect(states == ["generate/0": "cached", "generate/1": "built", "generate/2": "failed", "combine": "skipped"])
        }
    }

    @Test func jsonFromPaidBuildCarriesSpendRetriesAndNotes() async throws {
        try await withTemporaryDirectory { directory in
            let harness = ProviderHarness(directory: directory)
            try await harness.start()
            do {
                harness.replicate.inject(.serverError(status: 503), times: 1, on: .getPrediction)
                let result = try await harness.build()
                #expect(result.exitCode == 0, "\(ProviderHarness.failures(result))")
                let stream = try Self.parseStream(result.stdout)
                let names = Set(stream.events.compactMap { $0["event"] as? String })
                #expect(names.isSuperset(of: ["planned", "started", "built", "spend", "retried", "note"]), "\(names.sorted())")
                #expect(Set(Self.events(stream.events, named: "spend")).isSuperset(of: ["generate/0", "generate/1"]))
                let notes = stream.events.filter { $0["event"] as? String == "note" }.compactMap { $0["message"] as? String }
                #expect(notes.contains { $0.hasPrefix("generate/0: prediction ") && $0.hasSuffix(" created") }, "\(notes)")
                #expect(!result.stdout.contains(ProviderHarness.replicateToken))
            } catch {
                await harness.stop()
                throw error
            }
            await harness.stop()
        }
    }

    @Test func jsonReportsWaitingForAnotherProcess() async throws {
        try await withTemporaryDirectory { directory in
            let harness = ProviderHarness(directory: directory)
            try await harness.start()
            var processes: [Process] = []
            do {
                harness.replicate.enqueue(.manual, .manual)
                // The first build holds both clips' locks while its predictions run.
                processes.append(try harness.launch())
                #expect(await harness.waitUntil { harness.replicate.createCount == 2 })
                let output = directory.appending("second.ndjson")
                let second = try Self.launch(["build", "reel.yaml", "--json"], in: directory, environment: harness.environment, stdout: output)
                processes.append(second)
                let waited = await harness.waitUntil {
                    (FileManager.default.contents(atPath: output.pathString).map { String(decoding: $0, as: UTF8.self) } ?? "")
                        .contains(#""event":"waiting""#)
                }
                #expect(waited, "the second build says it waits for the first")
                for prediction in harness.replicate.predictions { _ = harness.replicate.complete(id: prediction.id) }
                #expect(await waitForExit(processes[0]) == 0)
                #expect(await waitForExit(second) == 0)
                let text = String(decoding: FileManager.default.contents(atPath: output.pathString) ?? Data(), as: UTF8.self)
                let stream = try Self.parseStream(text)
                #expect(Set(Self.events(stream.events, named: "waiting")).isSuperset(of: ["generate/0", "generate/1"]))
                // It then takes the first build's clips from the cache: no second prediction.
                #expect(Set(Self.events(stream.events, named: "cached")).isSuperset(of: ["generate/0", "generate/1"]))
                #expect(harness.replicate.createCount == 2)
            } catch {
                for process in processes where process.isRunning { kill(process.processIdentifier, SIGKILL) }
                await harness.stop()
                throw error
            }
            await harness.stop()
        }
    }

    /// Starts `reel` with its standard output in a file (read while it runs).
    static func launch(_ arguments: [String], in directory: AbsolutePath, environment: [String: String], stdout: AbsolutePath) throws -> Process {
        FileManager.default.createFile(atPath: stdout.pathString, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ReelBinary.path)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory.pathString)
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }.merging(["NO_COLOR": "1"]) { $1 }
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdout.pathString))
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return process
    }

    // MARK: - Quiet and colour

    @Test func quietPrintsOnlyErrors() async throws {
        try await withTemporaryDirectory { directory in
            let campaign = try SeeingCampaign(directory: directory)
            let clean = try await campaign.build(["--quiet"])
            #expect(clean.exitCode == 0)
            #expect(clean.stdout.isEmpty && clean.stderr.isEmpty, "a good build is silent: \(clean.stdout)\(clean.stderr)")

            try await Self.prepareMixedBuild(campaign)
            let result = try await campaign.build(["--quiet", "--keep-going"])
            #expect(result.exitCode == 1)
            #expect(result.stdout.isEmpty)
            let lines = OutputLines.of(result.stderr)
            let failed = try Self.line(#"FAILED  generate/2  coffee -> broken: .+"#)
            #expect(lines.filter { $0.wholeMatch(of: failed) != nil }.count == 1, "\(result.stderr)")
            #expect(lines.contains("build failed (1 built, 1 cached, 1 failed, 1 skipped)"))
            #expect(lines.contains { $0.hasPrefix("error: generate/2: ") })
            let chatter = try Self.line("(plan: |start   |cached  |built   |skipped ).*")
            #expect(!lines.contains { $0.wholeMatch(of: chatter) != nil }, "\(result.stderr)")
            #expect(!result.stderr.contains("storyboard:"))
        }
    }

    @Test func noEscapeCodesWhenNotATerminalOrWithNoColor() async throws {
        try await withTemporaryDirectory { directory in
            let campaign = try SeeingCampaign(directory: directory)
            let withNoColor = try await campaign.build()  // ReelBinary sets NO_COLOR=1
            #expect(withNoColor.exitCode == 0)
            #expect(!withNoColor.stdout.contains("\u{1B}") && !withNoColor.stderr.contains("\u{1B}"))
            // Without NO_COLOR (and a colour terminal type) but into a file: still plain.
            try await Self.prepareMixedBuild(campaign)
            let plain = try await runProcess(
                "/usr/bin/env", ["-u", "NO_COLOR", "TERM=xterm-256color", ReelBinary.path, "build", "reel.yaml", "--keep-going"], in: directory,
                environment: campaign.environment)
            #expect(plain.exitCode == 1)
            #expect(plain.stderr.contains("FAILED  generate/2"))
            #expect(!plain.stdout.contains("\u{1B}") && !plain.stderr.contains("\u{1B}"))
        }
    }

    // MARK: - The live view (a pseudo-terminal from util-linux `script`)

    static var hasScript: Bool {
        #if os(Linux)
            return FileManager.default.isExecutableFile(atPath: "/usr/bin/script")
        #else
            return false
        #endif
    }

    /// Runs `reel <arguments>` with standard error (and output) on a pseudo-terminal.
    static func onTerminal(_ arguments: [String], campaign: SeeingCampaign, environment: [String]) async throws -> ProcessOutcome {
        let quoted = ([ReelBinary.path] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: #"'\''"#) + "'" }
        let command = (["env", "-u", "NO_COLOR"] + environment).joined(separator: " ") + " " + quoted.joined(separator: " ")
        return try await runProcess("/usr/bin/script", ["-qec", command, "/dev/null"], in: campaign.directory, environment: campaign.environment)
    }

    /// Every progress bar drawn: (done, total, the rest of its line).
    static func bars(_ text: String) -> [(done: Int, total: Int, line: String)] {
        text.matches(of: #/\[[#-]{30}\] (\d+)/(\d+)([^\r\n]*)/#).map { (Int($0.1) ?? -1, Int($0.2) ?? -1, String($0.3)) }
    }

    @Test(.enabled(if: ProgressLinesTests.hasScript, "needs util-linux script for a pseudo-terminal"))
    func liveViewOnATerminalHonoursNoColor() async throws {
        try await withTemporaryDirectory { directory in
            let campaign = try SeeingCampaign(directory: directory)
            let colour = try await Self.onTerminal(["build", "reel.yaml"], campaign: campaign, environment: ["TERM=xterm-256color"])
            #expect(colour.exitCode == 0, "\(colour.stdout)")
            #expect(colour.stdout.contains("\u{1B}[32mbuilt\u{1B}[0m   generate/0  rocket -> astronaut"), "\(colour.stdout)")
            let drawn = Self.bars(colour.stdout)
            #expect(drawn.contains { $0.done == 3 && $0.total == 3 }, "\(colour.stdout)")
            #expect(colour.stdout.firstMatch(of: #/\[\d\d:\d\d:\d\d\] plan:/#) == nil, "no plain lines on a terminal")

            // A forced clip that comes back identical: combine is then cached (early cutoff), so
            // fewer nodes run than were planned. NO_COLOR: the same view without colour.
            let plain = try await Self.onTerminal(
                ["build", "reel.yaml", "--force", "generate/0"], campaign: campaign, environment: ["TERM=xterm-256color", "NO_COLOR=1"])
            #expect(plain.exitCode == 0, "\(plain.stdout)")
            #expect(plain.stdout.contains("built   generate/0  rocket -> astronaut"))
            #expect(plain.stdout.firstMatch(of: #/\x1B\[[0-9;]*m/#) == nil, "NO_COLOR output has colour codes")
            let bars = Self.bars(plain.stdout)
            #expect(!bars.isEmpty)
            for bar in bars + drawn where bar.done == bar.total {
                #expect(!bar.line.contains("ETA"), "an ETA with nothing left to do: \(bar)")
            }

            // TERM=dumb: plain lines, no escape codes at all.
            let dumb = try await Self.onTerminal(["build", "reel.yaml"], campaign: campaign, environment: ["TERM=dumb"])
            #expect(dumb.exitCode == 0)
            #expect(!dumb.stdout.contains("\u{1B}"))
            #expect(dumb.stdout.firstMatch(of: #/\[\d\d:\d\d:\d\d\] plan: 0 of 3 nodes to run/#) != nil, "\(dumb.stdout)")
        }
    }
}

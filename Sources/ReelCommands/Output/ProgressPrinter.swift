import Foundation
import ReelBasics
import ReelEngine
import ReelGraph
import ReelManifest

/// Renders build events: a live view on a terminal, plain timestamped lines otherwise (good in
/// CI logs), or an NDJSON event stream on standard output with `--json`.
struct ProgressPrinter: Sendable {
    let json: Bool
    let quiet: Bool
    let verbose: Bool
    /// Name nodes with their campaign (`spring:generate/3`): a build of several campaigns.
    let qualified: Bool
    /// The live terminal view, when standard error is a terminal.
    let live: LiveProgress?

    init(
        json: Bool, quiet: Bool, verbose: Bool, qualified: Bool = false,
        terminal: Bool = isatty(2) != 0 && ProcessInfo.processInfo.environment["TERM"] != "dumb"
    ) {
        self.json = json
        self.quiet = quiet
        self.verbose = verbose
        self.qualified = qualified
        live = !json && !quiet && terminal ? LiveProgress(color: Console.useColor, qualified: qualified) : nil
        live?.start()
    }

    func handle(_ event: BuildEvent) {
        if json {
            Console.json(ProgressPrinter.object(for: event, qualified: qualified))
            return
        }
        if let live {
            live.handle(event)
            return
        }
        if quiet, case .failed = event {} else if quiet { return }
        let stamp = Timestamp.clock()
        switch event {
        case .planned(let total, let stale):
            Console.err("[\(stamp)] plan: \(stale) of \(total) nodes to run")
        case .started(let id, let label):
            Console.err("[\(stamp)] start   \(name(id))  \(label)")
        case .cached(let id, let label):
            if verbose || id.kind != .features { Console.err("[\(stamp)] cached  \(name(id))  \(label)") }
        case .fetched(let id, let label, let seconds):
            Console.err("[\(stamp)] fetched \(name(id))  \(label)  (remote cache, \(String(format: "%.2f", seconds)) s)")
        case .built(let id, let label, let seconds):
            Console.err("[\(stamp)] built   \(name(id))  \(label)  (\(String(format: "%.2f", seconds)) s)")
        case .failed(let id, let label, let message):
            Console.err("[\(stamp)] FAILED  \(name(id))  \(label): \(ProgressPrinter.oneLine(message))")
        case .skipped(let id, _, let blocker):
            Console.err("[\(stamp)] skipped \(name(id))  (needs \(name(blocker)))")
        case .waiting(let id, let label):
            Console.err("[\(stamp)] waiting \(name(id))  \(label): another reel process is building it")
        case .retrying(let id, let attempt, let reason):
            Console.err("[\(stamp)] retry   \(name(id))  attempt \(attempt): \(ProgressPrinter.oneLine(reason))")
        case .spent(let id, let amount):
            Console.err("[\(stamp)] spent   \(name(id))  \(usd(amount))")
        case .note(let message):
            Console.err("[\(stamp)] note    \(ProgressPrinter.oneLine(message))")
        case .imagesChecked:
            break  // in the NDJSON stream only; the plan line is what people read first
        }
    }

    /// A storyboard was written: an event in the NDJSON stream (for people its location is printed
    /// after the summary, by the command).
    func storyboard(_ path: AbsolutePath, seconds: Double) {
        guard json else { return }
        Console.json([
            "event": "storyboard", "time": Timestamp.iso8601(Date(), milliseconds: false), "path": path.relative(to: AbsolutePath.currentDirectory),
            "seconds": seconds,
        ])
    }

    static func object(for event: BuildEvent, qualified: Bool = false) -> [String: Any] {
        func name(_ id: NodeID) -> String { qualified ? id.qualified : id.rawValue }
        let time = Timestamp.iso8601(Date(), milliseconds: false)
        switch event {
        case .planned(let total, let stale): return ["event": "planned", "time": time, "total": total, "stale": stale]
        case .imagesChecked(let images, let seconds): return ["event": "checked", "time": time, "images": images, "seconds": seconds]
        case .started(let id, let label): return ["event": "started", "time": time, "node": name(id), "label": label]
        case .cached(let id, let label): return ["event": "cached", "time": time, "node": name(id), "label": label]
        case .fetched(let id, let label, let seconds):
            return ["event": "cached", "source": "remote", "time": time, "node": name(id), "label": label, "seconds": seconds]
        case .built(let id, let label, let seconds):
            return ["event": "built", "time": time, "node": name(id), "label": label, "seconds": seconds]
        case .failed(let id, let label, let message):
            return ["event": "failed", "time": time, "node": name(id), "label": label, "message": message]
        case .skipped(let id, let label, let blocker):
            return ["event": "skipped", "time": time, "node": name(id), "label": label, "because": name(blocker)]
        case .waiting(let id, let label): return ["event": "waiting", "time": time, "node": name(id), "label": label]
        case .retrying(let id, let attempt, let reason):
            return ["event": "retried", "time": time, "node": name(id), "attempt": attempt, "reason": reason]
        case .spent(let id, let amount): return ["event": "spend", "time": time, "node": name(id), "usd": amount]
        case .note(let message): return ["event": "note", "time": time, "message": message]
        }
    }

    /// A message on one line (ffmpeg's errors span many), so every progress line is one event with
    /// its timestamp; the summary repeats failures in full.
    /// How a node is named in output.
    func name(_ id: NodeID) -> String {
        qualified ? id.qualified : id.rawValue
    }

    static func oneLine(_ message: String) -> String {
        message.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: " | ")
    }


    /// The closing summary of one campaign: a line for people, or the final JSON object for scripts.
    func summary(_ result: BuildResult, campaign: ResolvedCampaign) {
        live?.finish()
        if json {
            Console.json(summaryObject(result, campaign: campaign))
            return
        }
        summaryText(result, campaign: nil)
    }

    /// The closing summary of a build of several campaigns (or of one shard): a block per campaign,
    /// then a total; with `--json`, one object with a section per campaign.
    func batchSummary(_ builds: [CampaignBuild], succeeded: Bool, shard: String?) {
        live?.finish()
        if json {
            var object: [String: Any] = [
                "succeeded": succeeded, "interrupted": builds.contains { $0.result.interrupted },
                "campaigns": builds.map { summaryObject($0.result, campaign: $0.campaign) },
            ]
            if let shard { object["shard"] = shard }
            Console.json(object)
            return
        }
        for build in builds { summaryText(build.result, campaign: build.campaign.campaign.id) }
        let failed = builds.filter { !$0.result.completedItsPart }.count
        let line = "\(shard.map { "shard \($0): " } ?? "")\(builds.count) campaign\(builds.count == 1 ? "" : "s"), \(failed) failed"
        if failed == 0 { if !quiet { Console.out(line) } } else { Console.err(line) }
    }

    func summaryObject(_ result: BuildResult, campaign: ResolvedCampaign) -> [String: Any] {
        var object: [String: Any] = [
            "campaign": campaign.campaign.id,
            "succeeded": result.succeeded,
            "interrupted": result.interrupted,
            "nodes": result.nodes.map { node -> [String: Any] in
                var entry: [String: Any] = ["id": name(node.id), "kind": node.kind.rawValue, "state": node.state.rawValue, "label": node.label]
                if node.state == .cached { entry["source"] = node.result?.fromRemote == true ? "remote" : "local" }
                if let message = node.message { entry["message"] = message }
                if let detail = node.detail { entry["detail"] = detail }
                if let digest = node.outputDigest { entry["output_digest"] = digest.description }
                if node.state == .built { entry["seconds"] = node.seconds; entry["reason"] = node.reason.description }
                return entry
            },
            "clips": result.clips.map(\.pathString),
            "lockfile_changed": result.lockfileChanged,
            "remote_hits": result.remoteHits,
        ]
        if let placementError = result.placementError { object["error"] = placementError }
        object["output"] = result.video?.pathString ?? NSNull()
        if let digest = result.videoDigest { object["output_digest"] = digest.description }
        if !result.variants.isEmpty {
            object["variants"] = result.variants.map { variant -> [String: Any] in
                [
                    "name": variant.name, "output": variant.video?.pathString ?? NSNull(), "output_digest": variant.videoDigest?.description ?? NSNull(),
                    "clips": variant.clips.map(\.pathString), "clip_nodes": variant.clipNodes.map { name($0) },
                ]
            }
        }
        return object
    }

    private func summaryText(_ result: BuildResult, campaign: String?) {
        let prefix = campaign.map { "\($0): " } ?? ""
        let remote = result.remoteHits > 0 ? " (\(result.remoteHits) from the remote cache)" : ""
        var counts = "\(result.count(.built)) built, \(result.count(.cached)) cached\(remote), \(result.failureCount) failed, \(result.count(.skipped)) skipped"
        let deferred = result.count(.deferred)
        if deferred > 0 { counts += ", \(deferred) left to other jobs" }
        if result.succeeded, let video = result.video {
            let shown = ([video] + result.variants.dropFirst().compactMap(\.video)).map { $0.relative(to: AbsolutePath.currentDirectory) }
            if !quiet { Console.out("\(prefix)\(shown.joined(separator: ", "))  (\(counts))") }
        } else if result.interrupted {
            Console.err("\(prefix)interrupted (\(counts)); run `reel build` again to continue")
        } else if result.completedItsPart {
            if !quiet { Console.out("\(prefix)done with this job's part (\(counts))") }
        } else {
            Console.err("\(prefix)build failed (\(counts))")
            for node in result.nodes where node.state == .failed {
                Console.err("error: \(name(node.id)): \(node.message ?? "failed")")
                if verbose, let detail = node.detail { Console.err(detail) }
            }
            if let placementError = result.placementError { Console.err("error: \(placementError)") }
        }
    }
}

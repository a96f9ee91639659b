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
    /// The live terminal view, when standard error is a terminal.
    let live: LiveProgress?

    init(json: Bool, quiet: Bool, verbose: Bool, terminal: Bool = isatty(2) != 0 && ProcessInfo.processInfo.environment["TERM"] != "dumb") {
        self.json = json
        self.quiet = quiet
        self.verbose = verbose
        live = !json && !quiet && terminal ? LiveProgress(color: Console.useColor) : nil
        live?.start()
    }

    func handle(_ event: BuildEvent) {
        if json {
            Console.json(ProgressPrinter.object(for: event))
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
            Console.err("[\(stamp)] start   \(id)  \(label)")
        case .cached(let id, let label):
            if verbose || id.kind != .features { Console.err("[\(stamp)] cached  \(id)  \(label)") }
        case .fetched(let id, let label, let seconds):
            Console.err("[\(stamp)] fetched \(id)  \(label)  (remote cache, \(String(format: "%.2f", seconds)) s)")
        case .built(let id, let label, let seconds):
            Console.err("[\(stamp)] built   \(id)  \(label)  (\(String(format: "%.2f", seconds)) s)")
        case .failed(let id, let label, let message):
            Console.err("[\(stamp)] FAILED  \(id)  \(label): \(ProgressPrinter.oneLine(message))")
        case .skipped(let id, _, let blocker):
            Console.err("[\(stamp)] skipped \(id)  (needs \(blocker))")
        case .waiting(let id, let label):
            Console.err("[\(stamp)] waiting \(id)  \(label): another reel process is building it")
        case .retrying(let id, let attempt, let reason):
            Console.err("[\(stamp)] retry   \(id)  attempt \(attempt): \(ProgressPrinter.oneLine(reason))")
        case .spent(let id, let amount):
            Console.err("[\(stamp)] spent   \(id)  \(usd(amount))")
        case .note(let message):
            Console.err("[\(stamp)] note    \(ProgressPrinter.oneLine(message))")
        }
    }

    static func object(for event: BuildEvent) -> [String: Any] {
        let time = Timestamp.iso8601(Date(), milliseconds: false)
        switch event {
        case .planned(let total, let stale): return ["event": "planned", "time": time, "total": total, "stale": stale]
        case .started(let id, let label): return ["event": "started", "time": time, "node": id.rawValue, "label": label]
        case .cached(let id, let label): return ["event": "cached", "time": time, "node": id.rawValue, "label": label]
        case .fetched(let id, let label, let seconds):
            return ["event": "cached", "source": "remote", "time": time, "node": id.rawValue, "label": label, "seconds": seconds]
        case .built(let id, let label, let seconds):
            return ["event": "built", "time": time, "node": id.rawValue, "label": label, "seconds": seconds]
        case .failed(let id, let label, let message):
            return ["event": "failed", "time": time, "node": id.rawValue, "label": label, "message": message]
        case .skipped(let id, let label, let blocker):
            return ["event": "skipped", "time": time, "node": id.rawValue, "label": label, "because": blocker.rawValue]
        case .waiting(let id, let label): return ["event": "waiting", "time": time, "node": id.rawValue, "label": label]
        case .retrying(let id, let attempt, let reason):
            return ["event": "retried", "time": time, "node": id.rawValue, "attempt": attempt, "reason": reason]
        case .spent(let id, let amount): return ["event": "spend", "time": time, "node": id.rawValue, "usd": amount]
        case .note(let message): return ["event": "note", "time": time, "message": message]
        }
    }

    /// A message on one line (ffmpeg's errors span many), so every progress line is one event with
    /// its timestamp; the summary repeats failures in full.
    static func oneLine(_ message: String) -> String {
        message.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: " | ")
    }


    /// The closing summary: a line for people, or the final JSON object for scripts.
    func summary(_ result: BuildResult, campaign: ResolvedCampaign) {
        live?.finish()
        if json {
            var object: [String: Any] = [
                "campaign": campaign.campaign.id,
                "succeeded": result.succeeded,
                "interrupted": result.interrupted,
                "nodes": result.nodes.map { node -> [String: Any] in
                    var entry: [String: Any] = ["id": node.id.rawValue, "kind": node.kind.rawValue, "state": node.state.rawValue, "label": node.label]
                    if node.state == .cached { entry["source"] = node.result?.fromRemote == true ? "remote" : "local" }
                    if let message = node.message { entry["message"] = message }
                    if let digest = node.outputDigest { entry["output_digest"] = digest.description }
                    if node.state == .built { entry["seconds"] = node.seconds; entry["reason"] = node.reason.description }
                    return entry
                },
                "clips": result.clips.map(\.pathString),
                "lockfile_changed": result.lockfileChanged,
                "remote_hits": result.remoteHits,
            ]
            object["output"] = result.video?.pathString ?? NSNull()
            if let digest = result.videoDigest { object["output_digest"] = digest.description }
            Console.json(object)
            return
        }
        let remote = result.remoteHits > 0 ? " (\(result.remoteHits) from the remote cache)" : ""
        let counts = "\(result.count(.built)) built, \(result.count(.cached)) cached\(remote), \(result.count(.failed)) failed, \(result.count(.skipped)) skipped"
        if result.succeeded, let video = result.video {
            let shown = video.relative(to: AbsolutePath.currentDirectory)
            if !quiet { Console.out("\(shown)  (\(counts))") }
        } else if result.interrupted {
            Console.err("interrupted (\(counts)); run `reel build` again to continue")
        } else {
            Console.err("build failed (\(counts))")
            for node in result.nodes where node.state == .failed {
                Console.err("error: \(node.id): \(node.message ?? "failed")")
            }
        }
    }
}

import Foundation
import ReelBasics
import ReelEngine
import ReelGraph
import Synchronization

/// The terminal view of a build: permanent lines for what finished or failed, and below them a
/// block redrawn in place — each running node with its time, an overall bar, elapsed time, ETA and
/// spend. Used only when standard error is a terminal; colour only without `NO_COLOR`.
final class LiveProgress: Sendable {
    private struct State {
        var total = 0
        var toRun = 0
        var done = 0
        var cached = 0
        var failed = 0
        var spent = 0.0
        var running: [(id: NodeID, label: String, since: ContinuousClock.Instant)] = []
        var durations: [Double] = []
        var drawnLines = 0
        var finished = false
    }

    private let state = Mutex(State())
    private let started = ContinuousClock.now
    private let color: Bool
    private let qualified: Bool
    private let ticker = Mutex<Task<Void, Never>?>(nil)

    init(color: Bool, qualified: Bool = false) {
        self.color = color
        self.qualified = qualified
    }

    /// How a node is named (`spring:generate/3` in a build of several campaigns).
    private func name(_ id: NodeID) -> String {
        qualified ? id.qualified : id.rawValue
    }

    /// Starts the once-a-second redraw (elapsed time moves even when nothing happens).
    func start() {
        let task = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(500))
                self?.redraw()
            }
        }
        ticker.withLock { $0 = task }
    }

    func handle(_ event: BuildEvent) {
        var permanent: String?
        state.withLock { state in
            switch event {
            case .planned(let total, let stale):
                state.total = total
                state.toRun = stale
            case .started(let id, let label):
                state.running.append((id, label, ContinuousClock.now))
            case .cached:
                state.done += 1
                state.cached += 1
            case .fetched(let id, let label, let seconds):
                state.done += 1
                state.cached += 1
                permanent = paint("fetched", "36") + " \(id)  \(label)  (remote cache, \(String(format: "%.1f", seconds)) s)"
            case .built(let id, let label, let seconds):
                state.running.removeAll { $0.id == id }
                state.done += 1
                state.durations.append(seconds)
                permanent = paint("built", "32") + "   \(name(id))  \(label)  (\(String(format: "%.1f", seconds)) s)"
            case .failed(let id, let label, let message):
                state.running.removeAll { $0.id == id }
                state.done += 1
                state.failed += 1
                permanent = paint("FAILED", "31") + "  \(name(id))  \(label): \(message)"
            case .skipped(let id, _, let blocker):
                state.done += 1
                permanent = paint("skipped", "33") + " \(name(id)) (needs \(name(blocker)))"
            case .waiting(let id, _):
                permanent = "waiting \(name(id)): another reel process is building it"
            case .retrying(let id, let attempt, let reason):
                permanent = paint("retry", "33") + "   \(name(id)) attempt \(attempt): \(reason)"
            case .spent(_, let amount):
                state.spent += amount
            case .note(let message):
                permanent = "note    \(message)"
            case .imagesChecked:
                break
            }
        }
        draw(permanent: permanent)
    }

    /// Clears the block for good.
    func finish() {
        ticker.withLock { $0?.cancel() }
        let text: String = state.withLock { state in
            state.finished = true
            let erase = LiveProgress.erase(state.drawnLines)
            state.drawnLines = 0
            return erase
        }
        Console.write(text, to: .standardError)
    }

    private func redraw() { draw(permanent: nil) }

    private func draw(permanent: String?) {
        let text: String? = state.withLock { state in
            guard !state.finished else { return nil }
            var out = LiveProgress.erase(state.drawnLines)
            if let permanent { out += permanent + "\n" }
            let block = self.block(state)
            out += block.joined(separator: "\n") + "\n"
            state.drawnLines = block.count
            return out
        }
        if let text { Console.write(text, to: .standardError) }
    }

    private func block(_ state: State) -> [String] {
        let now = ContinuousClock.now
        var lines = state.running.map { node in
            let seconds = (now - node.since).inSeconds
            return "  " + paint("running", "36") + " \(name(node.id))  \(node.label)  \(String(format: "%.0f", seconds)) s"
        }
        let fraction = state.total == 0 ? 0 : Double(state.done) / Double(state.total)
        let width = 30
        let filled = Int((fraction * Double(width)).rounded(.down))
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let elapsed = (now - started).inSeconds
        var line = "[\(bar)] \(state.done)/\(state.total)  \(LiveProgress.clock(elapsed)) elapsed"
        // Planned nodes can finish from the cache after all (early cutoff): never more than are left.
        let remaining = max(0, min(state.toRun - state.durations.count - state.failed, state.total - state.done))
        if !state.durations.isEmpty, remaining > 0 {
            let average = state.durations.reduce(0, +) / Double(state.durations.count)
            let parallel = Double(max(1, state.running.count))
            line += "  ETA \(LiveProgress.clock(average * Double(remaining) / parallel))"
        }
        if state.spent > 0 { line += String(format: "  spent $%.2f", state.spent) }
        lines.append(line)
        return lines
    }

    private func paint(_ text: String, _ code: String) -> String {
        color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }

    static func erase(_ lines: Int) -> String {
        String(repeating: "\u{1B}[1A\u{1B}[2K", count: lines)
    }

    static func clock(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded())
        return String(format: "%d:%02d", whole / 60, whole % 60)
    }
}

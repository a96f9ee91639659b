import Foundation
import ReelBasics
import ReelTestSupport

/// A paid-preset campaign in a temporary project, wired to fake Replicate and xAI servers on
/// 127.0.0.1 that the test started.
final class ProviderHarness: Sendable {
    static let replicateToken = "r8_e2eSecretToken0123456789"
    static let xaiKey = "xai-e2eSecretKey9876543210"

    let directory: AbsolutePath
    let replicate = FakeReplicate(token: ProviderHarness.replicateToken)
    let chat = FakeChatCompletions(apiKey: ProviderHarness.xaiKey)

    init(directory: AbsolutePath) {
        self.directory = directory
    }

    /// Starts both fakes, writes the campaign and a real clip the fake returns as its output.
    func start(pairs: [(String, String)] = [("rocket", "astronaut"), ("astronaut", "coffee")], voice: String = "calm") async throws {
        try await replicate.start()
        try await chat.start()
        let clip = directory.appending("fixtures/model-output.mp4")
        try FileManager.default.createDirectory(atPath: clip.parent.pathString, withIntermediateDirectories: true)
        try await Fixtures.makeClip(at: clip, seconds: 2)
        replicate.outputVideo = URL(fileURLWithPath: clip.pathString)
        replicate.prices = .init(perSecond: ["google/veo-3.1-fast": 0.10])
        replyWith(pairs)
        try Fixtures.copyPhotos(["rocket.jpg", "astronaut.jpg", "coffee.jpg"], to: directory.appending("assets"))
        try writeManifest(voice: voice, count: pairs.count)
    }

    func stop() async {
        await replicate.stop()
        await chat.stop()
    }

    /// The selector answers with these pairs, whatever it is asked.
    func replyWith(_ pairs: [(String, String)]) {
        let items = pairs.enumerated().map { index, pair in
            #"{"first":"\#(pair.0)","last":"\#(pair.1)","score":\#(0.9 - Double(index) * 0.1),"reasoning":"smooth move \#(index)","prompt":"slow push in \#(index)"}"#
        }
        let content = #"{"pairs":["# + items.joined(separator: ",") + "]}"
        chat.responder = { _ in .content(content) }
    }

    func writeManifest(voice: String, count: Int, extra: String = "") throws {
        try writeFile("""
            version: 1
            campaign: {id: paid, goal: sell coffee to stargazers, audience: night owls}
            brand: {name: Orbit, voice: \(voice), colors: ["#0B1D3A"]}
            assets:
              - glob: assets/*.jpg
            select: {count: \(count)}
            output: {path: out/paid.mp4, resolution: 320x180, fps: 24}
            quality: balanced
            \(extra)
            """, to: directory.appending("reel.yaml"))
    }

    /// The environment that points Reel at the fakes.
    var environment: [String: String] {
        [
            "XAI_API_KEY": ProviderHarness.xaiKey, "REPLICATE_API_TOKEN": ProviderHarness.replicateToken,
            "REPLICATE_BASE_URL": replicate.baseURL.absoluteString, "REEL_SELECTOR_BASE_URL": chat.baseURL.absoluteString,
            "REEL_POLL_INTERVAL_MS": "20", "REEL_RETRY_BASE_MS": "20",
        ]
    }

    func build(_ extra: [String] = []) async throws -> ReelBinary.Result {
        try await ReelBinary.run(["build", "reel.yaml", "--json"] + extra, in: directory, environment: environment)
    }

    func launch(_ extra: [String] = []) throws -> Process {
        try ReelBinary.start(["build", "reel.yaml"] + extra, in: directory, environment: environment)
    }

    /// Waits (up to `timeout` seconds) until `condition` holds.
    func waitUntil(timeout: TimeInterval = 60, _ condition: () -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return condition()
    }

    /// Everything a `--json` build said about failures: failed nodes' messages and stderr.
    static func failures(_ result: ReelBinary.Result) -> String {
        let nodes = result.lastJSON?["nodes"] as? [[String: Any]] ?? []
        return (nodes.compactMap { $0["message"] as? String } + [result.stderr]).joined(separator: "\n")
    }

    /// Node states from a `--json` build's last line.
    static func states(_ result: ReelBinary.Result) -> [String: String] {
        let nodes = result.lastJSON?["nodes"] as? [[String: Any]] ?? []
        return Dictionary(uniqueKeysWithValues: nodes.compactMap { node in
            (node["id"] as? String).map { ($0, node["state"] as? String ?? "?") }
        })
    }

    /// Every regular file under the project (cache, ledger, lockfile, outputs, journal).
    func allFiles() -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: directory.pathString) else { return [] }
        return enumerator.compactMap { $0 as? String }.map { directory.appending($0).pathString }.filter { path in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
        }
    }
}

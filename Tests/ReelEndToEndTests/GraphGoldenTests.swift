import Foundation
import ReelBasics
import ReelTestSupport
import Testing

/// `reel graph` in DOT, Mermaid and JSON against golden files in `Snapshots/`, in three states of
/// one campaign: before any build (everything stale), after a build (everything cached), and
/// after one asset changed (its clip and the combine stale, the other clip cached).
///
/// The goldens hold the output byte for byte: nothing in it may depend on the machine, the
/// temporary folder or the run (labels are project-relative paths, never keys or digests).
/// Rewrite them with `REEL_UPDATE_SNAPSHOTS=1 swift test --filter GraphGolden`.
@Suite(.enabled(if: Fixtures.hasFFmpeg, "needs ffmpeg"), .serialized)
struct GraphGoldenTests {
    static let formats: [(flag: String, fileExtension: String)] = [("dot", "dot"), ("mermaid", "mmd"), ("json", "json")]

    @Test func graphInEveryFormatAcrossStaleCachedAndOneAssetChanged() async throws {
        try await withTemporaryDirectory { directory in
            let campaign = try SeeingCampaign(directory: directory)

            let stale = try await checkGraph(campaign, state: "stale")
            #expect(stale.filter { !$0.key.hasPrefix("asset/") }.values.allSatisfy { $0 == "stale" })

            try await campaign.buildSucceeds()
            let cached = try await checkGraph(campaign, state: "cached")
            #expect(cached.filter { !$0.key.hasPrefix("asset/") }.values.allSatisfy { $0 == "cached" })

            // coffee is only in the second pair (astronaut -> coffee).
            try campaign.replace("coffee", withPhoto: "chelsea.jpg")
            let changed = try await checkGraph(campaign, state: "asset-changed")
            #expect(changed == [
                "asset/rocket": "source", "asset/astronaut": "source", "asset/coffee": "source",
                "generate/0": "cached", "generate/1": "stale", "combine": "stale",
            ])
        }
    }

    /// With the local selector and nothing built: features per asset, the selector, and
    /// placeholder clips waiting for it (how many: the requested count).
    @Test func localSelectorGraphBeforeBuilding() async throws {
        try await withTemporaryDirectory { directory in
            let campaign = try SeeingCampaign(directory: directory)
            try campaign.writeManifest(selection: "count: 2")
            let states = try await checkGraph(campaign, state: "local-selector-stale")
            #expect(Set(states.keys) == [
                "asset/rocket", "asset/astronaut", "asset/coffee", "features/rocket", "features/astronaut", "features/coffee",
                "select", "generate/0", "generate/1", "combine",
            ])
        }
    }

    @Test func unknownFormatIsAUsageError() async throws {
        try await withTemporaryDirectory { directory in
            let campaign = try SeeingCampaign(directory: directory)
            let result = try await campaign.reel(["graph", "reel.yaml", "--format", "svg"])
            #expect(result.exitCode == 64)
            #expect(result.stdout.isEmpty)
            #expect(result.stderr.contains("svg"))
        }
    }

    /// Compares every format with its golden, checks that the output does not depend on the
    /// working directory, and returns the node states from the JSON.
    func checkGraph(_ campaign: SeeingCampaign, state: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) async throws -> [String: String] {
        var states: [String: String] = [:]
        for format in Self.formats {
            let result = try await campaign.reel(["graph", "reel.yaml", "--format", format.flag])
            #expect(result.exitCode == 0, "\(format.flag): \(result.stderr)", sourceLocation: sourceLocation)
            #expect(result.stderr.isEmpty, "\(format.flag): \(result.stderr)", sourceLocation: sourceLocation)
            #expect(!result.stdout.contains(campaign.directory.pathString), "\(format.flag) prints a machine-specific path", sourceLocation: sourceLocation)
            #expect(!result.stdout.contains("sha256"), "\(format.flag) prints a digest", sourceLocation: sourceLocation)

            // The same graph from another working directory, naming the manifest by its absolute path.
            let elsewhere = try await ReelBinary.run(
                ["graph", campaign.directory.appending("reel.yaml").pathString, "--format", format.flag], in: campaign.directory.parent,
                environment: campaign.environment)
            #expect(elsewhere.stdout == result.stdout, "\(format.flag) depends on the working directory", sourceLocation: sourceLocation)

            Snapshot.assertMatches(result.stdout, named: "graph-\(state).\(format.fileExtension)", sourceLocation: sourceLocation)

            if format.flag == "json" {
                #expect(OutputLines.of(result.stdout).count == 1, "JSON is one line", sourceLocation: sourceLocation)
                let object = try #require(OutputLines.object(result.stdout), sourceLocation: sourceLocation)
                #expect(object["campaign"] as? String == "seeing", sourceLocation: sourceLocation)
                let nodes = object["nodes"] as? [[String: Any]] ?? []
                for node in nodes {
                    if let id = node["id"] as? String { states[id] = node["state"] as? String ?? "?" }
                }
                let ids = Set(states.keys)
                for edge in object["edges"] as? [[String: Any]] ?? [] {
                    #expect(ids.contains(edge["from"] as? String ?? "") && ids.contains(edge["to"] as? String ?? ""),
                            "edge \(edge) names a node that is not in the graph", sourceLocation: sourceLocation)
                }
            }
        }
        return states
    }
}

/// Golden files in `Tests/ReelEndToEndTests/Snapshots/`: compared byte for byte, rewritten when
/// `REEL_UPDATE_SNAPSHOTS=1`.
enum Snapshot {
    static var directory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots")
    }

    static var updating: Bool {
        ProcessInfo.processInfo.environment["REEL_UPDATE_SNAPSHOTS"] == "1"
    }

    static func assertMatches(_ actual: String, named name: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        let file = directory.appendingPathComponent(name)
        if updating {
            do {
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                try Data(actual.utf8).write(to: file, options: .atomic)
            } catch {
                Issue.record("could not write the golden file \(file.path): \(error)", sourceLocation: sourceLocation)
            }
            return
        }
        guard let data = FileManager.default.contents(atPath: file.path) else {
            Issue.record("no golden file Snapshots/\(name); record it with REEL_UPDATE_SNAPSHOTS=1", sourceLocation: sourceLocation)
            return
        }
        let expected = String(decoding: data, as: UTF8.self)
        guard actual != expected else { return }
        Issue.record(
            "output differs from Snapshots/\(name) (rerun with REEL_UPDATE_SNAPSHOTS=1 if the change is intended):\n\(difference(expected, actual))",
            sourceLocation: sourceLocation)
    }

    /// The first differing line, with a little context.
    static func difference(_ expected: String, _ actual: String) -> String {
        let old = expected.components(separatedBy: "\n")
        let new = actual.components(separatedBy: "\n")
        let first = (0..<min(old.count, new.count)).first { old[$0] != new[$0] } ?? min(old.count, new.count)
        var lines = ["first difference at line \(first + 1):"]
        for index in max(0, first - 2)..<min(max(old.count, new.count), first + 3) {
            let left = index < old.count ? old[index] : "<end>"
            let right = index < new.count ? new[index] : "<end>"
            if left == right {
                lines.append("   \(left)")
            } else {
                lines.append(" - \(left)")
                lines.append(" + \(right)")
            }
        }
        return lines.joined(separator: "\n")
    }
}

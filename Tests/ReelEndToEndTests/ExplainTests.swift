import Foundation
import ReelBasics
import ReelTestSupport
import Testing

/// `reel explain <node>` with the real binary: which input changed, from what to what, and why a
/// downstream node waits.
@Suite(.enabled(if: Fixtures.hasFFmpeg, "needs ffmpeg"), .serialized)
struct ExplainTests {
    static var keyPattern: Regex<Substring> { #/sha256:[0-9a-f]{64}/# }

    @Test func transitionChangeNamesTheParameterFromOldToNew() async throws {
        try await withTemporaryDirectory { directory in
            let campaign = try SeeingCampaign(directory: directory)
            try await campaign.buildSucceeds()
            try campaign.writeManifest(transition: "wipeleft")

            let result = try await campaign.reel(["explain", "combine", "reel.yaml"])
            #expect(result.exitCode == 0, "\(result.stderr)")
            let lines = OutputLines.of(result.stdout)
            #expect(lines.first == "combine (out/seeing.mp4) is stale: inputs changed: params.transition: fade -> wipeleft")
            #expect(lines.contains("changed since the lockfile:"))
            #expect(lines.contains("  params.transition: fade -> wipeleft"))
            // Only what changed is named: the duration, the clips and the resolution did not.
            #expect(!result.stdout.contains("transition_duration") && !result.stdout.contains("inputs."))
            #expect(lines.contains { $0.wholeMatch(of: #/key: sha256:[0-9a-f]{64}/#) != nil })
            #expect(lines.contains("action cache: no result for this key"))

            let explained = try await campaign.reel(["explain", "combine", "reel.yaml", "--json"])
            let json = try #require(OutputLines.object(explained.stdout))
            #expect(json["changes"] as? [String] == ["params.transition: fade -> wipeleft"])
            #expect(json["reason_code"] as? String == "key_changed")

            // The clips do not depend on the transition: still cached, with their record.
            let clip = try await campaign.reel(["explain", "generate/0", "reel.yaml"])
            #expect(clip.exitCode == 0)
            let clipLines = OutputLines.of(clip.stdout)
            #expect(clipLines.first == "generate/0 (rocket -> astronaut) is cached: cached")
            #expect(clipLines.contains { $0.wholeMatch(of: #/action cache: built \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z in \d+\.\d\d s/#) != nil })
        }
    }

    @Test func changedImagesAreNamedByInputAssetAndPath() async throws {
        try await withTemporaryDirectory { directory in
            let campaign = try SeeingCampaign(directory: directory)
            try await campaign.buildSucceeds()
            let rocketBefore = try campaign.digest(of: "rocket")
            let coffeeBefore = try campaign.digest(of: "coffee")
            // rocket is the first image of generate/0; coffee the last of generate/1.
            try campaign.replace("rocket", withPhoto: "hubble_deep_field.jpg")
            try campaign.replace("coffee", withPhoto: "chelsea.jpg")
            let rocketAfter = try campaign.digest(of: "rocket")
            let coffeeAfter = try campaign.digest(of: "coffee")

            let first = try await campaign.reel(["explain", "generate/0", "reel.yaml"])
            #expect(first.exitCode == 0, "\(first.stderr)")
            let firstChange = "inputs.first: sha256:\(rocketBefore.short)… -> sha256:\(rocketAfter.short)…  (asset 'rocket', assets/rocket.jpg)"
            #expect(OutputLines.of(first.stdout).first == "generate/0 (rocket -> astronaut) is stale: inputs changed: inputs.first: sha256:\(rocketBefore.short)… -> sha256:\(rocketAfter.short)…")
            #expect(OutputLines.of(first.stdout).contains("  " + firstChange))
            #expect(!first.stdout.contains("inputs.last"), "astronaut did not change")

            let last = try await campaign.reel(["explain", "generate/1", "reel.yaml", "--json"])
            #expect(last.exitCode == 0, "\(last.stderr)")
            let object = try #require(OutputLines.object(last.stdout))
            #expect(object["changes"] as? [String] == [
                "inputs.last: sha256:\(coffeeBefore.short)… -> sha256:\(coffeeAfter.short)…  (asset 'coffee', assets/coffee.jpg)",
            ])
            #expect(object["state"] as? String == "stale")
            #expect(object["reason_code"] as? String == "key_changed")
        }
    }

    @Test func staleDownstreamNodeExplainsTheUpstreamChain() async throws {
        try await withTemporaryDirectory { directory in
            let campaign = try SeeingCampaign(directory: directory)
            try await campaign.buildSucceeds()
            let before = try campaign.digest(of: "coffee")
            try campaign.replace("coffee", withPhoto: "chelsea.jpg")
            let after = try campaign.digest(of: "coffee")

            let result = try await campaign.reel(["explain", "combine", "reel.yaml"])
            #expect(result.exitCode == 0, "\(result.stderr)")
            let change = "inputs.last: sha256:\(before.short)… -> sha256:\(after.short)…"
            #expect(OutputLines.of(result.stdout) == [
                "combine (out/seeing.mp4) is stale: inputs come from generate/1, which runs first",
                "because generate/1 is stale: inputs changed: \(change)",
                "  \(change)  (asset 'coffee', assets/coffee.jpg)",
            ])

            let json = try #require(OutputLines.object(try await campaign.reel(["explain", "combine", "reel.yaml", "--json"]).stdout))
            #expect(json["state"] as? String == "stale")
            #expect(json["reason_code"] as? String == "upstream_stale")
            #expect(json["upstream"] as? [String] == ["generate/1"])
            #expect(json["changes"] as? [String] == [])
            #expect(json["key"] == nil, "its key is unknown until generate/1 has run")
        }
    }

    @Test func chainThroughTheSelectorReachesTheChangedImage() async throws {
        try await withTemporaryDirectory { directory in
            let campaign = try SeeingCampaign(directory: directory)
            try campaign.writeManifest(selection: "count: 2")
            try await campaign.buildSucceeds()
            try campaign.replace("coffee", withPhoto: "chelsea.jpg")

            let result = try await campaign.reel(["explain", "generate/0", "reel.yaml", "--json"])
            #expect(result.exitCode == 0, "\(result.stderr)")
            let object = try #require(OutputLines.object(result.stdout))
            #expect(object["upstream"] as? [String] == ["select", "features/coffee"])
            let text = try await campaign.reel(["explain", "generate/0", "reel.yaml"])
            let lines = OutputLines.of(text.stdout)
            #expect(lines.first == "generate/0 (pair chosen by select) is stale: inputs come from select, which runs first")
            #expect(lines.contains("because select is stale: inputs come from features/coffee, which runs first"))
            #expect(lines.contains { $0.hasPrefix("because features/coffee is stale: inputs changed:") })
            #expect(lines.contains { $0.hasPrefix("  ") && $0.hasSuffix("(asset 'coffee', assets/coffee.jpg)") })
        }
    }

    @Test func jsonShape() async throws {
        try await withTemporaryDirectory { directory in
            let campaign = try SeeingCampaign(directory: directory)
            // Before any build: never built.
            let fresh = try await campaign.reel(["explain", "generate/1", "reel.yaml", "--json"])
            #expect(fresh.exitCode == 0, "\(fresh.stderr)")
            #expect(OutputLines.of(fresh.stdout).count == 1, "one JSON object on one line")
            let never = try #require(OutputLines.object(fresh.stdout))
            #expect(Set(never.keys) == ["id", "state", "reason", "reason_code", "changes", "upstream", "key"])
            #expect(never["id"] as? String == "generate/1")
            #expect(never["state"] as? String == "stale")
            #expect(never["reason"] as? String == "never built")
            #expect(never["reason_code"] as? String == "never_built")
            #expect((never["key"] as? String)?.wholeMatch(of: Self.keyPattern) != nil)

            try await campaign.buildSucceeds()
            let built = try await campaign.reel(["explain", "generate/1", "reel.yaml", "--json"])
            let cached = try #require(OutputLines.object(built.stdout))
            #expect(Set(cached.keys) == ["id", "state", "reason", "reason_code", "changes", "upstream", "key"])
            #expect(cached["state"] as? String == "cached")
            #expect(cached["reason"] as? String == "cached")
            #expect(cached["reason_code"] as? String == "cached")
            #expect(cached["changes"] as? [String] == [])
            #expect(cached["upstream"] as? [String] == [])
            #expect(cached["key"] as? String == never["key"] as? String, "same inputs, same key")
            #expect(built.stderr.isEmpty, "\(built.stderr)")
        }
    }

    @Test func unknownNodeListsTheNodesAndExitsOne() async throws {
        try await withTemporaryDirectory { directory in
            let campaign = try SeeingCampaign(directory: directory)
            for node in ["generate/7", "select", "features/rocket"] {
                let result = try await campaign.reel(["explain", node, "reel.yaml"])
                #expect(result.exitCode == 1, "\(node)")
                #expect(result.stdout.isEmpty)
                #expect(result.stderr.contains("error: no node '\(node)' in this campaign (nodes: generate/0, generate/1, combine)"), "\(result.stderr)")
            }
        }
    }

    @Test func invalidNodeIDIsAUsageError() async throws {
        try await withTemporaryDirectory { directory in
            let campaign = try SeeingCampaign(directory: directory)
            for node in ["nope", "generate", "generate/abc", "/combine", "select/x", ""] {
                let result = try await campaign.reel(["explain", node, "reel.yaml"])
                #expect(result.exitCode == 64, "'\(node)': \(result.stderr)")
                #expect(result.stdout.isEmpty)
                #expect(result.stderr.contains("is not a node id"), "'\(node)': \(result.stderr)")
            }
        }
    }
}

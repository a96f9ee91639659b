import Foundation
import ReelBasics
import ReelTestSupport
import Testing

/// Command-line rough edges (issue 10): unknown node ids, help texts, `reel init`.
@Suite(.enabled(if: Fixtures.hasFFmpeg, "needs ffmpeg"), .serialized)
struct CommandLineTests {
    static func campaign(in directory: AbsolutePath) throws {
        try Fixtures.copyPhotos(["rocket.jpg", "astronaut.jpg", "coffee.jpg"], to: directory.appending("assets"))
        try writeFile("""
            version: 1
            campaign: {id: cli}
            assets:
              - glob: assets/*.jpg
            select: {pairs: [{first: rocket, last: astronaut}, {first: astronaut, last: coffee}]}
            generate: {duration: 1}
            output: {path: out/cli.mp4, resolution: 320x180, fps: 12}
            """, to: directory.appending("reel.yaml"))
    }

    /// `--force` with a node the campaign does not have is a usage error (exit 64), before anything runs.
    @Test func forcingAnUnknownNodeIsAUsageError() async throws {
        try await withTemporaryDirectory { directory in
            try Self.campaign(in: directory)
            let env = ["REEL_CACHE_DIR": directory.appending("cache").pathString]
            let unknown = try await ReelBinary.run(["build", "reel.yaml", "--force", "generate/99"], in: directory, environment: env)
            #expect(unknown.exitCode == 64, "\(unknown.stderr)")
            #expect(unknown.stderr.contains("error: --force generate/99: no such node in this campaign (nodes: generate/0, generate/1, combine)"), "\(unknown.stderr)")
            #expect(!FileManager.default.fileExists(atPath: directory.appending("out/cli.mp4").pathString))
            let features = try await ReelBinary.run(["build", "reel.yaml", "--force", "features/rocket"], in: directory, environment: env)
            #expect(features.exitCode == 64, "\(features.stderr)")

            let known = try await ReelBinary.run(["build", "reel.yaml", "--force", "generate/1", "--json"], in: directory, environment: env)
            #expect(known.exitCode == 0, "\(known.stderr)")
        }
    }

    /// Every command's help says each default once, and has no stray backslash (item 12).
    @Test(arguments: ["init", "validate", "plan", "build", "graph", "explain", "cache gc", "cache verify", "clean", "spend", "report"])
    func helpSaysEachDefaultOnce(command: String) async throws {
        try await withTemporaryDirectory { directory in
            let words = command.split(separator: " ").map(String.init)
            let help = try await ReelBinary.run(words + ["--help"], in: directory)
            #expect(help.exitCode == 0)
            #expect(!help.stdout.isEmpty)
            let flat = help.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            #expect(!flat.contains("reel.yaml). (default: reel.yaml)") && !flat.contains("folder). (default"), "\(help.stdout)")
            for line in help.stdout.split(separator: "\n") {
                #expect(!line.hasSuffix("\\"), "\(command): \(line)")
            }
        }
    }

    /// Non-ASCII file names get meaningful, distinct ids, and `validate` lists them (item 8).
    @Test func nonASCIINamesGetReadableIDs() async throws {
        try await withTemporaryDirectory { directory in
            let assets = directory.appending("assets")
            try Fixtures.copyPhotos(["rocket.jpg"], to: assets)
            for name in ["café ☕ 写真.jpg", "ñandú.jpg", "☕.jpg", "🚀.jpg"] {
                try FileManager.default.copyItem(atPath: assets.appending("rocket.jpg").pathString, toPath: assets.appending(name).pathString)
            }
            try writeFile("""
                version: 1
                campaign: {id: names}
                assets:
                  - glob: assets/*.jpg
                select: {pairs: [{first: nandu, last: cafe-xie-zhen}]}
                """, to: directory.appending("reel.yaml"))
            let run = try await ReelBinary.run(["validate", "--list-assets"], in: directory)
            #expect(run.exitCode == 0, "\(run.stderr)")
            let lines = run.stdout.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
            let ids = Dictionary(lines.filter { $0.count >= 2 && $0[1].hasPrefix("assets/") }.map { ($0[0], $0[1]) }, uniquingKeysWith: { a, _ in a })
            #expect(ids["nandu"] == "assets/ñandú.jpg", "\(run.stdout)")
            #expect(ids["cafe-xie-zhen"] == "assets/café", "\(run.stdout)")
            #expect(ids["rocket"] == "assets/rocket.jpg")
            let hashed = ids.keys.filter { $0.hasPrefix("asset-") }
            #expect(hashed.count == 2, "\(run.stdout)")

            let json = try await ReelBinary.run(["validate", "--json"], in: directory)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
            let manifests = try #require(object["manifests"] as? [[String: Any]])
            let listed = (manifests.first?["assets"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            #expect(Set(listed) == Set(ids.keys), "\(json.stdout)")
        }
    }

    /// What changed is shown with numbers as people write them: `0.5 -> 1`, not `0.500000 -> 1.000000` (item 10).
    @Test func changedNumbersReadNaturally() async throws {
        try await withTemporaryDirectory { directory in
            try Fixtures.copyPhotos(["rocket.jpg", "astronaut.jpg", "coffee.jpg"], to: directory.appending("assets"))
            let manifest = { (fade: String) in
                """
                version: 1
                campaign: {id: numbers}
                assets:
                  - glob: assets/*.jpg
                select: {pairs: [{first: rocket, last: astronaut}, {first: astronaut, last: coffee}]}
                generate: {duration: 2}
                output: {path: out/numbers.mp4, resolution: 320x180, fps: 12, transition: {type: fade, duration: \(fade)}}
                """
            }
            let env = ["REEL_CACHE_DIR": directory.appending("cache").pathString]
            try writeFile(manifest("0.5"), to: directory.appending("reel.yaml"))
            let build = try await ReelBinary.run(["build", "reel.yaml", "-q"], in: directory, environment: env)
            #expect(build.exitCode == 0, "\(build.stderr)")
            try writeFile(manifest("1.25"), to: directory.appending("reel.yaml"))
            let explain = try await ReelBinary.run(["explain", "combine", "reel.yaml"], in: directory, environment: env)
            #expect(explain.exitCode == 0, "\(explain.stderr)")
            #expect(explain.stdout.contains("0.5 -> 1.25"), "\(explain.stdout)")
            let plan = try await ReelBinary.run(["plan", "reel.yaml"], in: directory, environment: env)
            for output in [explain.stdout, plan.stdout, plan.stderr] {
                #expect(!output.contains("00000"), "\(output)")
            }
        }
    }

    /// `reel init` writes a commented manifest with the schema line, the folder's images and
    /// quality draft, which validates and builds as is; it never overwrites a manifest (item 13).
    @Test func initStartsACampaignThatBuilds() async throws {
        try await withTemporaryDirectory { directory in
            let folder = directory.appending("Spring Launch")
            try Fixtures.copyPhotos(["rocket.jpg", "astronaut.jpg", "coffee.jpg"], to: folder.appending("photos"))
            let run = try await ReelBinary.run(["init", "Spring Launch"], in: directory)
            #expect(run.exitCode == 0, "\(run.stderr)")
            #expect(run.stdout.contains("wrote Spring Launch/reel.yaml (3 images)"), "\(run.stdout)")
            let manifest = folder.appending("reel.yaml")
            let text = try String(contentsOfFile: manifest.pathString, encoding: .utf8)
            #expect(text.hasPrefix("# yaml-language-server: $schema=https://raw.githubusercontent.com/reel-build/reel/main/schemas/reel-manifest.schema.json\n"))
            #expect(text.contains("  id: spring-launch"))
            #expect(text.contains("  - path: photos/astronaut.jpg\n  - path: photos/coffee.jpg\n  - path: photos/rocket.jpg\n"))
            #expect(text.contains("\nquality: draft\n"))
            #expect(text.split(separator: "\n").filter { $0.hasPrefix("#") || $0.contains("  # ") }.count >= 5)

            let env = ["REEL_CACHE_DIR": directory.appending("cache").pathString]
            let validate = try await ReelBinary.run(["validate", "reel.yaml"], in: folder, environment: env)
            #expect(validate.exitCode == 0, "\(validate.stderr)")
            let build = try await ReelBinary.run(["build", "reel.yaml", "-q"], in: folder, environment: env)
            #expect(build.exitCode == 0, "\(build.stderr)")
            #expect(FileManager.default.fileExists(atPath: folder.appending("out/spring-launch.mp4").pathString))

            // Never over an existing manifest.
            try writeFile("# mine\n", to: manifest)
            let again = try await ReelBinary.run(["init", "Spring Launch"], in: directory)
            #expect(again.exitCode == 1)
            #expect(again.stderr.contains("error: Spring Launch/reel.yaml already exists; it was left as it is"), "\(again.stderr)")
            #expect(try String(contentsOfFile: manifest.pathString, encoding: .utf8) == "# mine\n")
        }
    }
}


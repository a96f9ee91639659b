import Foundation
import ReelBasics
import ReelManifest
import ReelTestSupport
import Testing

/// Builds a small campaign with the real `reel`, writes its storyboard with `reel report`, and opens
/// it in a real headless Chromium (Debian's `chromium`): the page must render, hold every pair with
/// its reasoning, and play its videos from the report folder.
@Suite(.enabled(if: Fixtures.hasFFmpeg && ReportTool.chromium != nil, "needs ffmpeg and chromium (scripts/install-deps.sh --test)"), .serialized)
struct ReportBrowserTests {
    /// Three photos, two pairs chosen by the local selector, a text that needs escaping.
    static func writeCampaign(in directory: AbsolutePath) throws {
        try Fixtures.copyPhotos(["rocket.jpg", "astronaut.jpg", "coffee.jpg"], to: directory.appending("assets"))
        try writeFile("""
            version: 1
            campaign: {id: e2e, name: "Orbit <Coffee> & Co", goal: "Launch the 'orbit' blend"}
            brand: {name: Orbit, colors: ["#1F6FEB", "#F2CC60"]}
            assets:
              - glob: assets/*.jpg
            select: {count: 2}
            generate: {duration: 2}
            output:
              path: out/e2e.mp4
              resolution: 640x360
              fps: 24
              transition: {type: fade, duration: 0.5}
            """, to: directory.appending("reel.yaml"))
    }

    @Test func storyboardRendersInChromium() async throws {
        try await withTemporaryDirectory { directory in
            try Self.writeCampaign(in: directory)
            let build = try await ReelBinary.run(["build", "reel.yaml"], in: directory)
            #expect(build.exitCode == 0, "\(build.stderr)")
            let report = try await ReelBinary.run(["report", "reel.yaml"], in: directory)
            #expect(report.exitCode == 0, "\(report.stderr)")
            let line = try #require(report.stdout.split(separator: "\n").last.map(String.init))
            let index = try #require(AbsolutePath(line))
            let folder = index.parent
            #expect(folder == directory.appending("out/e2e.report"))
            let lockfile = try Lockfile(yaml: String(contentsOfFile: directory.appending("reel.lock").pathString, encoding: .utf8))
            #expect(lockfile.pairs.count == 2)

            let browser = try #require(ReportTool.chromium)
            let profile = directory.appending("chromium-profile").pathString
            let common = [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--hide-scrollbars",
                "--user-data-dir=\(profile)", "--virtual-time-budget=10000",
            ]
            let url = URL(fileURLWithPath: index.pathString).absoluteString

            // A screenshot that is not blank.
            let screenshot = directory.appending("shot.png")
            _ = try await ReportTool.run(browser, common + ["--window-size=1280,2000", "--screenshot=\(screenshot.pathString)", url])
            #expect(FileManager.default.fileExists(atPath: screenshot.pathString), "chromium wrote no screenshot")
            let pixels = try await ReportTool.run("ffmpeg", [
                "-nostdin", "-loglevel", "error", "-i", screenshot.pathString, "-vf", "scale=160:-1,format=gray", "-f", "rawvideo", "-",
            ]).output
            #expect(pixels.count > 10_000)
            let values = pixels.map(Double.init)
            let mean = values.reduce(0, +) / Double(max(values.count, 1))
            let deviation = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(values.count, 1))).squareRoot()
            #expect(Set(pixels).count > 32, "the screenshot has \(Set(pixels).count) grey levels: blank?")
            #expect(deviation > 10, "the screenshot is nearly uniform (σ = \(deviation)): blank?")

            // A DOM that holds every pair, its reasoning and playable videos.
            let dom = String(decoding: try await ReportTool.run(browser, common + ["--dump-dom", url]).output, as: UTF8.self)
            for (offset, pair) in lockfile.pairs.enumerated() {
                #expect(dom.contains(#"data-node="generate/\#(offset)" data-first="\#(pair.first)" data-last="\#(pair.last)""#), "pair \(offset)")
                #expect(dom.contains(Self.serialised(pair.reasoning)), "reasoning of pair \(offset): \(pair.reasoning)")
            }
            // Debian's chromium decodes H.264 (proprietary codecs on); a build without them cannot.
            let decodesH264 = try await Self.canPlayH264(browser, flags: common, in: directory)
            let videos = Self.tags("video", in: dom)
            #expect(videos.count == lockfile.pairs.count + 1)
            for video in videos {
                let source = try #require(video["src"], "\(video)")
                #expect(!source.hasPrefix("/") && !source.contains(":"), "\(source) is not relative")
                let file = folder.appending(source)
                #expect(FileManager.default.fileExists(atPath: file.pathString), "\(source) is not in the report folder")
                if !decodesH264 {
                    #expect(video["data-error"] == "4", "\(source): expected MEDIA_ERR_SRC_NOT_SUPPORTED from a Chromium without H.264")
                } else {
                    #expect(video["data-error"] == nil, "\(source) failed to load: MediaError \(video["data-error"] ?? "")")
                    let duration = try #require(video["data-duration"].flatMap(Double.init), "\(source): metadata never loaded")
                    #expect(abs(duration - (try await probeVideo(file).duration)) < 0.1, "\(source)")
                }
            }
            let images = Self.tags("img", in: dom)
            #expect(images.count == lockfile.pairs.count * 2 + 1, "a thumbnail per image of each pair, and the contact sheet")
            for image in images {
                let source = try #require(image["src"])
                #expect(FileManager.default.fileExists(atPath: folder.appending(source).pathString), "\(source)")
            }
            #expect(dom.contains("<h1>Orbit &lt;Coffee&gt; &amp; Co</h1>"))
            #expect(!dom.contains("http://") && !dom.contains("https://"))
        }
    }

    /// Issue 14: a campaign with variants and a re-rolled clip. The storyboard compares the
    /// variants side by side (a column each, a row per pair, each clip's model, cost and time, each
    /// variant's video and total) and shows every take of the re-rolled clip, the chosen one marked.
    @Test func storyboardComparesVariantsAndShowsEveryTake() async throws {
        try await withTemporaryDirectory { directory in
            try Fixtures.copyPhotos(["rocket.jpg", "astronaut.jpg", "coffee.jpg"], to: directory.appending("assets"))
            try writeFile("""
                version: 1
                campaign: {id: vars}
                assets:
                  - glob: assets/*.jpg
                select: {count: 2}
                generate: {duration: 2}
                output: {path: out/vars.mp4, resolution: 320x180, fps: 24, transition: {type: fade, duration: 0.5}}
                variants:
                  calm:
                    generate: {seed: 1}
                  cut:
                    generate: {seed: 1}
                    output: {transition: none}
                  lively:
                    generate: {seed: 2}
                """, to: directory.appending("reel.yaml"))
            let build = try await ReelBinary.run(["build", "reel.yaml"], in: directory)
            #expect(build.exitCode == 0, "\(build.stderr)")
            let reroll = try await ReelBinary.run(["reroll", "--variant", "lively", "generate/0", "reel.yaml"], in: directory)
            #expect(reroll.exitCode == 0, "\(reroll.stderr)")
            let report = try await ReelBinary.run(["report", "reel.yaml"], in: directory)
            #expect(report.exitCode == 0, "\(report.stderr)")
            let index = try #require(report.stdout.split(separator: "\n").last.flatMap { AbsolutePath(String($0)) })
            let folder = index.parent
            #expect(folder == directory.appending("out/vars.report"))

            let browser = try #require(ReportTool.chromium)
            let common = [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--hide-scrollbars",
                "--user-data-dir=\(directory.appending("chromium-profile").pathString)", "--virtual-time-budget=10000",
            ]
            let dom = String(decoding: try await ReportTool.run(browser, common + ["--dump-dom", URL(fileURLWithPath: index.pathString).absoluteString]).output, as: UTF8.self)

            // A column per variant, a row per pair; cut's clips are calm's (shared), lively's its own.
            for variant in ["calm", "cut", "lively"] {
                #expect(dom.contains(#"<th scope="col" class="variant" data-variant="\#(variant)">"#), "column \(variant)")
                #expect(dom.contains(#"<td class="variant-total" data-variant="\#(variant)">"#), "total of \(variant)")
                #expect(dom.contains(#"src="variants/\#(variant).mp4""#), "video of \(variant)")
            }
            for index in 0..<2 {
                #expect(dom.contains(#"data-variant="calm" data-node="generate/\#(index)@calm""#))
                #expect(dom.contains(#"data-variant="cut" data-node="generate/\#(index)@calm""#), "cut shares calm's clip \(index)")
                #expect(dom.contains(#"data-variant="lively" data-node="generate/\#(index)@lively""#))
            }
            #expect(dom.contains("shared with calm"))
            #expect(dom.contains("local animatic"))

            // Both takes of lively's first clip, take 2 marked as the chosen one.
            #expect(dom.contains(#"<div class="takes-group" data-node="generate/0@lively">"#), "\(dom)")
            #expect(dom.contains(#"<figure class="take" data-take="1">"#))
            #expect(dom.contains(#"<figure class="take chosen" data-take="2" aria-current="true">"#))
            #expect(dom.components(separatedBy: "class=\"take-video\"").count - 1 == 2, "every take is shown")

            // Every video is in the folder and loads.
            let decodesH264 = try await Self.canPlayH264(browser, flags: common, in: directory)
            let videos = Self.tags("video", in: dom)
            let expected = 8
            #expect(videos.count == expected, "the final video, three variants, two takes, two clip cards")
            for video in videos {
                let source = try #require(video["src"], "\(video)")
                #expect(!source.hasPrefix("/") && !source.contains(":"), "\(source) is not relative")
                #expect(FileManager.default.fileExists(atPath: folder.appending(source).pathString), "\(source) is not in the report folder")
                if decodesH264 {
                    #expect(video["data-error"] == nil, "\(source) failed to load: MediaError \(video["data-error"] ?? "")")
                    #expect(video["data-duration"].flatMap(Double.init) != nil, "\(source): metadata never loaded")
                }
            }
        }
    }

    /// The storyboard is an output like any other (issue 10, items 14 and 15): rewritten when what it
    /// shows changes (a brand edit with nothing to rebuild, a file deleted from its folder), left
    /// alone by a no-op build; explicit pairs show no selector score, the local animatic no motion
    /// prompt, each clip its own first frame; times are readable, the product URL is a link, the
    /// folder holds no hidden notes, and the page says how long the build took and what it changed.
    @Test func storyboardFollowsWhatItShows() async throws {
        try await withTemporaryDirectory { directory in
            try Fixtures.copyPhotos(["rocket.jpg", "astronaut.jpg", "coffee.jpg"], to: directory.appending("assets"))
            let manifest = { (voice: String) in
                """
                version: 1
                campaign: {id: story, product_url: "https://example.com/orbit?a=1&b=2"}
                brand: {name: Orbit, voice: \(voice)}
                assets:
                  - glob: assets/*.jpg
                select: {pairs: [{first: rocket, last: astronaut}, {first: astronaut, last: coffee}]}
                generate: {duration: 1}
                output: {path: out/story.mp4, resolution: 320x180, fps: 12}
                """
            }
            try writeFile(manifest("warm and curious"), to: directory.appending("reel.yaml"))
            let env = ["REEL_CACHE_DIR": directory.appending("cache").pathString]
            let first = try await ReelBinary.run(["build", "reel.yaml"], in: directory, environment: env)
            #expect(first.exitCode == 0, "\(first.stderr)")
            #expect(first.stderr.contains("storyboard: out/story.report/index.html"))
            let folder = directory.appending("out/story.report")
            let index = folder.appending("index.html")

            let browser = try #require(ReportTool.chromium)
            let flags = [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--user-data-dir=\(directory.appending("chromium-profile").pathString)", "--virtual-time-budget=5000", "--dump-dom",
            ]
            func dom() async throws -> String {
                String(decoding: try await ReportTool.run(browser, flags + [URL(fileURLWithPath: index.pathString).absoluteString]).output, as: UTF8.self)
            }
            let page = try await dom()
            #expect(page.contains(#"<a class="product" href="https://example.com/orbit?a=1&amp;b=2" rel="noopener">"#), "product link")
            #expect(!page.contains("score 100%") && page.contains("Pair written in the manifest"))
            #expect(!page.contains("Motion prompt"))
            let time = try #require(try Regex(#"<time datetime="[0-9T:.Z-]+">(\d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d UTC)</time>"#).firstMatch(in: page), "readable time")
            #expect(!time.output.isEmpty)
            for video in Self.tags("video", in: page) where video["class"] == "clip-video" {
                #expect(video["poster"] == nil, "a clip's poster is its own first frame, not a thumbnail: \(video)")
            }
            #expect(page.contains("Build time"))
            #expect(page.contains("What changed in this build") && page.contains("<code>generate/0</code>") && page.contains("<code>combine</code>"))
            #expect(!FileManager.default.fileExists(atPath: folder.appending(".stamps").pathString))
            // The contact sheet: a full 4×3 grid of 320-pixel tiles, made in one pass.
            let sheet = try await runProcess("ffprobe", ["-v", "error", "-show_entries", "stream=width,height", "-of", "csv=p=0", folder.appending("contact-sheet.jpg").pathString])
            #expect(sheet.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "1320,572", "\(sheet.stdout)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.pathString).allSatisfy { !$0.hasPrefix(".") })

            // A no-op build leaves the page alone.
            let written = try FileManager.default.attributesOfItem(atPath: index.pathString)[.modificationDate] as? Date
            let noop = try await ReelBinary.run(["build", "reel.yaml"], in: directory, environment: env)
            #expect(noop.exitCode == 0)
            #expect(!noop.stderr.contains("storyboard:"), "\(noop.stderr)")
            #expect(try FileManager.default.attributesOfItem(atPath: index.pathString)[.modificationDate] as? Date == written)
            // And so does the next one (which takes the quick check of the page's sources).
            let again = try await ReelBinary.run(["build", "reel.yaml"], in: directory, environment: env)
            #expect(again.exitCode == 0 && !again.stderr.contains("storyboard:"), "\(again.stderr)")
            #expect(try FileManager.default.attributesOfItem(atPath: index.pathString)[.modificationDate] as? Date == written)

            // A brand edit rebuilds nothing (the local animatic ignores the voice) but changes the page.
            try writeFile(manifest("calm and precise"), to: directory.appending("reel.yaml"))
            let edited = try await ReelBinary.run(["build", "reel.yaml"], in: directory, environment: env)
            #expect(edited.exitCode == 0)
            #expect(edited.stderr.contains("storyboard: out/story.report/index.html"), "\(edited.stderr)")
            let after = try await dom()
            #expect(after.contains("calm and precise") && !after.contains("warm and curious"))

            // A file deleted from the folder is put back by the next build.
            try FileManager.default.removeItem(atPath: folder.appending("clips/02.mp4").pathString)
            let restored = try await ReelBinary.run(["build", "reel.yaml"], in: directory, environment: env)
            #expect(restored.exitCode == 0)
            #expect(FileManager.default.fileExists(atPath: folder.appending("clips/02.mp4").pathString))
        }
    }

    /// Whether this Chromium says it plays H.264 High profile in MP4 (asked on a page of its own).
    static func canPlayH264(_ browser: String, flags: [String], in directory: AbsolutePath) async throws -> Bool {
        let page = directory.appending("can-play.html")
        try writeFile("""
            <!doctype html><p id="answer"></p>
            <script>document.getElementById("answer").textContent = "h264=" + document.createElement("video").canPlayType('video/mp4; codecs="avc1.640028"');</script>
            """, to: page)
        let dom = String(decoding: try await ReportTool.run(browser, flags + ["--dump-dom", URL(fileURLWithPath: page.pathString).absoluteString]).output, as: UTF8.self)
        return dom.contains("h264=probably") || dom.contains("h264=maybe")
    }

    /// Text as Chromium serialises a text node.
    static func serialised(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\u{A0}", with: "&nbsp;")
    }

    /// The attributes of every `<name …>` tag in `html`.
    static func tags(_ name: String, in html: String) -> [[String: String]] {
        guard let tag = try? Regex("<\(name)\\b([^>]*)>"), let attribute = try? Regex(#"([a-zA-Z-]+)="([^"]*)""#) else { return [] }
        return html.matches(of: tag).map { match in
            let body = String(html[match.range])
            var attributes: [String: String] = [:]
            for found in body.matches(of: attribute) {
                if let key = found.output[1].substring, let value = found.output[2].substring { attributes[String(key)] = String(value) }
            }
            return attributes
        }
    }
}

/// Finds and runs the programs the storyboard test uses.
enum ReportTool {
    /// Chromium on `PATH` (or `$REEL_CHROMIUM`).
    static var chromium: String? {
        let environment = ProcessInfo.processInfo.environment
        if let explicit = environment["REEL_CHROMIUM"], !explicit.isEmpty { return explicit }
        let path = environment["PATH"] ?? "/usr/bin:/bin"
        for name in ["chromium", "chromium-browser"] {
            for directory in path.split(separator: ":") where access("\(directory)/\(name)", X_OK) == 0 {
                return "\(directory)/\(name)"
            }
        }
        return nil
    }

    /// Runs a program to completion (or a timeout) without blocking a thread; returns its output.
    static func run(_ executable: String, _ arguments: [String], timeout: TimeInterval = 120) async throws -> (status: Int32, output: Data) {
        let outcome = try await runProcess(executable, arguments, timeout: timeout)
        return (outcome.exitCode, outcome.stdoutData)
    }
}

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

import Foundation
import ReelBasics
@testable import ReelEngine
import ReelManifest
import ReelMedia
import ReelTestSupport
import Testing

/// The storyboard page: escaping of LLM text, relative paths only, and a page even without a video.
@Suite struct ReportWriterTests {
    static let evil = #"<script>alert("x")</script> & 'quoted' <img src=x onerror=alert(1)>"#

    /// A runner whose ffmpeg "succeeds" by creating its outputs (each path after `-q:v N`) in
    /// `fileSystem`, and fails when one of them contains `failing` (making none, as ffmpeg would).
    static func ffmpeg(_ fileSystem: InMemoryFileSystem, failing: String? = nil) -> FakeProcessRunner {
        FakeProcessRunner { spec in
            let arguments = spec.arguments
            let outputs = arguments.indices.filter { $0 >= 2 && arguments[$0 - 2] == "-q:v" }.map { arguments[$0] }
            if let failing, outputs.contains(where: { $0.contains(failing) }) {
                return ProcessResult(exitCode: 1, standardError: Data("broken <input>\n".utf8))
            }
            for output in outputs { fileSystem.addFile(output, "jpeg of \(output)") }
            return ProcessResult(exitCode: 0)
        }
    }

    static func asset(_ id: String) throws -> ResolvedAsset {
        let path = try #require(AbsolutePath("/project/assets/\(id).jpg"))
        return ResolvedAsset(
            id: id, path: path, projectRelativePath: "assets/\(id).jpg", tags: [], kind: .image,
            location: SourceLocation(file: "reel.yaml", line: 1, column: 1))
    }

    static func data(video: Bool, fileSystem: InMemoryFileSystem) throws -> ReportData {
        for id in ["a", "b", "c"] { fileSystem.addFile("/project/assets/\(id).jpg", "pixels \(id)") }
        fileSystem.addFile("/project/out/v.clips/01-a-b.mp4", "clip 1")
        if video { fileSystem.addFile("/project/out/v.mp4", "video") }
        let media = MediaInfo(duration: 4, width: 640, height: 360, frameRate: "24/1", videoCodec: "h264", pixelFormat: "yuv420p")
        func pair(_ index: Int, _ first: String, _ last: String, state: String, clip: String?, message: String? = nil) throws -> ReportData.Pair {
            ReportData.Pair(
                index: index, nodeID: "generate/\(index)", first: try asset(first), last: try asset(last), score: 0.8, reasoning: evil,
                prompt: "slow push-in </p><h1>prompt</h1>", clip: clip.flatMap { AbsolutePath($0) }, provider: "replicate",
                model: "google/veo-3.1", costUSD: 0.8, state: state, seconds: 12.5, predictionID: "pred<1>", message: message, media: media)
        }
        return ReportData(
            campaign: Campaign(id: "launch", name: "<b>Launch</b>", goal: evil, productURL: "https://example.com/?a=1&b=<2>"),
            brand: Brand(name: "Orbit", colors: ["#1f6feb", "red;background:url(https://evil.example/x.png)"]), quality: "premium",
            video: video ? AbsolutePath("/project/out/v.mp4") : nil, videoMedia: video ? media : nil,
            pairs: [
                try pair(0, "a", "b", state: "built", clip: "/project/out/v.clips/01-a-b.mp4"),
                try pair(1, "b", "c", state: "failed", clip: nil, message: "prediction failed: <NSFW> & more"),
            ],
            selector: "grok-4 (https://api.x.ai/v1)", totalCostUSD: 1.6, builtCount: 1, cachedCount: 0, failedCount: 1,
            generatedAt: "2026-01-01T00:00:00Z", directory: try #require(AbsolutePath("/project/out/v.report")))
    }

    /// Every `src`, `href` and `poster` value on the page.
    /// Every link of the page but the product's (the one link that leaves the folder, on purpose).
    static func links(in html: String) throws -> [String] {
        let regex = try Regex(#"(?:src|href|poster)="([^"]*)""#)
        let product = try Regex(#"<a class="product" href="[^"]*""#)
        return html.replacing(product, with: "").matches(of: regex).compactMap { match in match.output[1].substring.map(String.init) }
    }

    @Test func escapesEveryPieceOfText() async throws {
        let fileSystem = InMemoryFileSystem()
        let data = try Self.data(video: true, fileSystem: fileSystem)
        let index = try await ReportWriter(runner: Self.ffmpeg(fileSystem), fileSystem: fileSystem).write(data)
        let html = try fileSystem.readText(index)
        #expect(!html.contains("<script>alert"))
        #expect(!html.contains("<img src=x"))
        #expect(!html.contains("<b>Launch"))
        #expect(!html.contains("<h1>prompt"))
        #expect(!html.contains("<NSFW>"))
        #expect(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quoted&#39;"))
        #expect(html.contains("&lt;b&gt;Launch&lt;/b&gt;"))
        #expect(html.contains("prediction failed: &lt;NSFW&gt; &amp; more"))
        #expect(html.contains("pred&lt;1&gt;"))
        // The only script is Reel's own; nothing is fetched from anywhere.
        #expect(html.components(separatedBy: "<script>").count == 2)
        #expect(!html.contains("url("))
        #expect(try Self.links(in: html).allSatisfy { !$0.contains("://") })
        // The product URL is a link, escaped like any text.
        #expect(html.contains(#"<a class="product" href="https://example.com/?a=1&amp;b=&lt;2&gt;" rel="noopener">"#), "\(html)")
        #expect(html.contains("background:#1F6FEB"))
        #expect(html.contains("Cost (estimate)"))
    }

    @Test func linksOnlyRelativePathsThatExist() async throws {
        let fileSystem = InMemoryFileSystem()
        let data = try Self.data(video: true, fileSystem: fileSystem)
        let runner = Self.ffmpeg(fileSystem)
        let state = try #require(AbsolutePath("/cache/v1/reports/r.tsv"))
        let index = try await ReportWriter(runner: runner, fileSystem: fileSystem, stateFile: state).write(data)
        let html = try fileSystem.readText(index)
        let links = try Self.links(in: html)
        #expect(Set(links).isSuperset(of: [
            "video.mp4", "poster.jpg", "contact-sheet.jpg", "clips/01.mp4", "thumbs/a.jpg", "thumbs/b.jpg", "thumbs/c.jpg",
        ]))
        for link in links {
            #expect(!link.hasPrefix("/") && !link.contains(".."), "\(link)")
            #expect(fileSystem.exists(data.directory.appending(link)), "\(link) is not in the report folder")
        }
        #expect(try fileSystem.readText(data.directory.appending("clips/01.mp4")) == "clip 1")
        #expect(try fileSystem.readText(data.directory.appending("video.mp4")) == "video")
        let commands = runner.recorded.map(\.arguments)
        // Three thumbnails, made by one ffmpeg process.
        let scales: [String] = commands.flatMap { $0 }.filter { $0 == "scale=320:-2:flags=lanczos" }
        #expect(scales.count == 3)
        #expect(commands.filter { $0.contains("scale=320:-2:flags=lanczos") }.count == 1)
        let poster = try #require(commands.first { $0.last?.hasSuffix("poster.jpg") == true })
        #expect(poster.contains("2.000"))
        #expect(commands.contains { $0.contains { $0.contains("tile=4x3") } })
        // The contact sheet reads the video once, with one decoder (issue 10, item 16).
        let sheet = try #require(commands.first { $0.last?.hasSuffix("contact-sheet.jpg") == true })
        #expect(sheet.filter { $0 == "-i" }.count == 1)

        // A second report remakes nothing whose source is unchanged.
        let again = Self.ffmpeg(fileSystem)
        _ = try await ReportWriter(runner: again, fileSystem: fileSystem, stateFile: state).write(data)
        #expect(again.recorded.isEmpty)
        // What it remembers is in the cache, not in the self-contained folder.
        #expect(!fileSystem.exists(data.directory.appending(".stamps")))
        #expect(ReportWriter(runner: again, fileSystem: fileSystem, stateFile: state).isCurrent(data))
    }

    @Test func rendersWithoutAVideoAndSaysSo() async throws {
        let fileSystem = InMemoryFileSystem()
        let data = try Self.data(video: false, fileSystem: fileSystem)
        let runner = Self.ffmpeg(fileSystem, failing: "thumbs/.tmp-c")
        let index = try await ReportWriter(runner: runner, fileSystem: fileSystem).write(data)
        let html = try fileSystem.readText(index)
        #expect(html.contains("No final video."))
        #expect(!html.contains("id=\"final-video\""))
        #expect(!fileSystem.exists(data.directory.appending("video.mp4")))
        #expect(!fileSystem.exists(data.directory.appending("poster.jpg")))
        #expect(html.contains("This clip failed."))
        // The thumbnail ffmpeg could not make is noted, escaped, and the page still names the asset.
        #expect(html.contains("the thumbnail of &#39;c&#39; could not be made"))
        #expect(html.contains("broken &lt;input&gt;"))
        #expect(!fileSystem.exists(data.directory.appending("thumbs/c.jpg")))
        #expect(html.contains("data-last=\"c\""))
    }

    @Test func escapingAndNamesHelpers() {
        #expect(HTMLText.escape(#"<a href="x">'&'</a>"#) == "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;")
        #expect(HTMLText.url("clips/01.mp4") == "clips/01.mp4")
        // The shortcut for plain paths gives what encoding every component gives.
        for path in ["clips/01.mp4", "thumbs/img_00-1~a.jpg", "a/./b", "a/../b", "./a", "../a", "a/.", "a/..", "...", "a/.../b", ".hidden/x",
                     "/a", "a/", "a//b", "", "/", "a b", "é.jpg", "a%20b", "a&b", "a\"b", "a?b#c", "..a", "a..", "x/.y/z."]
        {
            #expect(HTMLText.url(path) == HTMLText.encodedURL(path), "\(path)")
        }
        for text in ["plain", "", "tab\tand é ☕", "a&b", "<", ">", "\"", "'", "nul\u{0}"] {
            #expect(HTMLText.escape(text).contains(where: { "<>\"'\u{0}".contains($0) }) == false)
        }
        #expect(HTMLText.url("../x/\"a b\".jpg") == "_/x/%22a%20b%22.jpg")
        #expect(HTMLText.fileName(for: "rocket_1.v2") == "rocket_1.v2")
        let odd = HTMLText.fileName(for: "../etc/passwd")
        #expect(!odd.contains("/") && !odd.hasPrefix("."))
        #expect(HTMLText.hexColour("#abcdef") == "#ABCDEF")
        #expect(HTMLText.hexColour("red;x") == nil)
        #expect(HTMLText.dollars(0.004) == "$0.0040")
        #expect(HTMLText.dollars(1.5) == "$1.50")
    }
}

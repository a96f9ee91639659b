import Foundation
import ReelBasics
import ReelManifest
import ReelMedia

/// The storyboard's `index.html`: the final video at the top, totals, then one card per pair.
/// Every piece of text is escaped; every link is a relative path inside the report folder.
struct ReportPage {
    let data: ReportData
    let files: ReportFiles

    func render() -> String {
        let title = data.campaign.name ?? data.campaign.id
        return """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="generator" content="reel">
            <title>\(e(title)) · storyboard</title>
            <style>
            :root { --accent: \(accent); }
            \(ReportStyle.css)
            \(data.variants.isEmpty && data.takes.isEmpty ? "" : ReportPage.comparisonCSS)
            </style>
            </head>
            <body>
            <main class="page">
            \(masthead(title: title))
            \(totals)
            \(finalVideo)
            \(variantsSection)
            \(takesSection)
            <section class="pairs" aria-label="Clips">
            <h2>Clip by clip</h2>
            \(data.pairs.isEmpty ? emptyPairs : data.pairs.map(card).joined(separator: "\n"))
            </section>
            \(footer)
            </main>
            <script>
            \(ReportStyle.script)
            </script>
            </body>
            </html>

            """
    }

    /// Escapes text.
    func e(_ text: String) -> String { HTMLText.escape(text) }

    /// The brand's first colour, when it is a valid `#RRGGBB`, else Reel's.
    var accent: String { data.brand.colors.lazy.compactMap(HTMLText.hexColour).first ?? "#C2410C" }

    /// Whether costs are estimates: every priced cost is the registry's (or the manifest's) price,
    /// not a provider's invoice, so any non-zero cost is labelled one.
    var costIsEstimate: Bool { data.totalCostUSD > 0 || data.pairs.contains { $0.costUSD > 0 } }

    private func masthead(title: String) -> String {
        var facts: [(String, String)] = []
        if let audience = data.campaign.audience { facts.append(("Audience", e(audience))) }
        if let product = data.campaign.productURL {
            let lower = product.lowercased()
            let link = lower.hasPrefix("https://") || lower.hasPrefix("http://")
            facts.append(("Product", link ? "<a class=\"product\" href=\"\(e(product))\" rel=\"noopener\">\(e(product))</a>" : "<code>\(e(product))</code>"))
        }
        if let brand = data.brand.name { facts.append(("Brand", e(brand))) }
        if let voice = data.brand.voice { facts.append(("Voice", e(voice))) }
        facts.append(("Pairs chosen by", e(data.selector)))
        let swatches = data.brand.colors.compactMap(HTMLText.hexColour).map { colour in
            "<span class=\"swatch\" style=\"background:\(colour)\" title=\"\(colour)\"></span>"
        }.joined()
        return """
            <header class="masthead">
            <p class="eyebrow">Reel storyboard · <span class="quality">\(e(data.quality))</span> quality · campaign <code>\(e(data.campaign.id))</code></p>
            <h1>\(e(title))</h1>
            \(data.campaign.goal.map { "<p class=\"goal\">\(e($0))</p>" } ?? "")
            <dl class="facts">\(facts.map { "<div><dt>\($0.0)</dt><dd>\($0.1)</dd></div>" }.joined())</dl>
            \(swatches.isEmpty ? "" : "<div class=\"swatches\" aria-label=\"Brand colours\">\(swatches)</div>")
            </header>
            """
    }

    private var totals: String {
        let cost = HTMLText.dollars(data.totalCostUSD)
        let costNote = costIsEstimate ? "estimate; cached clips count what they cost when built" : "nothing paid"
        var length = "no video yet"
        if let media = data.videoMedia, files.video != nil { length = describe(media) }
        let tiles: [(String, String, String, String)] = [
            ("clips", "\(data.pairs.count)", "Clips", "one per pair of images"),
            ("built", "\(data.builtCount)", "Built", "steps run this time"),
            ("cached", "\(data.cachedCount)", "Cached", "steps taken from the cache"),
            ("failed", "\(data.failedCount)", "Failed", data.failedCount == 0 ? "none" : "see the cards below"),
            ("cost", (costIsEstimate ? "≈ " : "") + cost, costIsEstimate ? "Cost (estimate)" : "Cost", costNote),
            ("length", files.video == nil ? "–" : data.videoMedia.map { HTMLText.seconds($0.duration) } ?? "–", "Length", length),
        ]
            + (data.buildSeconds.map { [("time", HTMLText.seconds($0), "Build time", "the whole build, start to end")] } ?? [])
        let cells = tiles.map { tile in
            "<div class=\"tile tile-\(tile.0)\"><span class=\"value\">\(e(tile.1))</span><span class=\"label\">\(e(tile.2))</span><span class=\"note\">\(e(tile.3))</span></div>"
        }
        return "<section class=\"totals\" aria-label=\"Totals\">\(cells.joined())</section>\n\(changes)"
    }

    /// What the build that wrote the page changed, node by node with why.
    private var changes: String {
        guard data.buildSeconds != nil else { return "" }
        let items = data.changes.isEmpty
            ? "<p class=\"dim\">Nothing was rebuilt: every step came from the cache; the page was refreshed because what it shows changed.</p>"
            : "<ul>\(data.changes.map { "<li><code>\(e(String($0.prefix { $0 != ":" })))</code>\(e(String($0.drop { $0 != ":" })))</li>" }.joined())</ul>"
        return "<section class=\"changes\" id=\"changes\" aria-label=\"What changed\"><h2>What changed in this build</h2>\(items)</section>"
    }

    private var finalVideo: String {
        guard let video = files.video else {
            let why = data.failedCount > 0
                ? "The build failed before the final video was made (\(data.failedCount) failed step\(data.failedCount == 1 ? "" : "s"); see the cards below)."
                : "The final video has not been built yet."
            return """
                <section class="final" aria-label="Final video">
                <h2>Final video</h2>
                <div class="missing" id="no-video"><strong>No final video.</strong> \(e(why)) Run <code>reel build</code> on the manifest, then open this page again.</div>
                </section>
                """
        }
        let poster = files.poster.map { " poster=\"\(HTMLText.url($0))\"" } ?? ""
        let sheet = files.contactSheet.map { sheet in
            """
            <figure class="sheet"><img src="\(HTMLText.url(sheet))" alt="Contact sheet: \(ReportFrames.columns * ReportFrames.rows) evenly spaced frames of the final video" loading="lazy">
            <figcaption>Contact sheet: \(ReportFrames.columns * ReportFrames.rows) evenly spaced frames</figcaption></figure>
            """
        } ?? ""
        return """
            <section class="final" aria-label="Final video">
            <h2>Final video</h2>
            <video id="final-video" class="final-video" src="\(HTMLText.url(video))"\(poster) controls preload="metadata" playsinline></video>
            <p class="caption">\(data.videoMedia.map { e(describe($0)) } ?? "") · <a href="\(HTMLText.url(video))" download>download video.mp4</a></p>
            \(sheet)
            </section>
            """
    }

    private var emptyPairs: String {
        "<p class=\"missing\">No pairs yet: selection has not run. Run <code>reel build</code> on the manifest.</p>"
    }

    private var footer: String {
        let notes = files.notes.isEmpty ? "" : """
            <div class="notes"><strong>Some pictures are missing:</strong><ul>\(files.notes.map { "<li>\(e($0))</li>" }.joined())</ul>
            <p>Check that ffmpeg is installed (<code>sudo apt-get install -y ffmpeg</code>) and run <code>reel report</code> again.</p></div>
            """
        return """
            <footer class="footer">
            \(notes)
            <p>Made by <code>reel</code> on <time datetime="\(e(data.generatedAt))">\(e(HTMLText.readableTime(data.generatedAt)))</time>. This folder is self-contained: move or share it whole.</p>
            </footer>
            """
    }

    /// `3.5 s · 640×360 · 24 fps · h264 · with sound`.
    func describe(_ media: MediaInfo) -> String {
        let fps = media.fps.rounded() == media.fps ? String(format: "%.0f", media.fps) : String(format: "%.2f", media.fps)
        return "\(HTMLText.seconds(media.duration)) · \(media.width)×\(media.height) · \(fps) fps · \(media.videoCodec)" + (media.hasAudio ? " · with sound" : "")
    }
}

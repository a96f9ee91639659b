import Foundation
import ReelBasics
import ReelManifest
import ReelMedia

extension ReportPage {
    /// One pair: the two images, the clip, why the pair was chosen, and what making it took.
    func card(_ pair: ReportData.Pair) -> String {
        let number = NumberText.zeroPadded(pair.index + 1, width: 2)
        let state = stateClass(pair.state)
        return """
            <article class="pair state-\(state)" id="pair-\(pair.index + 1)" data-node="\(e(pair.nodeID))" data-first="\(e(pair.first.id))" data-last="\(e(pair.last.id))">
            <header class="pair-head">
            <span class="number">\(number)</span>
            <h3><span class="asset-id">\(e(pair.first.id))</span> <span class="to" aria-label="to">→</span> <span class="asset-id">\(e(pair.last.id))</span></h3>
            <span class="badge badge-\(state)">\(e(stateLabel(pair.state)))</span>
            </header>
            <div class="frames">
            \(frame(pair.first, role: "First frame"))
            <div class="arrow" aria-hidden="true">→</div>
            \(frame(pair.last, role: "Last frame"))
            \(clip(pair))
            </div>
            <div class="why">
            \(score(pair))
            <p class="reasoning">\(e(pair.reasoning))</p>
            \(data.localGenerator ? "" : "<p class=\"prompt\"><span class=\"label\">Motion prompt</span> \(e(pair.prompt))</p>")
            </div>
            \(facts(pair))
            \(pair.message.map { "<p class=\"error\"><strong>\(e(stateLabel(pair.state))):</strong> \(e($0))</p>" } ?? "")
            </article>
            """
    }

    /// The selector's score; explicit pairs were chosen by a person and have none.
    private func score(_ pair: ReportData.Pair) -> String {
        guard !data.explicitPairs else { return "<p class=\"score dim\">Pair written in the manifest</p>" }
        let percent = e(HTMLText.percent(pair.score))
        return "<div class=\"score\" title=\"Selector score \(percent)\"><span class=\"score-bar\"><span style=\"width:\(percent)\"></span></span><span class=\"score-value\">score \(percent)</span></div>"
    }

    private func frame(_ asset: ResolvedAsset, role: String) -> String {
        let picture = files.thumbnails[asset.id].map { path in
            "<img src=\"\(HTMLText.url(path))\" alt=\"\(e(role)): \(e(asset.id))\" loading=\"lazy\">"
        } ?? "<div class=\"placeholder\">no thumbnail</div>"
        return """
            <figure class="frame">\(picture)<figcaption><span class="role">\(e(role))</span> <code>\(e(asset.id))</code><small>\(e(asset.projectRelativePath))</small></figcaption></figure>
            """
    }

    private func clip(_ pair: ReportData.Pair) -> String {
        guard let path = files.clips[pair.index] else {
            let why: String
            switch pair.state {
            case "failed": why = "This clip failed."
            case "skipped": why = "Skipped: something it depends on failed."
            case "stale": why = "Not built yet."
            default: why = "The clip file is missing; run reel build again."
            }
            return "<figure class=\"clip\"><div class=\"placeholder clip-missing\">\(e(why))</div><figcaption><span class=\"role\">Clip</span></figcaption></figure>"
        }
        // No poster: the browser shows the clip's own first frame (a thumbnail of the source image
        // would be pillarboxed where the clip is cropped to fill the frame).
        let poster = ""
        let length = pair.media.map { " · " + e(HTMLText.seconds($0.duration)) } ?? ""
        return """
            <figure class="clip"><video class="clip-video" src="\(HTMLText.url(path))"\(poster) controls muted loop preload="metadata" playsinline></video><figcaption><span class="role">Clip</span> \(e(path))\(length)</figcaption></figure>
            """
    }

    private func facts(_ pair: ReportData.Pair) -> String {
        var rows: [(String, String)] = [
            ("Model", "\(e(pair.model)) <span class=\"dim\">via \(e(pair.provider))</span>"),
            ("Cost", cost(pair)),
            ("Cache", "<span class=\"badge badge-\(stateClass(pair.state))\">\(e(stateLabel(pair.state)))</span>"),
            ("Time", timing(pair)),
            ("Node", "<code>\(e(pair.nodeID))</code>"),
        ]
        if let media = pair.media { rows.append(("Clip", e(describe(media)))) }
        if let prediction = pair.predictionID { rows.append(("Prediction", "<code>\(e(prediction))</code>")) }
        return "<dl class=\"meta\">\(rows.map { "<div><dt>\($0.0)</dt><dd>\($0.1)</dd></div>" }.joined())</dl>"
    }

    private func cost(_ pair: ReportData.Pair) -> String {
        guard pair.costUSD > 0 else { return pair.state == "built" || pair.state == "cached" ? "free" : "–" }
        let amount = e(HTMLText.dollars(pair.costUSD))
        let when = pair.state == "cached" ? ", paid when first built" : ""
        return "\(amount) <span class=\"dim\">(estimate\(when))</span>"
    }

    private func timing(_ pair: ReportData.Pair) -> String {
        if pair.state == "cached" {
            return pair.seconds > 0 ? "\(e(HTMLText.seconds(pair.seconds))) <span class=\"dim\">(from the cache)</span>" : "from the cache"
        }
        return pair.seconds > 0 ? e(HTMLText.seconds(pair.seconds)) : "–"
    }

    /// A CSS-safe state name.
    func stateClass(_ state: String) -> String {
        ["built", "cached", "failed", "skipped", "stale"].contains(state) ? state : "other"
    }

    func stateLabel(_ state: String) -> String {
        switch state {
        case "built": return "built now"
        case "cached": return "cached"
        case "failed": return "failed"
        case "skipped": return "skipped"
        case "stale": return "not built"
        default: return state
        }
    }
}

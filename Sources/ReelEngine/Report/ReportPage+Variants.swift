import Foundation
import ReelBasics
import ReelManifest

/// The storyboard's comparisons (issue 14): the variants side by side, and every take of a
/// re-rolled clip side by side with the chosen one marked.
extension ReportPage {
    /// One row per pair, one column per variant: each clip's model, cost and time, and at the foot
    /// each variant's video and total. Empty without variants.
    var variantsSection: String {
        guard !data.variants.isEmpty else { return "" }
        let head = data.variants.map { column in
            """
            <th scope="col" class="variant" data-variant="\(e(column.name))"><span class="variant-name">\(e(column.name))</span>\
            <small>\(e(column.model)) · \(e(column.transition))</small></th>
            """
        }.joined()
        let pairCount = data.variants.map(\.cells.count).max() ?? 0
        var rows: [String] = []
        for index in 0..<pairCount {
            let label = data.pairs.first { $0.index == index }.map { "\(e($0.first.id)) → \(e($0.last.id))" } ?? "pair \(index + 1)"
            let cells = data.variants.map { column -> String in
                guard let cell = column.cells.first(where: { $0.index == index }) else { return "<td class=\"dim\">–</td>" }
                let cost = cell.costUSD > 0 ? e(HTMLText.dollars(cell.costUSD)) : (cell.state == "cached" || cell.state == "built" ? "free" : "–")
                let time = cell.seconds > 0 ? e(HTMLText.seconds(cell.seconds)) : (cell.state == "cached" ? "from the cache" : "–")
                let shared = cell.sharedWith.map { " <span class=\"shared\" title=\"the same clip as variant \(e($0))'s: built and paid for once\">shared with \(e($0))</span>" } ?? ""
                let take = cell.take > 1 ? " <span class=\"take-number\">take \(cell.take)</span>" : ""
                return """
                    <td class="variant-clip state-\(stateClass(cell.state))" data-variant="\(e(column.name))" data-node="\(e(cell.nodeID))">\
                    <span class="model">\(e(cell.model))</span>\(take)\(shared)\
                    <span class="cost">\(cost)</span><span class="time">\(time)</span></td>
                    """
            }.joined()
            rows.append("<tr><th scope=\"row\">\(NumberText.zeroPadded(index + 1, width: 2)) \(label)</th>\(cells)</tr>")
        }
        let videos = data.variants.map { column -> String in
            guard let path = files.variantVideos[column.name] else { return "<td class=\"dim\">no video yet</td>" }
            return """
                <td data-variant="\(e(column.name))"><video class="variant-video" src="\(HTMLText.url(path))" controls muted preload="metadata" playsinline></video></td>
                """
        }.joined()
        let totals = data.variants.map { column in
            "<td class=\"variant-total\" data-variant=\"\(e(column.name))\">\(e(HTMLText.dollars(column.totalUSD)))\(column.seconds > 0 ? " · " + e(HTMLText.seconds(column.seconds)) : "")</td>"
        }.joined()
        return """
            <section class="variants" id="variants" aria-label="Variants">
            <h2>Variants side by side</h2>
            <p class="dim">One selection, a video per variant. A clip two variants share is built and paid for once; \
            each variant's total counts it.</p>
            <div class="variants-scroll"><table class="variants-table">
            <thead><tr><th scope="col">Pair</th>\(head)</tr></thead>
            <tbody>\(rows.joined(separator: "\n"))</tbody>
            <tfoot><tr><th scope="row">Video</th>\(videos)</tr><tr><th scope="row">Total</th>\(totals)</tr></tfoot>
            </table></div>
            </section>
            """
    }

    /// Every take of each clip that has more than one, side by side; the chosen take marked.
    var takesSection: String {
        guard !data.takes.isEmpty else { return "" }
        let groups = data.takes.map { group -> String in
            let takes = group.takes.map { take -> String in
                let clip = files.takeClips["\(group.nodeID)#\(take.number)"].map { path in
                    "<video class=\"take-video\" src=\"\(HTMLText.url(path))\" controls muted loop preload=\"metadata\" playsinline></video>"
                } ?? "<div class=\"placeholder\">clip not placed</div>"
                let cost = take.costUSD > 0 ? e(HTMLText.dollars(take.costUSD)) : "free"
                return """
                    <figure class="take\(take.chosen ? " chosen" : "")" data-take="\(take.number)"\(take.chosen ? " aria-current=\"true\"" : "")>\(clip)\
                    <figcaption>take \(take.number)\(take.chosen ? " <strong class=\"chosen-mark\">✓ chosen</strong>" : "") · \(e(take.model)) · \(cost)</figcaption></figure>
                    """
            }.joined()
            let variant = group.variant.isEmpty ? "" : " <span class=\"dim\">(variant \(e(group.variant)))</span>"
            return """
                <div class="takes-group" data-node="\(e(group.nodeID))">
                <h3><code>\(e(group.nodeID))</code> \(e(group.first)) → \(e(group.last))\(variant)</h3>
                <div class="takes-row">\(takes)</div>
                <p class="dim">Go back to another take for $0 with <code>reel pick \(e(group.nodeID)) --take N</code>.</p>
                </div>
                """
        }.joined(separator: "\n")
        return """
            <section class="takes" id="takes" aria-label="Takes">
            <h2>Takes</h2>
            \(groups)
            </section>
            """
    }

    /// Styles of the comparisons (kept with them, so ReportStyle stays as it is).
    static let comparisonCSS = """
        .variants-scroll { overflow-x: auto; }
        .variants-table { border-collapse: collapse; width: 100%; }
        .variants-table th, .variants-table td { border: 1px solid #ddd; padding: .4rem .6rem; vertical-align: top; text-align: left; }
        .variants-table .variant small { display: block; font-weight: normal; opacity: .7; }
        .variant-clip span { display: block; }
        .variant-clip .shared, .variant-clip .take-number { font-size: .8em; opacity: .75; }
        .variant-video { width: 100%; max-width: 360px; }
        .takes-row { display: flex; flex-wrap: wrap; gap: .75rem; }
        .take { margin: 0; padding: .4rem; border: 2px solid transparent; border-radius: 6px; }
        .take.chosen { border-color: var(--accent); }
        .take-video { width: 240px; display: block; }
        """
}

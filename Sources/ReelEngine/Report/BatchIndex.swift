import Foundation
import ReelBasics
import ReelManifest

/// A small page linking the storyboards of a batch (`reel build 'campaigns/**/reel.yaml'`): one row
/// per campaign with its state, its video and its storyboard, by relative links.
struct BatchIndex {
    let fileSystem: any FileSystem

    /// Where the page of a batch goes: `<project>/.reel/storyboards.html`.
    static func path(projectRoot: AbsolutePath) -> AbsolutePath {
        projectRoot.appending(".reel/storyboards.html")
    }

    func write(_ builds: [CampaignBuild], at path: AbsolutePath) throws {
        var rows = ""
        for build in builds {
            let campaign = build.campaign
            let report = ReportData.directory(for: campaign).appending("index.html")
            let state = build.result.succeeded ? "built" : (build.result.completedItsPart ? "partly built (sharded)" : "failed")
            let video = build.result.video.map { "<a href=\"\(HTMLText.url($0.relative(to: path.parent)))\">video</a>" } ?? "no video yet"
            let storyboard = fileSystem.exists(report)
                ? "<a href=\"\(HTMLText.url(report.relative(to: path.parent)))\">storyboard</a>" : "no storyboard"
            rows += """
                <tr><td>\(HTMLText.escape(campaign.campaign.name ?? campaign.campaign.id))</td>\
                <td><code>\(HTMLText.escape(campaign.campaign.id))</code></td><td>\(HTMLText.escape(state))</td>\
                <td>\(video)</td><td>\(storyboard)</td></tr>

                """
        }
        let html = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>Reel: \(builds.count) campaigns</title>
            <style>body{font:15px/1.5 system-ui,sans-serif;margin:2rem;color:#222}table{border-collapse:collapse}\
            td,th{padding:.35rem .8rem;border-bottom:1px solid #ddd;text-align:left}</style></head>
            <body><h1>\(builds.count) campaigns</h1>
            <table><tr><th>Campaign</th><th>Id</th><th>State</th><th>Video</th><th>Storyboard</th></tr>
            \(rows)</table></body></html>

            """
        try fileSystem.writeAtomically(Data(html.utf8), to: path, durable: false)
    }
}

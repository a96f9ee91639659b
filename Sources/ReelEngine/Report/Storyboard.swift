import Foundation
import ReelBasics
import ReelManifest

/// The storyboard after a build: an output like any other, rewritten when anything it shows
/// changed (a brand edit, a rebuilt clip, a file deleted from its folder), left alone otherwise.
public enum Storyboard {
    /// Writes the storyboard of `result` unless the page already shows it.
    /// - Parameter seconds: the build's wall time, shown on the page.
    /// - Returns: the page's path when it was written, `nil` when it was already current.
    public static func afterBuild(_ result: BuildResult, workspace: Workspace, seconds: Double?) async throws -> AbsolutePath? {
        let environment = workspace.environment
        let directory = ReportData.directory(for: workspace.campaign)
        let writer = ReportWriter(
            runner: environment.runner, fileSystem: environment.fileSystem,
            stateFile: ReportWriter.stateFile(for: directory, in: workspace.store.layout), assetDigests: workspace.assetDigests)
        // A build that ran something shows new times and changes: always written.
        let unchanged = result.count(.built) == 0 && !result.lockfileChanged
        let sources = sourcesDigest(result, workspace: workspace)
        // Fast path of a no-op: the same manifest, lockfile and outputs as when the page was written.
        if unchanged, let sources, writer.isCurrent(directory: directory, sources: sources) { return nil }
        let data = await ReportData.make(result, workspace: workspace, now: environment.now(), seconds: seconds)
            .withTakes(selection: result.selection, workspace: workspace)
        if unchanged, writer.isCurrent(data) {
            if let sources { writer.remember(sources: sources) }
            return nil
        }
        let index = try await writer.write(data)
        if let sources { writer.remember(sources: sources) }
        return index
    }

    /// A digest of everything the page is made from, cheap to compute: the manifest's bytes, the
    /// lockfile, and each node's state (built counted as cached) and output. `nil` when the
    /// manifest cannot be read.
    static func sourcesDigest(_ result: BuildResult, workspace: Workspace) -> String? {
        guard let manifest = try? workspace.environment.fileSystem.read(workspace.campaign.manifestPath) else { return nil }
        // Hashed as it is written: at 10,000 pairs the whole text was 16 MB (the lockfile and a
        // line per node), and with its copy for hashing a third of a no-op's peak heap.
        var hasher = DigestBuilder()
        hasher.update("reel-storyboard-sources-1\n" + Digest.of(manifest).hex + "\n")
        hasher.update(workspace.lockfileText ?? "")
        hasher.update("\n")
        let nodes = result.nodes
        for index in nodes.indices {
            let state = nodes[index].state == .built ? "cached" : nodes[index].state.rawValue
            hasher.update("\(nodes[index].id)\t\(state)\t\(nodes[index].outputDigest?.hex ?? "-")\t\(nodes[index].message ?? "")\n")
        }
        hasher.update(result.video?.pathString ?? "-")
        return hasher.finalize().hex
    }
}

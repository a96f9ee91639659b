import Foundation
import ReelBasics
import ReelGraph
import ReelManifest

/// Builds the lockfile from a successful build and writes it when its content changed.
struct LockfileWriter {
    let workspace: Workspace

    /// The lockfile for `result`.
    func lockfile(for result: BuildResult) -> Lockfile {
        let campaign = workspace.campaign
        let pairs = (result.selection?.pairs ?? []).map { pair in
            LockedPair(first: pair.first, last: pair.last, score: pair.score, reasoning: pair.reasoning, prompt: pair.prompt)
        }
        let nodes = result.nodes.compactMap { outcome -> LockedNode? in
            guard let spec = outcome.spec else { return nil }
            let material = spec.keyMaterial
            let metadata = outcome.result?.metadata ?? [:]
            var cost: Double?
            if let value = metadata["cost_usd"]?.doubleValue, value > 0 { cost = value }
            return LockedNode(
                id: spec.id.rawValue, kind: spec.kind.rawValue, key: spec.key, output: outcome.outputDigest, engine: material.engineVersion,
                provider: material.provider, model: material.model, settings: .object(material.params), inputs: material.inputs,
                costUSD: cost, predictionID: metadata["prediction_id"]?.stringValue)
        }
        let output = result.videoDigest.map { LockedOutput(path: campaign.output.path.relative(to: campaign.manifestPath.parent), digest: $0) }
        return Lockfile(campaign: campaign.campaign.id, quality: campaign.quality.rawValue, output: output, pairs: pairs, nodes: nodes)
    }

    /// Writes the lockfile if it differs from what is on disk (only reports it with `dryRun`).
    /// - Returns: whether it changed.
    func write(_ result: BuildResult, dryRun: Bool = false) throws -> Bool {
        let path = workspace.campaign.lockfilePath
        let existing = try workspace.lockfileText ?? Workspace.readLockfile(path, fileSystem: workspace.environment.fileSystem)
        let text = try lockfile(for: result).yamlText(sizeHint: existing?.utf8.count ?? 0)
        if let existing, existing == text { return false }
        // A lockfile that does not parse (git conflict markers) is the user's to resolve, not ours to overwrite.
        if existing != nil, let problem = workspace.lockfileProblem { throw LockfileUnreadable(path: path.pathString, reason: problem) }
        if dryRun { return true }
        try workspace.environment.fileSystem.writeAtomically(Data(text.utf8), to: path)
        return true
    }
}

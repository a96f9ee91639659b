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
        let base = campaign.manifestPath.parent
        var output: LockedOutput?
        var variants: [LockedVariant]?
        var lockedNodes = nodes
        if campaign.variants.isEmpty {
            output = result.videoDigest.map { LockedOutput(path: campaign.output.path.relative(to: base), digest: $0) }
        } else {
            var built = result.variants.map { variant in
                LockedVariant(
                    name: variant.name, path: (campaign.variants.first { $0.name == variant.name }?.output.path ?? campaign.output.path).relative(to: base),
                    digest: variant.videoDigest, clips: variant.clipNodes.map(\.rawValue), combine: variant.combineNode.rawValue)
            }
            // `--variant` built some: the others' entries (and their own nodes) stay as they were.
            let names = Set(built.map(\.name))
            if let previous = workspace.lockfile, previous.campaign == campaign.campaign.id {
                let kept = (previous.variants ?? []).filter { old in !names.contains(old.name) && campaign.variants.contains { $0.name == old.name } }
                let present = Set(lockedNodes.map(\.id))
                let wanted = Set(kept.flatMap { $0.clips + [$0.combine] })
                lockedNodes += previous.nodes.filter { wanted.contains($0.id) && !present.contains($0.id) }
                built += kept
            }
            let order = campaign.variants.map(\.name)
            variants = built.sorted { (order.firstIndex(of: $0.name) ?? 0) < (order.firstIndex(of: $1.name) ?? 0) }
            let sortKeys = Dictionary(lockedNodes.map { ($0.id, NodeID($0.id).sortKey) }, uniquingKeysWith: { first, _ in first })
            lockedNodes.sort { (sortKeys[$0.id] ?? NodeID($0.id).sortKey) < (sortKeys[$1.id] ?? NodeID($1.id).sortKey) }
        }
        return Lockfile(
            campaign: campaign.campaign.id, quality: campaign.quality.rawValue, output: output, pairs: pairs, takes: lockedTakes(result),
            variants: variants, nodes: lockedNodes)
    }

    /// The takes above 1 of the clips in the selection (and, after `--variant`, those the lockfile
    /// had for the variants not built), by pair.
    func lockedTakes(_ result: BuildResult) -> [LockedTake]? {
        let builder = workspace.builder
        let built = Set(builder.lanes.map(\.name))
        let pairs = Set((result.selection?.pairs ?? []).map { TakeSlot(first: $0.first, last: $0.last) })
        let slots = workspace.takes.filter { slot, take in
            take > 1 && pairs.contains(TakeSlot(first: slot.first, last: slot.last))
                && (built.contains(slot.variant) || workspace.campaign.variants.contains { $0.name == slot.variant })
        }
        guard !slots.isEmpty else { return nil }
        return slots.keys.sorted().map { slot in
            LockedTake(variant: slot.variant.isEmpty ? nil : slot.variant, first: slot.first, last: slot.last, take: slots[slot] ?? 1)
        }
    }

    /// Writes the lockfile if it differs from what is on disk (only reports it with `dryRun`).
    /// - Returns: whether it changed.
    func write(_ result: BuildResult, dryRun: Bool = false) throws -> Bool {
        let path = workspace.campaign.lockfilePath
        let existing = try workspace.lockfileText ?? Workspace.readLockfile(path, fileSystem: workspace.environment.fileSystem)
        let text: String
        if let existing {
            guard let changed = lockfile(for: result).yamlText(unlessItIs: existing) else { return false }
            text = changed
        } else {
            text = try lockfile(for: result).yamlText()
        }
        // A lockfile that does not parse (git conflict markers) is the user's to resolve, not ours to overwrite.
        if existing != nil, let problem = workspace.lockfileProblem { throw LockfileUnreadable(path: path.pathString, reason: problem) }
        if dryRun { return true }
        try workspace.environment.fileSystem.writeAtomically(Data(text.utf8), to: path)
        return true
    }
}

import Foundation
import ReelBasics
import ReelCache
import ReelGraph
import ReelManifest
import ReelMedia

/// `features/<asset>`: a thumbnail through ffmpeg, reduced to `ImageFeatures`.
public struct FeaturesExecutor: NodeExecutor {
    public init() {}

    public func execute(_ spec: NodeSpec, in context: ExecutionContext) async throws -> ActionOutcome {
        guard case .features(let input) = spec.action else { throw EngineError.wrongAction(spec.id) }
        let features = try await FeatureExtractor(runner: context.environment.runner).features(of: input.asset.path, size: input.size)
        let output = try await context.storeData(features.canonicalData(), as: NodeKind.features.outputName)
        return ActionOutcome(outputs: [output], metadata: ["mean_color": .string(features.meanColor)])
    }
}

/// `select` with the local selector: scores pairs from the features blobs.
public struct LocalSelectExecutor: NodeExecutor {
    public init() {}

    public func execute(_ spec: NodeSpec, in context: ExecutionContext) async throws -> ActionOutcome {
        guard case .select(let input) = spec.action else { throw EngineError.wrongAction(spec.id) }
        var images: [LocalPairScorer.Image] = []
        for candidate in input.candidates {
            guard let digest = candidate.features else { throw EngineError.missingInput(spec.id, "features of '\(candidate.asset.id)'") }
            let features = try ImageFeatures(data: try await context.store.data(digest))
            images.append(LocalPairScorer.Image(id: candidate.asset.id, features: features, tags: candidate.asset.tags))
        }
        let scorer = LocalPairScorer(images: images, brandColors: input.brand.colors)
        let selection = Selection(pairs: scorer.select(count: input.settings.count))
        let output = try await context.storeData(selection.canonicalData(), as: NodeKind.select.outputName)
        return ActionOutcome(outputs: [output], metadata: ["selector": "local", "pairs": .int(selection.pairs.count)])
    }
}

/// `generate/<n>` with the local animatic.
public struct AnimaticExecutor: NodeExecutor {
    public init() {}

    public func execute(_ spec: NodeSpec, in context: ExecutionContext) async throws -> ActionOutcome {
        guard case .generate(let input) = spec.action else { throw EngineError.wrongAction(spec.id) }
        let settings = input.settings
        let temporary = try context.temporaryPath("clip.mp4")
        defer { context.removeScratch(temporary) }
        let command = AnimaticCommand(
            first: input.first.path, last: input.last.path, output: temporary, width: settings.clipResolution.width,
            height: settings.clipResolution.height, fps: settings.fps, duration: settings.duration, fit: settings.fit.rawValue,
            seed: settings.seed ?? 0, crf: settings.crf, encoderPreset: settings.encoderPreset)
        _ = try await context.environment.runner.checkedRun(ProcessSpec("ffmpeg", command.arguments))
        let info = try await MediaProbe(runner: context.environment.runner).probe(temporary)
        let expected = Double(command.frames) / Double(settings.fps)
        guard abs(info.duration - expected) < 0.1, info.width == settings.clipResolution.width else {
            throw EngineError.badOutput(spec.id, "expected \(expected) s at \(settings.clipResolution), got \(info.duration) s at \(info.width)x\(info.height)")
        }
        let output = try await context.storeFile(temporary, as: NodeKind.generate.outputName)
        return ActionOutcome(outputs: [output], metadata: ["provider": "local", "model": "animatic", "media": info.canonical, "cost_usd": .decimal(0)])
    }
}

/// `combine`: one ffmpeg process joins every clip (or a stream copy when nothing needs encoding).
public struct CombineExecutor: NodeExecutor {
    public init() {}

    public func execute(_ spec: NodeSpec, in context: ExecutionContext) async throws -> ActionOutcome {
        guard case .combine(let input) = spec.action else { throw EngineError.wrongAction(spec.id) }
        let probe = MediaProbe(runner: context.environment.runner)
        var clips: [CombineClip] = []
        for (index, digest) in input.clips.enumerated() {
            let path = try await context.store.readablePath(digest)
            let known = context.upstream[spec.dependencies[safe: index] ?? .generate(index, campaign: spec.id.campaign)]?.metadata["media"]
            let info: MediaInfo
            if let stored = MediaInfo(canonical: known) { info = stored } else { info = try await probe.probe(path) }
            clips.append(CombineClip(path: path, info: info))
        }
        let output = input.output
        let temporary = try context.temporaryPath("video.mp4")
        defer { context.removeScratch(temporary) }
        let command = CombineCommand(
            clips: clips, output: temporary, width: output.resolution.width, height: output.resolution.height, fps: output.fps,
            fit: output.fit.rawValue, transition: output.transition.isNone ? "none" : output.transition.type,
            transitionDuration: output.transition.duration, keepAudio: output.audio == .keep, crf: output.crf,
            encoderPreset: output.encoderPreset)
        let mode: String
        if command.canStreamCopy {
            let list = try context.temporaryPath("concat.txt")
            defer { context.removeScratch(list) }
            try context.environment.fileSystem.writeAtomically(Data(command.concatList.utf8), to: list)
            _ = try await context.environment.runner.checkedRun(ProcessSpec("ffmpeg", command.copyArguments(listPath: list)))
            mode = "stream-copy"
        } else {
            _ = try await context.environment.runner.checkedRun(ProcessSpec("ffmpeg", command.encodeArguments))
            mode = "encode"
        }
        let info: MediaInfo
        if mode == "stream-copy", var first = clips.first?.info {
            // A stream copy re-muxes the clips as they are: the facts are theirs, the length their sum.
            first.duration = clips.reduce(0) { $0 + $1.info.duration }
            info = first
            let size = context.environment.fileSystem.info(temporary)?.size ?? 0
            guard size > 0 else { throw EngineError.badOutput(spec.id, "ffmpeg wrote an empty file") }
        } else {
            info = try await probe.probe(temporary)
            guard abs(info.duration - command.expectedDuration) < 0.25 else {
                throw EngineError.badOutput(spec.id, "expected \(command.expectedDuration) s, got \(info.duration) s")
            }
        }
        let stored = try await context.storeFile(temporary, as: NodeKind.combine.outputName)
        return ActionOutcome(outputs: [stored], metadata: ["media": info.canonical, "mode": .string(mode)])
    }
}

extension Array {
    subscript(safe index: Int) -> Element? {
        indices.contains(index) ? self[index] : nil
    }
}

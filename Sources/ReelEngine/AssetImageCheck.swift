import Foundation
import ReelBasics
import ReelCache
import ReelManifest
import ReelMedia

/// Manifest problems found after the manifest itself was read (an asset that is not a usable
/// image): printed like the manifest's own diagnostics, `file:line:col: error: …`.
public struct AssetProblems: Error, Sendable, CustomStringConvertible {
    public let diagnostics: [Diagnostic]

    public init(_ diagnostics: [Diagnostic]) {
        self.diagnostics = diagnostics
    }

    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}

/// Checks that every image asset decodes completely before anything uses it (planning, features,
/// uploads to a paid model). Each content digest is decoded once and remembered in the cache's
/// `image-checks.tsv`, so a no-op plan starts no process.
public struct AssetImageCheck: Sendable {
    public let runner: any ProcessRunner
    public let fileSystem: any FileSystem
    /// Where good images are remembered; `nil` decodes every image (no cache at hand).
    public let memo: ImageCheckMemo?

    public init(runner: any ProcessRunner, fileSystem: any FileSystem, memo: ImageCheckMemo?) {
        self.runner = runner
        self.fileSystem = fileSystem
        self.memo = memo
    }

    /// One error per unusable image, at its manifest entry, in manifest order.
    /// - Parameter digests: content digests by asset id (images without one are always decoded).
    /// - Throws: only when ffprobe cannot be run (not installed, cancelled).
    public func problems(in assets: [ResolvedAsset], digests: [String: Digest]) async throws -> [Diagnostic] {
        try await inspect(assets, digests: digests).problems
    }

    /// The problems, and how many images were decoded (those not remembered as good).
    func inspect(_ assets: [ResolvedAsset], digests: [String: Digest]) async throws -> (problems: [Diagnostic], decoded: Int) {
        // One decode per distinct content (by digest, or by path when there is none).
        var images: [(asset: ResolvedAsset, digest: Digest?, job: Int)] = []
        var jobs: [ResolvedAsset] = []
        var jobOf: [String: Int] = [:]
        for asset in assets where asset.kind == .image {
            let digest = digests[asset.id]
            if let digest, memo?.size(of: digest) != nil { continue }
            let identity = digest?.hex ?? "path:" + asset.path.pathString
            let job = jobOf[identity] ?? jobs.count
            if job == jobs.count {
                jobOf[identity] = job
                jobs.append(asset)
            }
            images.append((asset, digest, job))
        }
        guard !jobs.isEmpty else { return ([], 0) }
        let inspector = ImageInspector(runner: runner)
        let width = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 8))
        var verdicts: [Int: ImageVerdict] = [:]
        try await withThrowingTaskGroup(of: (Int, ImageVerdict).self) { group in
            var next = 0
            func launch() {
                let asset = jobs[next], job = next
                let size = fileSystem.infoFollowingSymlinks(asset.path)?.size
                group.addTask { (job, try await inspector.inspect(asset.path, size: size)) }
                next += 1
            }
            while next < min(width, jobs.count) { launch() }
            while let (job, verdict) = try await group.next() {
                verdicts[job] = verdict
                if next < jobs.count { launch() }
            }
        }
        var diagnostics: [Diagnostic] = []
        for image in images {
            switch verdicts[image.job] {
            case .ok(let width, let height)?:
                if let digest = image.digest { memo?.rememberGood(digest, width: width, height: height) }
            case .unusable(let reason)?:
                diagnostics.append(.error("image '\(image.asset.projectRelativePath)' (asset '\(image.asset.id)') cannot be used: \(reason)", at: image.asset.location))
            case nil:
                continue
            }
        }
        try memo?.save()
        return (diagnostics, jobs.count)
    }

    /// Throws `AssetProblems` when any image is unusable.
    /// - Returns: how many images were decoded (0 when every one was remembered as good).
    @discardableResult
    public func verify(_ assets: [ResolvedAsset], digests: [String: Digest]) async throws -> Int {
        let (found, decoded) = try await inspect(assets, digests: digests)
        if !found.isEmpty { throw AssetProblems(found) }
        return decoded
    }
}

extension AssetImageCheck {
    /// The image problems of `campaign` for `reel validate`: through the project's cache when it
    /// already exists (stat cache and memo: a second validate decodes nothing), else by decoding
    /// every image without creating a cache.
    public static func problems(of campaign: ResolvedCampaign, cacheRoot: AbsolutePath?, environment: BuildEnvironment) async throws -> [Diagnostic] {
        let root = cacheRoot ?? CacheStore.defaultRoot(projectRoot: campaign.projectRoot)
        guard environment.fileSystem.isDirectory(CacheLayout(root: root).versionRoot) else {
            return try await AssetImageCheck(runner: environment.runner, fileSystem: environment.fileSystem, memo: nil)
                .problems(in: campaign.assets, digests: [:])
        }
        let store = try CacheStore(root: root, fileSystem: environment.fileSystem)
        let (digests, _) = try AssetHasher(statCache: store.statCache).digests(of: campaign.assets.filter { $0.kind == .image })
        defer { store.flush() }
        return try await AssetImageCheck(runner: environment.runner, fileSystem: environment.fileSystem, memo: store.imageChecks)
            .problems(in: campaign.assets, digests: digests)
    }
}

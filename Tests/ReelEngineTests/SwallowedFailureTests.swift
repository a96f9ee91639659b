import Foundation
import ReelBasics
import ReelCache
import ReelEngine
import ReelGraph
import ReelManifest
import ReelTestSupport
import Testing

/// A file system that fails writes to paths ending in `suffix` (a full disk, a read-only folder).
struct FailingWritesFileSystem: FileSystem {
    let base = LocalFileSystem()
    let suffix: String

    struct Refused: Error, CustomStringConvertible {
        var description: String { "No space left on device" }
    }

    func info(_ path: AbsolutePath) -> FileInfo? { base.info(path) }
    func infoFollowingSymlinks(_ path: AbsolutePath) -> FileInfo? { base.infoFollowingSymlinks(path) }
    func read(_ path: AbsolutePath) throws -> Data { try base.read(path) }
    func writeAtomically(_ data: Data, to path: AbsolutePath, durable: Bool) throws {
        if path.pathString.hasSuffix(suffix) { throw Refused() }
        try base.writeAtomically(data, to: path, durable: durable)
    }
    func createDirectory(_ path: AbsolutePath) throws { try base.createDirectory(path) }
    func list(_ path: AbsolutePath) throws -> [String] { try base.list(path) }
    func resolvingSymlinks(_ path: AbsolutePath) throws -> AbsolutePath { try base.resolvingSymlinks(path) }
    func remove(_ path: AbsolutePath) throws { try base.remove(path) }
    func rename(_ source: AbsolutePath, to destination: AbsolutePath) throws { try base.rename(source, to: destination) }
    func linkOrCopy(_ source: AbsolutePath, to destination: AbsolutePath) throws { try base.linkOrCopy(source, to: destination) }
    func hash(_ path: AbsolutePath) throws -> (digest: Digest, size: Int64) { try base.hash(path) }
    func makeReadOnly(_ path: AbsolutePath) throws { try base.makeReadOnly(path) }
}

/// Issue 9 item 10: failures that used to be swallowed are reported.
@Suite struct SwallowedFailureTests {
    static let yaml = """
        version: 1
        campaign: {id: swallowed}
        assets:
          - glob: assets/*.jpg
        select: {pairs: [[a, b]]}
        """

    func build(in directory: AbsolutePath, fileSystem: any FileSystem = LocalFileSystem(), lockfileText: String? = nil) async throws -> BuildResult {
        var campaign = try CampaignFixtures.resolve(Self.yaml)
        campaign.output.path = directory.appending("out/video.mp4")
        campaign.manifestPath = directory.appending("reel.yaml")
        campaign.projectRoot = directory
        var environment = BuildEnvironment.live()
        environment.fileSystem = fileSystem
        let store = try CacheStore(root: directory.appending("cache"), fileSystem: LocalFileSystem())
        let workspace = Workspace(
            campaign: campaign, environment: environment, store: store, assetDigests: CampaignFixtures.digests(campaign),
            toolVersion: "ffmpeg test", lockfileText: lockfileText)
        let executors = ExecutorSet(animatic: RecordingExecutor.contentAddressed(), combine: RecordingExecutor.contentAddressed())
        return await BuildEngine(workspace: workspace, executors: executors, options: BuildOptions(jobs: 1), events: { _ in }).run()
    }

    @Test func aLockfileThatCannotBeWrittenFailsTheBuild() async throws {
        try await withTemporaryDirectory { directory in
            let result = try await build(in: directory, fileSystem: FailingWritesFileSystem(suffix: ".lock"))
            #expect(!result.succeeded, "a lockfile write that failed is not 'unchanged'")
            #expect(!result.lockfileChanged)
            #expect(result.lockfileError?.contains("No space left on device") == true)
        }
    }

    @Test func aLockfileWithConflictMarkersIsNeitherMissingNorOverwritten() async throws {
        try await withTemporaryDirectory { directory in
            let conflicted = "<<<<<<< HEAD\nversion: 1\n=======\nversion: 2\n>>>>>>> branch\n"
            try writeFile(conflicted, to: directory.appending("reel.lock"))
            let result = try await build(in: directory, lockfileText: conflicted)
            #expect(!result.succeeded)
            #expect(result.lockfileError?.contains("cannot be read") == true, "\(result.lockfileError ?? "")")
            #expect(try String(contentsOfFile: directory.appending("reel.lock").pathString, encoding: .utf8) == conflicted)
        }
    }

    /// The lockfile is read one entry at a time (issue 15); an entry that does not decode is still
    /// "cannot be read", and the file is still not overwritten.
    @Test func aLockfileWithADamagedEntryIsNotOverwritten() async throws {
        try await withTemporaryDirectory { directory in
            let first = try await build(in: directory)
            #expect(first.succeeded && first.lockfileChanged)
            let path = directory.appending("reel.lock")
            let written = try String(contentsOfFile: path.pathString, encoding: .utf8)
            let damaged = written.replacingOccurrences(of: "- id: generate/0\n  kind: generate\n", with: "- id: generate/0\n  kind: [generate\n")
            #expect(damaged != written)
            try writeFile(damaged, to: path)
            try FileManager.default.removeItem(atPath: directory.appending("cache").pathString)  // every node stale: its entry is read
            let result = try await build(in: directory, lockfileText: damaged)
            #expect(!result.succeeded)
            #expect(result.lockfileError?.contains("generate/0") == true, "\(result.lockfileError ?? "")")
            #expect(try String(contentsOfFile: path.pathString, encoding: .utf8) == damaged)
        }
    }

    @Test func aMissingOrBrokenRegistrySaysSo() async throws {
        #expect(ModelRegistry.builtInProblem == nil)
        #expect(!ModelRegistry.builtIn.models.isEmpty)
        #expect(throws: RegistryLoadError.self) { try ModelRegistry.load(nil) }
        try await withTemporaryDirectory { directory in
            let path = directory.appending("models.json")
            try writeFile("{\"models\": 3}", to: path)
            do {
                _ = try ModelRegistry.load(URL(fileURLWithPath: path.pathString))
                Issue.record("a broken registry loaded")
            } catch let error as RegistryLoadError {
                #expect(error.description.contains("is not a valid model registry"))
            }
        }
    }

    @Test func aDirectoryThatCannotBeSyncedIsAnError() throws {
        #expect(throws: FileSystemError.self) { try LocalFileSystem.syncDirectory(AbsolutePath("/nonexistent-reel-\(UUID().uuidString)")!) }
    }
}

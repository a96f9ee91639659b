import Foundation
import ReelBasics
import ReelManifest
import ReelTestSupport
import Testing

/// A project in memory at `/project` (a git checkout) with some files, and manifests loaded from it.
struct MemoryProject {
    let fileSystem = InMemoryFileSystem()

    init(files: [String] = ["assets/a.jpg", "assets/b.jpg", "assets/c.jpg"], marker: String? = "/project/.git/HEAD") {
        if let marker { fileSystem.addFile(marker, "ref: main") }
        for file in files { fileSystem.addFile(file.hasPrefix("/") ? file : "/project/\(file)", "bytes of \(file)") }
    }

    /// Writes `yaml` to `manifest`, then loads (parses and resolves) it.
    func load(
        _ yaml: String, at manifest: String = "/project/reel.yaml", display: String = "reel.yaml", environment: [String: String] = [:]
    ) throws -> (campaign: ResolvedCampaign?, diagnostics: [Diagnostic]) {
        fileSystem.addFile(manifest, yaml)
        let path = try #require(AbsolutePath(manifest))
        let result = ManifestLoader(fileSystem: fileSystem, environment: environment).load(path, displayPath: display)
        return (result.campaign, result.diagnostics)
    }

    /// Loads `yaml` and requires it to resolve, with no errors.
    func resolve(_ yaml: String, at manifest: String = "/project/reel.yaml", environment: [String: String] = [:]) throws -> ResolvedCampaign {
        let (campaign, diagnostics) = try load(yaml, at: manifest, environment: environment)
        #expect(!diagnostics.contains { $0.severity == .error }, "unexpected errors: \(diagnostics)")
        return try #require(campaign)
    }

    /// The diagnostics of loading `marked` (marker locations are in `reel.yaml`).
    func diagnostics(_ marked: MarkedText, at manifest: String = "/project/reel.yaml") throws -> [String] {
        try load(marked.text, at: manifest).diagnostics.map(\.description)
    }
}

/// The head of most manifests here.
private let head = """
    version: 1
    campaign: {id: demo}

    """

/// Settings as `key → "value (source)"`, checking each key is recorded once.
func settingsTable(_ campaign: ResolvedCampaign) -> [String: String] {
    let keys = campaign.settings.map(\.key)
    #expect(Set(keys).count == keys.count, "a setting is recorded more than once: \(keys)")
    return Dictionary(campaign.settings.map { ($0.key, "\($0.value) (\($0.source))") }, uniquingKeysWith: { first, _ in first })
}

@Suite struct AssetResolutionTests {
    @Test func pathsAreRelativeToTheManifest() throws {
        let project = MemoryProject(files: ["campaigns/spring/photos/hero.jpg", "shared/logo.png"])
        let campaign = try project.resolve(
            head + "assets:\n  - photos/hero.jpg\n  - {path: ../../shared/logo.png, id: logo, tags: [brand]}\n",
            at: "/project/campaigns/spring/reel.yaml")
        #expect(campaign.projectRoot.pathString == "/project")
        #expect(campaign.assets.map(\.id) == ["hero", "logo"])
        #expect(campaign.assets.map(\.path.pathString) == ["/project/campaigns/spring/photos/hero.jpg", "/project/shared/logo.png"])
        #expect(campaign.assets.map(\.projectRelativePath) == ["campaigns/spring/photos/hero.jpg", "shared/logo.png"])
        #expect(campaign.assets.map(\.tags) == [[], ["brand"]])
        #expect(campaign.assets.map(\.kind) == [.image, .image])
        #expect(campaign.assets.map(\.location.line) == [4, 5])
    }

    @Test func globsExpandSortedWithIdsFromFileNames() throws {
        let project = MemoryProject(files: ["assets/c.jpg", "assets/a.jpg", "assets/b.jpg", "assets/notes.txt", "assets/d.png"])
        let campaign = try project.resolve(head + "assets:\n  - glob: assets/*.jpg\n    tags: [hero]\n")
        #expect(campaign.assets.map(\.id) == ["a", "b", "c"])
        #expect(campaign.assets.map(\.projectRelativePath) == ["assets/a.jpg", "assets/b.jpg", "assets/c.jpg"])
        #expect(campaign.assets.allSatisfy { $0.tags == ["hero"] && $0.location.line == 4 && $0.location.column == 11 })
    }

    @Test(arguments: [
        ("assets/?.jpg", ["a", "b"]),
        ("assets/[ab]*.jpg", ["a", "ab", "b"]),
        ("assets/[!a]*", ["b", "c"]),
        ("assets/*", ["a", "ab", "b", "c"]),
        ("assets/*.JPG", []),
        ("*/a.jpg", ["a"]),
        ("assets/**/*.jpg", ["a", "ab", "b", "deep", "nested"]),
        ("**/*.jpg", ["a", "ab", "b", "deep", "nested", "top"]),
        ("**/**/*.jpg", ["a", "ab", "b", "deep", "nested", "top"]),
        ("assets/**", ["a", "ab", "b", "c", "deep", "nested"]),
        ("assets/sub/**/deep.jpg", ["deep"]),
        ("./assets/./b.jpg", ["b"]),
    ])
    func globSyntax(_ pattern: String, _ ids: [String]) throws {
        let project = MemoryProject(files: [
            "assets/a.jpg", "assets/b.jpg", "assets/ab.jpg", "assets/c.png", "assets/.hidden.jpg", "assets/sub/nested.jpg",
            "assets/sub/more/deep.jpg", "assets/.cache/cached.jpg", "top.jpg", ".git/secret.jpg", "fixed/one.png", "fixed/two.png",
        ])
        // Two fixed images, so that the selector always has enough whatever the glob matches.
        let (campaign, diagnostics) = try project.load(head + "assets:\n  - fixed/one.png\n  - fixed/two.png\n  - glob: \"\(pattern)\"\n")
        if ids.isEmpty {
            #expect(diagnostics.map(\.message) == ["asset glob '\(pattern)' matches no files"])
        } else {
            #expect(diagnostics == [])
            let matched = campaign?.assets.dropFirst(2).map(\.id) ?? []
            #expect(matched.sorted() == ids)
        }
    }

    @Test func globsAreRelativeToTheManifestFolder() throws {
        let project = MemoryProject(files: ["campaigns/spring/a.jpg", "campaigns/spring/b.jpg", "campaigns/autumn/c.jpg", "assets/x.jpg"])
        let campaign = try project.resolve(head + "assets:\n  - glob: \"*.jpg\"\n  - glob: \"../autumn/*.jpg\"\n", at: "/project/campaigns/spring/reel.yaml")
        #expect(campaign.assets.map(\.projectRelativePath) == ["campaigns/spring/a.jpg", "campaigns/spring/b.jpg", "campaigns/autumn/c.jpg"])
    }

    @Test func aFileMatchedTwiceIsOneAsset() throws {
        let project = MemoryProject()
        let campaign = try project.resolve(head + "assets:\n  - assets/a.jpg\n  - glob: assets/*.jpg\n  - glob: \"assets/[ab].jpg\"\n")
        #expect(campaign.assets.map(\.id) == ["a", "b", "c"])
    }

    @Test(arguments: [
        ("hero shot.jpg", "hero-shot"),
        ("__draft.png", "draft"),
        ("Product_01.v2.webp", "Product_01.v2"),
        ("hero  shot--v2.jpg", "hero--shot--v2"),
        // Non-ASCII names are transliterated (issue 10, item 8); where nothing is left, the id
        // comes from the name's bytes, so two such files do not collide.
        ("café.jpg", "cafe"),
        ("ñandú.jpg", "nandu"),
        ("café ☕ 写真.jpg", "cafe-xie-zhen"),
        ("日本.jpg", "ri-ben"),
        ("Привет мир.png", "Privet-mir"),
        ("☕.jpg", "asset-cf1f91e6"),
        ("☕☕.jpg", "asset-16c88880"),
    ])
    func idsFromFileNames(_ name: String, _ id: String) throws {
        let project = MemoryProject(files: ["assets/\(name)", "assets/zz.jpg"])
        let campaign = try project.resolve(head + "assets:\n  - glob: \"assets/*\"\n")
        #expect(campaign.assets.map(\.id).contains(id))
    }

    @Test func globThatMatchesNothing() throws {
        let project = MemoryProject()
        let marked = MarkedText(head + "assets:\n  - assets/a.jpg\n  - glob: 1️⃣assets/*.png\n")
        // Only the glob: the selector's "too few images" would merely follow from it.
        #expect(try project.diagnostics(marked) == [marked.error(1, "asset glob 'assets/*.png' matches no files", file: "reel.yaml")])
    }

    @Test(arguments: [
        ("../outside.jpg", "asset path '../outside.jpg' leaves the project (/project); keep assets inside it"),
        ("assets/../../outside.jpg", "asset path 'assets/../../outside.jpg' leaves the project (/project); keep assets inside it"),
        ("/project/assets/a.jpg", "asset path '/project/assets/a.jpg' is absolute; write it relative to the manifest"),
        ("~/a.jpg", "asset path '~/a.jpg' is absolute; write it relative to the manifest"),
        ("assets/zz.jpg", "asset 'assets/zz.jpg' does not exist (looked for assets/zz.jpg in the project)"),
        ("assets", "asset 'assets' is not a regular file"),
        ("assets/sub", "asset 'assets/sub' is not a regular file"),
    ])
    func pathErrors(_ path: String, _ message: String) throws {
        let project = MemoryProject(files: ["assets/a.jpg", "assets/b.jpg", "assets/sub/x.jpg", "/outside.jpg"])
        let marked = MarkedText(head + "assets:\n  - assets/a.jpg\n  - assets/b.jpg\n  - path: 1️⃣\"\(path)\"\n")
        #expect(try project.diagnostics(marked) == [marked.error(1, message, file: "reel.yaml")])
    }

    @Test(arguments: [
        ("../*.jpg", "asset glob '../*.jpg' leaves the project (/project); keep assets inside it"),
        ("assets/../../*.jpg", "asset glob 'assets/../../*.jpg' leaves the project (/project); keep assets inside it"),
        ("assets/*/../../../*.jpg", "asset glob 'assets/*/../../../*.jpg' may not use '..' after a wildcard"),
        ("/project/assets/*.jpg", "asset glob '/project/assets/*.jpg' is absolute; write it relative to the manifest"),
        ("~/*.jpg", "asset glob '~/*.jpg' is absolute; write it relative to the manifest"),
        ("assets/zz.jpg", "asset 'assets/zz.jpg' does not exist (looked for assets/zz.jpg in the project)"),
    ])
    func globErrors(_ pattern: String, _ message: String) throws {
        let project = MemoryProject(files: ["assets/a.jpg", "assets/b.jpg", "assets/sub/x.jpg", "/outside.jpg"])
        let marked = MarkedText(head + "assets:\n  - assets/a.jpg\n  - assets/b.jpg\n  - glob: 1️⃣\"\(pattern)\"\n")
        #expect(try project.diagnostics(marked) == [marked.error(1, message, file: "reel.yaml")])
    }

    @Test func projectRelativeDotDotInsideTheProjectIsFine() throws {
        let project = MemoryProject(files: ["assets/a.jpg", "assets/b.jpg"])
        let campaign = try project.resolve(head + "assets:\n  - assets/../assets/a.jpg\n  - glob: \"campaigns/../assets/b.*\"\n")
        #expect(campaign.assets.map(\.projectRelativePath) == ["assets/a.jpg", "assets/b.jpg"])
    }

    @Test func symlinksInsideTheProjectAreFollowed() throws {
        let project = MemoryProject()
        project.fileSystem.addSymlink("/project/assets/hero.jpg", to: "a.jpg")
        project.fileSystem.addSymlink("/project/linked", to: "assets")
        let campaign = try project.resolve(head + "assets:\n  - assets/hero.jpg\n  - linked/b.jpg\n")
        #expect(campaign.assets.map(\.id) == ["hero", "b"])
        #expect(campaign.assets.map(\.projectRelativePath) == ["assets/hero.jpg", "linked/b.jpg"])
    }

    @Test func symlinkOutOfTheProjectIsAnError() throws {
        let project = MemoryProject(files: ["assets/a.jpg", "assets/b.jpg", "/home/me/secret.jpg"])
        project.fileSystem.addSymlink("/project/assets/link.jpg", to: "/home/me/secret.jpg")
        project.fileSystem.addSymlink("/project/photos", to: "../home/me")
        project.fileSystem.addSymlink("/project/assets/broken.jpg", to: "nothing-here.jpg")
        let marked = MarkedText(head + """
            assets:
              - assets/a.jpg
              - assets/b.jpg
              - 1️⃣assets/link.jpg
              - 2️⃣photos/secret.jpg
              - path: 3️⃣assets/broken.jpg
              - glob: 4️⃣"photos/*.jpg"
            """)
        #expect(try project.diagnostics(marked) == [
            marked.error(1, "asset 'assets/link.jpg' is a symlink to /home/me/secret.jpg, outside the project; copy the file into the project instead", file: "reel.yaml"),
            marked.error(2, "asset 'photos/secret.jpg' is a symlink to /home/me/secret.jpg, outside the project; copy the file into the project instead", file: "reel.yaml"),
            marked.error(3, "asset 'assets/broken.jpg' is a broken symlink", file: "reel.yaml"),
            marked.error(4, "asset glob 'photos/*.jpg' matches photos/secret.jpg, which is a symlink to /home/me/secret.jpg, outside the project; copy the file into the project instead", file: "reel.yaml"),
        ])
    }

    @Test func globMatchingASymlinkOutOfTheProjectIsAnError() throws {
        let project = MemoryProject(files: ["assets/a.jpg", "assets/b.jpg", "/elsewhere/x.jpg"])
        project.fileSystem.addSymlink("/project/assets/x.jpg", to: "/elsewhere/x.jpg")
        let marked = MarkedText(head + "assets:\n  - glob: 1️⃣assets/*.jpg\n")
        #expect(try project.diagnostics(marked) == [marked.error(1,
            "asset glob 'assets/*.jpg' matches assets/x.jpg, which is a symlink to /elsewhere/x.jpg, outside the project; copy the file into the project instead",
            file: "reel.yaml")])
    }

    @Test func globMatchingABrokenSymlinkIsAnError() throws {
        let project = MemoryProject()
        project.fileSystem.addSymlink("/project/assets/gone.jpg", to: "deleted.jpg")
        let marked = MarkedText(head + "assets:\n  - glob: 1️⃣assets/*.jpg\n")
        #expect(try project.diagnostics(marked) == [marked.error(1,
            "asset glob 'assets/*.jpg' matches assets/gone.jpg, a broken symlink; fix or remove the link", file: "reel.yaml")])
    }

    @Test func duplicateIDs() throws {
        let project = MemoryProject(files: ["assets/a.jpg", "assets/b.jpg", "photos/a.jpg", "assets/hero.png", "assets/hero.jpg"])
        let marked = MarkedText(head + """
            assets:
              - 1️⃣assets/a.jpg
              - 2️⃣photos/a.jpg
              - {path: 3️⃣assets/b.jpg, id: key}
              - {path: 4️⃣photos/a.jpg, id: key}
              - glob: 5️⃣"assets/hero.*"
            """)
        #expect(try project.diagnostics(marked) == [
            marked.error(2, "asset id 'a' is used twice: by assets/a.jpg (at \(marked.location(1, file: "reel.yaml"))) and by photos/a.jpg; give one of them an explicit 'id'", file: "reel.yaml"),
            marked.error(4, "asset id 'key' is used twice: by assets/b.jpg (at \(marked.location(3, file: "reel.yaml"))) and by photos/a.jpg; give one of them an explicit 'id'", file: "reel.yaml"),
            marked.error(5, "asset id 'hero' is used twice: by assets/hero.jpg (at \(marked.location(5, file: "reel.yaml"))) and by assets/hero.png; narrow the glob, or list one of the files with 'path' and an explicit 'id'", file: "reel.yaml"),
        ])
    }

    @Test func explicitIDsAvoidClashes() throws {
        let project = MemoryProject(files: ["assets/a.jpg", "photos/a.jpg"])
        let campaign = try project.resolve(head + "assets:\n  - assets/a.jpg\n  - {path: photos/a.jpg, id: a2}\n")
        #expect(campaign.assets.map(\.id) == ["a", "a2"])
    }

    @Test func mediaKindsComeFromExtensions() throws {
        let project = MemoryProject(files: ["a.JPG", "b.webp", "c.mov", "d.wav", "e.txt", "f.heic"])
        let campaign = try project.resolve(head + "assets:\n  - glob: \"*\"\n")
        #expect(campaign.assets.map(\.projectRelativePath) == ["a.JPG", "b.webp", "c.mov", "d.wav", "e.txt", "f.heic", "reel.yaml"])
        #expect(campaign.assets.map(\.kind) == [.image, .image, .video, .audio, .other, .image, .other])
    }
}

@Suite struct RealFileSystemTests {
    /// A project in a temporary folder: `project/` (with `.git`) and `outside/secret.jpg` beside it.
    func withProject(_ body: (AbsolutePath, AbsolutePath) throws -> Void) async throws {
        try await withTemporaryDirectory { temporary in
            let project = temporary.appending("project")
            try FileManager.default.createDirectory(atPath: project.appending(".git").pathString, withIntermediateDirectories: true)
            for name in ["a.jpg", "b.jpg"] { try writeFile("pixels", to: project.appending("assets/\(name)")) }
            try writeFile("secret pixels", to: temporary.appending("outside/secret.jpg"))
            try body(project, temporary.appending("outside"))
        }
    }

    func load(_ yaml: String, in project: AbsolutePath) throws -> (campaign: ResolvedCampaign?, diagnostics: [String]) {
        let manifest = project.appending("reel.yaml")
        try writeFile(yaml, to: manifest)
        let result = ManifestLoader(fileSystem: LocalFileSystem()).load(manifest, displayPath: "reel.yaml")
        return (result.campaign, result.diagnostics.map(\.description))
    }

    func link(_ path: AbsolutePath, to target: String) throws {
        try FileManager.default.createSymbolicLink(atPath: path.pathString, withDestinationPath: target)
    }

    @Test func symlinkToAFileOutsideTheProject() async throws {
        try await withProject { project, outside in
            try link(project.appending("assets/leak.jpg"), to: "../../outside/secret.jpg")
            let marked = MarkedText(head + "assets:\n  - assets/a.jpg\n  - 1️⃣assets/leak.jpg\n")
            let (campaign, found) = try load(marked.text, in: project)
            #expect(campaign == nil)
            #expect(found == [marked.error(1,
                "asset 'assets/leak.jpg' is a symlink to \(outside.appending("secret.jpg")), outside the project; copy the file into the project instead",
                file: "reel.yaml")])
        }
    }

    @Test func absoluteSymlinkAndSymlinkedFolderOutsideTheProject() async throws {
        try await withProject { project, outside in
            try link(project.appending("assets/abs.jpg"), to: outside.appending("secret.jpg").pathString)
            try link(project.appending("shared"), to: outside.pathString)
            let marked = MarkedText(head + "assets:\n  - 1️⃣assets/abs.jpg\n  - 2️⃣shared/secret.jpg\n  - glob: 3️⃣\"shared/*.jpg\"\n")
            let (_, found) = try load(marked.text, in: project)
            let secret = outside.appending("secret.jpg")
            #expect(found.prefix(3) == [
                marked.error(1, "asset 'assets/abs.jpg' is a symlink to \(secret), outside the project; copy the file into the project instead", file: "reel.yaml"),
                marked.error(2, "asset 'shared/secret.jpg' is a symlink to \(secret), outside the project; copy the file into the project instead", file: "reel.yaml"),
                marked.error(3, "asset glob 'shared/*.jpg' matches shared/secret.jpg, which is a symlink to \(secret), outside the project; copy the file into the project instead", file: "reel.yaml"),
            ])
        }
    }

    @Test func brokenSymlink() async throws {
        try await withProject { project, _ in
            try link(project.appending("assets/gone.jpg"), to: "deleted.jpg")
            let marked = MarkedText(head + "assets:\n  - assets/a.jpg\n  - 1️⃣assets/gone.jpg\n  - glob: 2️⃣\"assets/*.jpg\"\n")
            let (_, found) = try load(marked.text, in: project)
            #expect(found == [
                marked.error(1, "asset 'assets/gone.jpg' is a broken symlink", file: "reel.yaml"),
                marked.error(2, "asset glob 'assets/*.jpg' matches assets/gone.jpg, a broken symlink; fix or remove the link", file: "reel.yaml"),
            ])
        }
    }

    @Test func symlinksInsideTheProjectWork() async throws {
        try await withProject { project, _ in
            try link(project.appending("assets/hero.jpg"), to: "a.jpg")
            try link(project.appending("photos"), to: "assets")
            // A loop: `**` does not follow symlinked folders, so this must not recurse for ever.
            try link(project.appending("assets/loop"), to: "..")
            let (campaign, found) = try load(head + "assets:\n  - glob: \"**/*.jpg\"\n  - {path: photos/b.jpg, id: b2}\n", in: project)
            #expect(found == [])
            #expect(campaign?.assets.map(\.projectRelativePath) == ["assets/a.jpg", "assets/b.jpg", "assets/hero.jpg", "photos/b.jpg"])
        }
    }

    @Test func dotDotAndAbsolutePathsOnDisk() async throws {
        try await withProject { project, _ in
            let marked = MarkedText(head + "assets:\n  - 1️⃣../outside/secret.jpg\n  - 2️⃣\(project.appending("assets/a.jpg"))\n")
            let (_, found) = try load(marked.text, in: project)
            #expect(found == [
                marked.error(1, "asset path '../outside/secret.jpg' leaves the project (\(project)); keep assets inside it", file: "reel.yaml"),
                marked.error(2, "asset path '\(project.appending("assets/a.jpg"))' is absolute; write it relative to the manifest", file: "reel.yaml"),
            ])
        }
    }

    @Test func projectRootOnDisk() async throws {
        try await withProject { project, _ in
            let nested = project.appending("campaigns/spring/reel.yaml")
            try writeFile(head + "assets: [../../assets/a.jpg, ../../assets/b.jpg]\n", to: nested)
            let (campaign, found) = ManifestLoader(fileSystem: LocalFileSystem()).load(nested, displayPath: "reel.yaml")
            #expect(found == [])
            #expect(campaign?.projectRoot == project)
            #expect(campaign?.assets.map(\.projectRelativePath) == ["assets/a.jpg", "assets/b.jpg"])
            #expect(campaign?.lockfilePath == project.appending("campaigns/spring/reel.lock"))
        }
    }
}

@Suite struct ProjectRootTests {
    func root(of manifest: String, in fileSystem: InMemoryFileSystem) throws -> String {
        let path = try #require(AbsolutePath(manifest))
        return ManifestResolver(fileSystem: fileSystem).projectRoot(for: path).pathString
    }

    @Test func nearestGitOrReelFolderAbove() throws {
        let fileSystem = InMemoryFileSystem()
        fileSystem.addFile("/work/repo/.git/HEAD", "ref: main")
        fileSystem.addFile("/work/repo/sub/.reel/cache/x", "")
        fileSystem.addFile("/work/worktree/.git", "gitdir: /work/repo/.git/worktrees/w")
        fileSystem.addFile("/work/loose/.reel", "a file, not a folder")
        #expect(try root(of: "/work/repo/reel.yaml", in: fileSystem) == "/work/repo")
        #expect(try root(of: "/work/repo/campaigns/spring/reel.yaml", in: fileSystem) == "/work/repo")
        #expect(try root(of: "/work/repo/sub/reel.yaml", in: fileSystem) == "/work/repo/sub")
        #expect(try root(of: "/work/repo/sub/deeper/reel.yaml", in: fileSystem) == "/work/repo/sub")
        #expect(try root(of: "/work/worktree/a/reel.yaml", in: fileSystem) == "/work/worktree")
        #expect(try root(of: "/work/loose/campaigns/reel.yaml", in: fileSystem) == "/work/loose/campaigns")
        #expect(try root(of: "/elsewhere/reel.yaml", in: fileSystem) == "/elsewhere")
        #expect(try root(of: "/reel.yaml", in: fileSystem) == "/")
    }

    @Test func assetsMayNotLeaveTheProjectEvenInsideTheRepository() throws {
        let project = MemoryProject(files: ["/project/sub/.reel/x", "/project/sub/a.jpg", "/project/assets/b.jpg"])
        let marked = MarkedText(head + "assets:\n  - a.jpg\n  - 1️⃣../assets/b.jpg\n")
        #expect(try project.diagnostics(marked, at: "/project/sub/reel.yaml") == [
            marked.error(1, "asset path '../assets/b.jpg' leaves the project (/project/sub); keep assets inside it", file: "reel.yaml"),
        ])
    }

    @Test(arguments: [
        ("/project/reel.yaml", "/project/reel.lock"),
        ("/project/campaign.yaml", "/project/campaign.lock"),
        ("/project/spring.yml", "/project/spring.lock"),
        ("/project/Launch.YAML", "/project/Launch.lock"),
        ("/project/c/summer.sale.yaml", "/project/c/summer.sale.lock"),
        ("/project/manifest", "/project/manifest.lock"),
        ("/project/notes.json", "/project/notes.json.lock"),
    ])
    func lockfileSitsBesideTheManifest(_ manifest: String, _ lockfile: String) throws {
        let project = MemoryProject(files: ["/project/assets/a.jpg", "/project/assets/b.jpg", "/project/c/assets/a.jpg", "/project/c/assets/b.jpg"])
        let campaign = try project.resolve(head + "assets: [assets/a.jpg, assets/b.jpg]\n", at: manifest)
        #expect(campaign.lockfilePath.pathString == lockfile)
        #expect(campaign.manifestPath.pathString == manifest)
    }
}

@Suite struct PairResolutionTests {
    let project = MemoryProject(files: ["assets/hero.jpg", "assets/city.jpg", "assets/beach.jpg", "assets/clip.mp4"])
    let assets = head + "assets:\n  - glob: \"assets/*\"\n"

    @Test func explicitPairsSkipTheSelector() throws {
        let campaign = try project.resolve(assets + "select:\n  pairs:\n    - [hero, city]\n    - {first: city, last: beach, prompt: pan left}\n    - [city, hero]\n")
        #expect(campaign.pairs == .explicit([
            AssetPair(first: "hero", last: "city"), AssetPair(first: "city", last: "beach", prompt: "pan left"),
            AssetPair(first: "city", last: "hero"),
        ]))
        #expect(settingsTable(campaign)["select.selector"] == "none (explicit pairs) (manifest)")
    }

    @Test func everyPairProblemIsReportedAtItsPair() throws {
        let marked = MarkedText(assets + """
            select:
              pairs:
                - 1️⃣[hreo, city]
                - 2️⃣[hero, zebra]
                - 3️⃣[beach, beach]
                - 4️⃣[hero, clip]
                - [city, beach]
                - 5️⃣{first: city, last: beach}
                - 6️⃣[ghost, ghost]
            """)
        #expect(try project.diagnostics(marked) == [
            marked.error(1, "pair names asset 'hreo', which is not in 'assets'; did you mean 'hero'?", file: "reel.yaml"),
            marked.error(2, "pair names asset 'zebra', which is not in 'assets'", file: "reel.yaml"),
            marked.error(3, "pair goes from 'beach' to itself; pick two different images", file: "reel.yaml"),
            marked.error(4, "pair names 'clip', which is not an image (assets/clip.mp4)", file: "reel.yaml"),
            marked.error(5, "pair 'city' -> 'beach' is listed twice", file: "reel.yaml"),
            marked.error(6, "pair names asset 'ghost', which is not in 'assets'", file: "reel.yaml"),
            marked.error(6, "pair goes from 'ghost' to itself; pick two different images", file: "reel.yaml"),
        ])
    }

    @Test func aFailedGlobIsNotReportedAgainInThePairs() throws {
        let marked = MarkedText(head + "assets:\n  - glob: 1️⃣assets/*.png\nselect:\n  pairs: [[hero, city]]\n")
        #expect(try project.diagnostics(marked) == [marked.error(1, "asset glob 'assets/*.png' matches no files", file: "reel.yaml")])
    }

    @Test func aMissingAssetIsReportedOnceNotAgainInEveryPair() throws {
        let marked = MarkedText(head + "assets:\n  - assets/hero.jpg\n  - 1️⃣assets/gone.jpg\nselect:\n  pairs: [[hero, gone], 2️⃣[hero, gnoe]]\n")
        #expect(try project.diagnostics(marked) == [
            marked.error(1, "asset 'assets/gone.jpg' does not exist (looked for assets/gone.jpg in the project)", file: "reel.yaml"),
            marked.error(2, "pair names asset 'gnoe', which is not in 'assets'; did you mean 'gone'?", file: "reel.yaml"),
        ])
    }

    @Test func selectorCandidatesAreTheImagesInManifestOrder() throws {
        let campaign = try project.resolve(head + "assets: [assets/city.jpg, assets/clip.mp4, assets/hero.jpg, assets/beach.jpg]\n")
        guard case .selector(let settings) = campaign.pairs else {
            Issue.record("expected a selector, got \(campaign.pairs)")
            return
        }
        #expect(settings.kind == .local)
        #expect(settings.candidates == ["city", "hero", "beach"])
        #expect(settings.count == nil)
        #expect(settings.model == SelectorSettings.defaultModel)
        #expect(settings.baseURL == SelectorSettings.defaultBaseURL)
        #expect(settings.apiKeyEnv == "XAI_API_KEY")
        #expect(settings.detail == "high")
    }

    @Test func selectorTagsNarrowTheCandidates() throws {
        let campaign = try project.resolve(head + """
            assets:
              - {path: assets/hero.jpg, tags: [hero]}
              - {path: assets/city.jpg, tags: [hero, city]}
              - {path: assets/beach.jpg, tags: [beach]}
            select: {tags: [hero], count: 2, selector: openai-compatible, model: grok-4.3, detail: low, api_key_env: MY_API_KEY}
            """, environment: ["REEL_SELECTOR_BASE_URL": "http://127.0.0.1:9/v1"])
        guard case .selector(let settings) = campaign.pairs else {
            Issue.record("expected a selector, got \(campaign.pairs)")
            return
        }
        #expect(settings == SelectorSettings(
            kind: .openAICompatible, count: 2, candidates: ["hero", "city"], model: "grok-4.3", baseURL: "http://127.0.0.1:9/v1",
            apiKeyEnv: "MY_API_KEY", detail: "low"))
        let table = settingsTable(campaign)
        #expect(table["select.selector"] == "openai-compatible (manifest)")
        #expect(table["select.count"] == "2 (manifest)")
        #expect(table["select.model"] == "grok-4.3 (manifest)")
    }

    @Test func keysTravelOnlyOverHTTPSOrToLocalhost() throws {
        let yaml = head + """
            assets: [assets/hero.jpg, assets/city.jpg]
            select: {selector: openai-compatible}
            """
        let (refused, diagnostics) = try project.load(yaml, environment: ["REEL_SELECTOR_BASE_URL": "http://models.example.com/v1"])
        #expect(refused == nil)
        #expect(diagnostics.contains { $0.message.contains("keys are sent only over https, or plain http to localhost") })
        #expect(try project.load(yaml, environment: ["REEL_SELECTOR_BASE_URL": "http://localhost:11434/v1"]).campaign != nil)
    }

    @Test func theKeyVariableMustLookLikeAnAPIKey() throws {
        let marked = MarkedText(head + """
            assets: [assets/hero.jpg, assets/city.jpg]
            select: {selector: openai-compatible, 1️⃣api_key_env: AWS_SECRET_ACCESS_KEY}
            """)
        let found = try project.load(marked.text).diagnostics.map(\.description)
        #expect(found.contains { $0.contains("must name an API key variable ending in _API_KEY or _API_TOKEN, not 'AWS_SECRET_ACCESS_KEY'") })
    }

    @Test func tooFewImagesForTheSelector() throws {
        let marked = MarkedText(head + "1️⃣assets: [assets/hero.jpg, assets/clip.mp4]\n")
        #expect(try project.diagnostics(marked) == [marked.error(1, "the selector needs at least two images; found 1", file: "reel.yaml")])
        let tagged = MarkedText(head + "assets:\n  - {path: assets/hero.jpg, tags: [hero]}\n  - assets/city.jpg\nselect:\n  1️⃣tags: [hero]\n")
        #expect(try project.diagnostics(tagged) == [tagged.error(1, "the selector needs at least two images tagged hero; found 1", file: "reel.yaml")])
    }

    @Test(arguments: [(6, true), (7, false), (1000, false)])
    func countNoLargerThanThePossiblePairs(_ count: Int, _ possible: Bool) throws {
        let marked = MarkedText(assets + "select:\n  1️⃣count: \(count)\n")
        let found = try project.diagnostics(marked)
        if possible {
            #expect(found == [])
        } else {
            #expect(found == [marked.error(1, "\(count) pairs asked for, but 3 images make at most 6 distinct pairs", file: "reel.yaml")])
        }
    }
}

/// What a preset resolves to.
struct PresetExpectation: Sendable, CustomTestStringConvertible {
    var preset: QualityPreset
    var generator: GeneratorKind
    var model: String?
    var modelResolution: String?
    var resolution: Resolution
    var duration: Double
    var audio: Bool
    var crf: Int
    var encoderPreset: String
    var selector: SelectorKind

    var testDescription: String { preset.rawValue }
}

private let presetExpectations: [PresetExpectation] = [
    PresetExpectation(
        preset: .draft, generator: .local, model: nil, modelResolution: nil, resolution: Resolution(width: 1280, height: 720),
        duration: 4, audio: false, crf: 23, encoderPreset: "veryfast", selector: .local),
    PresetExpectation(
        preset: .economy, generator: .replicate, model: "minimax/hailuo-02", modelResolution: "768p",
        resolution: Resolution(width: 1280, height: 720), duration: 6, audio: false, crf: 20, encoderPreset: "medium", selector: .openAICompatible),
    PresetExpectation(
        preset: .balanced, generator: .replicate, model: "google/veo-3.1-fast", modelResolution: "720p",
        resolution: Resolution(width: 1280, height: 720), duration: 6, audio: false, crf: 20, encoderPreset: "medium", selector: .openAICompatible),
    PresetExpectation(
        preset: .premium, generator: .replicate, model: "google/veo-3.1", modelResolution: "1080p",
        resolution: Resolution(width: 1920, height: 1080), duration: 8, audio: true, crf: 18, encoderPreset: "slow", selector: .openAICompatible),
]

@Suite struct PresetTests {
    let project = MemoryProject()
    let assets = head + "assets:\n  - glob: assets/*.jpg\n"

    @Test func coversEveryPreset() {
        #expect(presetExpectations.map(\.preset) == QualityPreset.allCases)
    }

    @Test(arguments: presetExpectations)
    func presetResolvesToItsValues(_ expected: PresetExpectation) throws {
        let quality = expected.preset == .draft ? "" : "quality: \(expected.preset.rawValue)\n"
        let campaign = try project.resolve(assets + quality)
        #expect(campaign.quality == expected.preset)
        let generator = campaign.generator
        #expect(generator.kind == expected.generator)
        #expect(generator.model == expected.model)
        #expect(generator.modelSpec == expected.model.flatMap { ModelRegistry.builtIn.models[$0] })
        #expect(generator.modelResolution == expected.modelResolution)
        #expect(generator.clipResolution == expected.resolution)
        #expect(generator.fps == 24)
        #expect(generator.fit == .cover)
        #expect(generator.duration == expected.duration)
        #expect(generator.audio == expected.audio)
        #expect(generator.crf == expected.crf)
        #expect(generator.encoderPreset == expected.encoderPreset)
        #expect(generator.concurrency == (expected.generator == .local ? 2 : 4))
        #expect(generator.prompt == GeneratorSettings.defaultPrompt)
        #expect(generator.baseURL == GeneratorSettings.defaultReplicateBaseURL)
        #expect(campaign.output.path.pathString == "/project/out/demo.mp4")
        #expect(campaign.output.clipsDirectory.pathString == "/project/out/demo.clips")
        #expect(campaign.output.resolution == expected.resolution)
        #expect(campaign.output.transition == Transition(type: "fade", duration: 0.5))
        #expect(campaign.output.audio == (expected.audio ? .keep : .strip))
        guard case .selector(let selector) = campaign.pairs else {
            Issue.record("expected the selector to choose pairs")
            return
        }
        #expect(selector.kind == expected.selector)
        #expect(campaign.notes == [])

        let source = "preset \(expected.preset.rawValue)"
        var settings = [
            "generate.generator": "\(expected.generator.rawValue) (\(source))",
            "generate.duration": "\(Int(expected.duration)) s (\(source))",
            "output.fps": "24 (\(source))",
            "output.resolution": "\(expected.resolution) (\(source))",
            "output.crf": "\(expected.crf) (\(source))",
            "output.encoder_preset": "\(expected.encoderPreset) (\(source))",
            "output.transition": "fade 0.5 s (\(source))",
            "output.audio": "\(expected.audio ? "keep" : "strip") (\(source))",
            "output.path": "out/demo.mp4 (default)",
            "generate.concurrency": "\(expected.generator == .local ? 2 : 4) (default)",
            "generate.prompt": "\(GeneratorSettings.defaultPrompt) (default)",
            "select.selector": "\(expected.selector.rawValue) (\(source))",
        ]
        if let model = expected.model, let resolution = expected.modelResolution {
            settings["generate.model"] = "\(model) (\(source))"
            settings["generate.resolution"] = "\(resolution) (\(source))"
            settings["generate.audio"] = "\(expected.audio ? "on" : "off") (\(source))"
            settings["select.model"] = "\(SelectorSettings.defaultModel) (default)"
            settings["select.base_url"] = "\(SelectorSettings.defaultBaseURL) (default)"
            settings["select.api_key_env"] = "\(SelectorSettings.defaultAPIKeyEnv) (default)"
            settings["generate.base_url"] = "\(GeneratorSettings.defaultReplicateBaseURL) (default)"
        }
        #expect(settingsTable(campaign) == settings)
    }

    @Test func explicitValuesOverrideThePreset() throws {
        let campaign = try project.resolve(assets + """
            quality: premium
            select: {selector: local}
            generate: {model: minimax/hailuo-02, duration: 6, resolution: 768p, concurrency: 2, prompt: slow pan, seed: 7}
            output:
              fps: 30
              resolution: 1280x720
              crf: 22
              encoder_preset: fast
              transition: none
              audio: strip
              fit: contain
              path: renders/spring.mp4
            """)
        let generator = campaign.generator
        #expect(generator.model == "minimax/hailuo-02")
        #expect(generator.modelResolution == "768p")
        #expect(generator.duration == 6)
        #expect(generator.audio == false)  // premium asks for audio, but Hailuo has none
        #expect(generator.fps == 30)
        #expect(generator.fit == .contain)
        #expect(generator.seed == 7)
        #expect(campaign.output.transition.isNone)
        #expect(campaign.output.path.pathString == "/project/renders/spring.mp4")
        #expect(campaign.notes == [])
        #expect(settingsTable(campaign) == [
            "generate.generator": "replicate (manifest)",
            "generate.model": "minimax/hailuo-02 (manifest)",
            "generate.resolution": "768p (manifest)",
            "generate.duration": "6 s (manifest)",
            "generate.audio": "off (preset premium)",
            "generate.concurrency": "2 (manifest)",
            "generate.base_url": "\(GeneratorSettings.defaultReplicateBaseURL) (default)",
            "generate.prompt": "slow pan (manifest)",
            "generate.seed": "7 (manifest)",
            "output.fps": "30 (manifest)",
            "output.resolution": "1280x720 (manifest)",
            "output.crf": "22 (manifest)",
            "output.encoder_preset": "fast (manifest)",
            "output.transition": "none (manifest)",
            "output.audio": "strip (manifest)",
            "output.path": "renders/spring.mp4 (manifest)",
            "select.selector": "local (manifest)",
        ])
    }

    @Test func aModelImpliesReplicateEvenInDraft() throws {
        let campaign = try project.resolve(assets + "generate: {model: google/veo-3.1-fast}\n")
        #expect(campaign.quality == .draft)
        #expect(campaign.generator.kind == .replicate)
        #expect(campaign.generator.modelResolution == "720p")
        #expect(campaign.generator.duration == 4)
        let table = settingsTable(campaign)
        #expect(table["generate.generator"] == "replicate (manifest)")
        #expect(table["generate.model"] == "google/veo-3.1-fast (manifest)")
        #expect(table["generate.resolution"] == "720p (default)")
    }

    @Test func replicateWithoutAModelTakesTheDefaultModel() throws {
        let campaign = try project.resolve(assets + "generate: {generator: replicate}\n")
        #expect(campaign.generator.model == "google/veo-3.1-fast")
        let table = settingsTable(campaign)
        #expect(table["generate.model"] == "google/veo-3.1-fast (default)")
        #expect(table["generate.resolution"] == "720p (default)")
        #expect(table["generate.duration"] == "4 s (preset draft)")
    }

    @Test func localGeneratorOverridesAPaidPreset() throws {
        let campaign = try project.resolve(assets + "quality: premium\ngenerate: {generator: local}\n")
        #expect(campaign.generator.kind == .local)
        #expect(campaign.generator.model == nil)
        #expect(campaign.generator.audio == false)
        #expect(campaign.output.audio == .strip)
        #expect(campaign.generator.duration == 8)
        #expect(settingsTable(campaign)["generate.generator"] == "local (manifest)")
    }

    @Test func audioOnAModelWithoutAudioIsAWarning() throws {
        let marked = MarkedText(assets + "generate:\n  model: minimax/hailuo-02\n  duration: 6\n  1️⃣audio: true\n")
        let (campaign, found) = try project.load(marked.text)
        #expect(found.map(\.description) == [marked.warning(1, "minimax/hailuo-02 does not generate audio; 'generate.audio' is ignored", file: "reel.yaml")])
        #expect(campaign?.generator.audio == false)
        #expect(campaign?.notes == found)
    }

    @Test func baseURLOverridesFromTheEnvironment() throws {
        func baseURL(_ value: String?) throws -> String {
            let environment = value.map { ["REPLICATE_BASE_URL": $0] } ?? [:]
            return try project.resolve(assets + "quality: balanced\n", environment: environment).generator.baseURL
        }
        #expect(try baseURL(nil) == "https://api.replicate.com/v1")
        #expect(try baseURL("http://127.0.0.1:8080") == "http://127.0.0.1:8080/v1")
        #expect(try baseURL("http://127.0.0.1:8080/") == "http://127.0.0.1:8080/v1")
        #expect(try baseURL("http://127.0.0.1:8080/v1") == "http://127.0.0.1:8080/v1")
        #expect(try baseURL("") == "https://api.replicate.com/v1")
    }
}

/// A requested duration and what one model at one resolution makes of it.
struct SnapCase: Sendable, CustomTestStringConvertible {
    var model: String
    var resolution: String
    var requested: String
    var snapped: Int
    var allowed: String

    var testDescription: String { "\(model) \(resolution) \(requested) s → \(snapped) s" }
}

private let snapCases: [SnapCase] = [
    SnapCase(model: "google/veo-3.1", resolution: "720p", requested: "5", snapped: 4, allowed: "4, 6, 8"),
    SnapCase(model: "google/veo-3.1", resolution: "720p", requested: "7", snapped: 6, allowed: "4, 6, 8"),
    SnapCase(model: "google/veo-3.1", resolution: "720p", requested: "8", snapped: 8, allowed: "4, 6, 8"),
    SnapCase(model: "google/veo-3.1", resolution: "720p", requested: "2.5", snapped: 4, allowed: "4, 6, 8"),
    SnapCase(model: "google/veo-3.1", resolution: "1080p", requested: "60", snapped: 8, allowed: "4, 6, 8"),
    SnapCase(model: "google/veo-3.1-fast", resolution: "720p", requested: "3", snapped: 4, allowed: "4, 6, 8"),
    SnapCase(model: "google/veo-3.1-fast", resolution: "1080p", requested: "6.9", snapped: 6, allowed: "4, 6, 8"),
    SnapCase(model: "google/veo-3.1-fast", resolution: "1080p", requested: "6", snapped: 6, allowed: "4, 6, 8"),
    SnapCase(model: "minimax/hailuo-02", resolution: "768p", requested: "8", snapped: 6, allowed: "6, 10"),
    SnapCase(model: "minimax/hailuo-02", resolution: "768p", requested: "9", snapped: 10, allowed: "6, 10"),
    SnapCase(model: "minimax/hailuo-02", resolution: "768p", requested: "10", snapped: 10, allowed: "6, 10"),
    SnapCase(model: "minimax/hailuo-02", resolution: "1080p", requested: "10", snapped: 6, allowed: "6"),
    SnapCase(model: "kwaivgi/kling-v2.1", resolution: "1080p", requested: "7.5", snapped: 5, allowed: "5, 10"),
    SnapCase(model: "kwaivgi/kling-v2.1", resolution: "1080p", requested: "8", snapped: 10, allowed: "5, 10"),
    SnapCase(model: "kwaivgi/kling-v2.1", resolution: "1080p", requested: "5", snapped: 5, allowed: "5, 10"),
    SnapCase(model: "kwaivgi/kling-v2.1", resolution: "1080p", requested: "1", snapped: 5, allowed: "5, 10"),
    // Issue 14: the 2026 models.
    SnapCase(model: "kwaivgi/kling-v3-video", resolution: "720p", requested: "2", snapped: 3, allowed: "3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15"),
    SnapCase(model: "kwaivgi/kling-v3-video", resolution: "1080p", requested: "20", snapped: 15, allowed: "3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15"),
    SnapCase(model: "kwaivgi/kling-v3-video", resolution: "720p", requested: "7", snapped: 7, allowed: "3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15"),
    SnapCase(model: "bytedance/seedance-2.0", resolution: "720p", requested: "0.4", snapped: 1, allowed: "1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15"),
    SnapCase(model: "bytedance/seedance-2.0", resolution: "720p", requested: "16", snapped: 15, allowed: "1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15"),
    SnapCase(model: "bytedance/seedance-2.0-fast", resolution: "720p", requested: "5", snapped: 5, allowed: "1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15"),
    SnapCase(model: "bytedance/seedance-1-lite", resolution: "480p", requested: "1", snapped: 2, allowed: "2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12"),
    SnapCase(model: "bytedance/seedance-1-lite", resolution: "1080p", requested: "12.5", snapped: 12, allowed: "2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12"),
    SnapCase(model: "pixverse/pixverse-v5", resolution: "540p", requested: "6", snapped: 5, allowed: "5, 8"),
    SnapCase(model: "pixverse/pixverse-v5", resolution: "1080p", requested: "7", snapped: 8, allowed: "5, 8"),
    SnapCase(model: "luma/ray-2-720p", resolution: "720p", requested: "7", snapped: 5, allowed: "5, 9"),
    SnapCase(model: "luma/ray-2-540p", resolution: "540p", requested: "8", snapped: 9, allowed: "5, 9"),
    SnapCase(model: "luma/ray-flash-2-720p", resolution: "720p", requested: "4", snapped: 5, allowed: "5, 9"),
    SnapCase(model: "luma/ray-flash-2-540p", resolution: "540p", requested: "9", snapped: 9, allowed: "5, 9"),
    SnapCase(model: "wan-video/wan-2.2-i2v-fast", resolution: "480p", requested: "4", snapped: 5, allowed: "5, 6, 7"),
    SnapCase(model: "wan-video/wan-2.2-i2v-fast", resolution: "720p", requested: "8", snapped: 7, allowed: "5, 6, 7"),
    SnapCase(model: "wan-video/wan-2.2-i2v-fast", resolution: "720p", requested: "6", snapped: 6, allowed: "5, 6, 7"),
]

@Suite struct ModelTests {
    let project = MemoryProject()
    let assets = head + "assets:\n  - glob: assets/*.jpg\n"
    let known = ModelRegistry.builtIn.models.keys.sorted().joined(separator: ", ")

    @Test func everyRegistryModelHasSnapCases() {
        #expect(!ModelRegistry.builtIn.models.isEmpty)
        #expect(Set(snapCases.map(\.model)) == Set(ModelRegistry.builtIn.models.keys))
    }

    @Test(arguments: snapCases)
    func durationSnapsToWhatTheModelAccepts(_ example: SnapCase) throws {
        let requested = Double(example.requested) ?? 0, snapped = Double(example.snapped)
        // A snap by more than ×2 must be asked for (see largeSnapsAreErrorsUnlessAskedFor).
        let ask = max(requested / snapped, snapped / requested) > 2 ? "  allow_duration_snap: true\n" : ""
        let marked = MarkedText(assets + "generate:\n  model: \(example.model)\n  resolution: \"\(example.resolution)\"\n\(ask)  1️⃣duration: \(example.requested)\n")
        let (campaign, found) = try project.load(marked.text)
        let resolved = try #require(campaign)
        #expect(resolved.generator.duration == Double(example.snapped))
        #expect(resolved.generator.modelResolution == example.resolution)
        let table = settingsTable(resolved)
        if Double(example.requested) == Double(example.snapped) {
            #expect(found == [])
            #expect(table["generate.duration"] == "\(example.snapped) s (manifest)")
        } else {
            let message = "duration \(example.requested) s snapped to \(example.snapped) s: \(example.model) at \(example.resolution) accepts \(example.allowed) s"
            #expect(found.map(\.description) == [marked.warning(1, message, file: "reel.yaml")])
            #expect(resolved.notes == found)
            #expect(table["generate.duration"] == "\(example.snapped) s (snapped from \(example.requested) s)")
        }
    }

    /// 30 s silently becoming 8 s is too large a change for a warning (issue 10, item 11).
    @Test func largeSnapsAreErrorsUnlessAskedFor() throws {
        let marked = MarkedText(assets + "generate:\n  model: google/veo-3.1\n  1️⃣duration: 30\n")
        let (campaign, found) = try project.load(marked.text)
        #expect(campaign == nil)
        #expect(found.map(\.description) == [marked.error(1,
            "duration 30 s would become 8 s, more than a factor of two: google/veo-3.1 at 720p accepts 4, 6, 8 s; "
                + "ask for one of those, or set 'generate.allow_duration_snap: true' to accept 8 s", file: "reel.yaml")])
        let asked = try project.load(assets + "generate:\n  model: google/veo-3.1\n  duration: 30\n  allow_duration_snap: true\n")
        #expect(asked.0?.generator.duration == 8)
        #expect(asked.1.map(\.severity) == [.warning])
    }

    /// Caps that contradict each other are a warning at the cap that can never be reached.
    @Test func contradictoryCapsWarn() throws {
        let marked = MarkedText(assets + "budget:\n  max_usd: 1\n  1️⃣clip_max_usd: 10\n")
        let (campaign, found) = try project.load(marked.text)
        #expect(campaign != nil)
        #expect(found.map(\.description) == [marked.warning(1,
            "'budget.clip_max_usd' ($10) allows more than 'budget.max_usd' ($1), so one clip can never spend it: the campaign's cap wins; "
                + "lower 'budget.clip_max_usd' or raise 'budget.max_usd'", file: "reel.yaml")])
        #expect(try project.load(assets + "budget: {max_usd: 10, run_max_usd: 5, clip_max_usd: 1}\n").1.isEmpty)
    }

    @Test func snappingAPresetDurationPointsAtTheModel() throws {
        let marked = MarkedText(assets + "generate:\n  1️⃣model: kwaivgi/kling-v2.1\n")
        let (campaign, found) = try project.load(marked.text)
        #expect(found.map(\.description) == [
            marked.warning(1, "duration 4 s snapped to 5 s: kwaivgi/kling-v2.1 at 1080p accepts 5, 10 s", file: "reel.yaml"),
        ])
        let resolved = try #require(campaign)
        #expect(resolved.generator.duration == 5)
        #expect(settingsTable(resolved)["generate.duration"] == "5 s (snapped from 4 s)")
    }

    @Test func premiumDurationSnapsForHailuoAt1080p() throws {
        let marked = MarkedText(assets + "1️⃣quality: premium\ngenerate:\n  2️⃣model: minimax/hailuo-02\n")
        let (campaign, found) = try project.load(marked.text)
        #expect(found.map(\.description) == [
            marked.warning(2, "duration 8 s snapped to 6 s: minimax/hailuo-02 at 1080p accepts 6 s", file: "reel.yaml"),
        ])
        #expect(campaign?.generator.modelResolution == "1080p")
        #expect(campaign?.generator.duration == 6)
    }

    @Test func snappedDurationsAreAlwaysAllowedAndNearest() throws {
        for (slug, spec) in ModelRegistry.builtIn.models {
            for resolution in spec.resolutions {
                let allowed = spec.allowedDurations(at: resolution)
                #expect(!allowed.isEmpty, "\(slug) at \(resolution) allows no duration")
                for tenth in stride(from: 5, through: 600, by: 5) {
                    let requested = Double(tenth) / 10
                    let snapped = spec.snapDuration(requested, resolution: resolution)
                    #expect(allowed.contains(snapped), "\(slug) \(resolution): \(requested) → \(snapped)")
                    let best = allowed.map { abs(Double($0) - requested) }.min() ?? 0
                    #expect(abs(Double(snapped) - requested) == best, "\(slug) \(resolution): \(requested) → \(snapped) is not the nearest")
                }
            }
        }
    }

    @Test func unknownModelSuggestsTheNearest() throws {
        let marked = MarkedText(assets + "generate:\n  1️⃣model: google/veo-31\n")
        #expect(try project.diagnostics(marked) == [
            marked.error(1, "unknown model 'google/veo-31'; did you mean 'google/veo-3.1'? (known: \(known))", file: "reel.yaml"),
        ])
        let far = MarkedText(assets + "generate:\n  1️⃣model: acme/teleport\n")
        #expect(try project.diagnostics(far) == [far.error(1, "unknown model 'acme/teleport' (known: \(known))", file: "reel.yaml")])
    }

    @Test func resolutionTheModelCannotGenerate() throws {
        let marked = MarkedText(assets + "generate:\n  model: kwaivgi/kling-v2.1\n  1️⃣resolution: 720p\n")
        #expect(try project.diagnostics(marked) == [
            marked.error(1, "kwaivgi/kling-v2.1 cannot generate 720p with a first and last frame; use one of: 1080p", file: "reel.yaml"),
        ])
    }

    @Test func presetResolutionFallsBackToOneTheModelHas() throws {
        let campaign = try project.resolve(assets + "quality: economy\ngenerate: {model: kwaivgi/kling-v2.1, duration: 5}\n")
        #expect(campaign.generator.modelResolution == "1080p")
        #expect(settingsTable(campaign)["generate.resolution"] == "1080p (default)")
    }

    @Test func modelResolutionIsOnlyAWarningForTheLocalAnimatic() throws {
        let marked = MarkedText(assets + "generate:\n  1️⃣resolution: 1080p\n")
        let (campaign, found) = try project.load(marked.text)
        #expect(campaign != nil)
        #expect(found.map(\.description) == [
            marked.warning(1, "'generate.resolution' applies to Replicate models; the local animatic renders at output.resolution", file: "reel.yaml"),
        ])
    }

    @Test func localClipsLastAtLeastASecond() throws {
        let marked = MarkedText(assets + "generate:\n  1️⃣duration: 0.5\n")
        #expect(try project.diagnostics(marked) == [marked.error(1, "the local animatic needs clips of at least 1 s", file: "reel.yaml")])
    }

    @Test(arguments: [
        ("generate: {duration: 1}\noutput:\n  1️⃣transition: {type: fade, duration: 1}\n", "transition of 1 s is not shorter than the 1 s clips; shorten it"),
        ("generate: {duration: 2}\noutput:\n  1️⃣transition: {type: fade, duration: 2.5}\n", "transition of 2.5 s is not shorter than the 2 s clips; shorten it"),
        ("generate: {model: google/veo-3.1, duration: 5}\noutput:\n  1️⃣transition: {type: dissolve, duration: 4.5}\n",
            "transition of 4.5 s is not shorter than the 4 s clips; shorten it"),
    ])
    func transitionMustBeShorterThanTheClips(_ sections: String, _ message: String) throws {
        let marked = MarkedText(assets + sections)
        let found = try project.diagnostics(marked).filter { $0.contains(": error: ") }
        #expect(found == [marked.error(1, message, file: "reel.yaml")])
    }

    @Test func hardCutsNeedNoTime() throws {
        let campaign = try project.resolve(assets + "generate: {duration: 1}\noutput: {transition: none}\n")
        #expect(campaign.output.transition.isNone)
    }
}

@Suite struct OutputPathTests {
    let project = MemoryProject()
    let assets = head + "assets:\n  - glob: assets/*.jpg\n"

    @Test(arguments: [
        ("../escape.mp4", "'output.path' leaves the project (/project); keep outputs inside it"),
        ("out/../../escape.mp4", "'output.path' leaves the project (/project); keep outputs inside it"),
        ("/tmp/final.mp4", "'output.path' is absolute; write it relative to the manifest"),
        ("~/final.mp4", "'output.path' is absolute; write it relative to the manifest"),
    ])
    func outputStaysInTheProject(_ path: String, _ message: String) throws {
        let marked = MarkedText(assets + "output:\n  1️⃣path: \"\(path)\"\n")
        #expect(try project.diagnostics(marked) == [marked.error(1, message, file: "reel.yaml")])
    }

    @Test func outputIsRelativeToTheManifest() throws {
        let project = MemoryProject(files: ["campaigns/spring/assets/a.jpg", "campaigns/spring/assets/b.jpg"])
        let campaign = try project.resolve(assets + "output: {path: ../../renders/spring.mp4}\n", at: "/project/campaigns/spring/reel.yaml")
        #expect(campaign.output.path.pathString == "/project/renders/spring.mp4")
        let fallback = try project.resolve(assets, at: "/project/campaigns/spring/reel.yaml")
        #expect(fallback.output.path.pathString == "/project/campaigns/spring/out/demo.mp4")
    }
}

import Foundation
import ReelBasics
import ReelCache
import ReelManifest
import ReelMedia

/// Writes the HTML storyboard of a build: a self-contained folder (`<output stem>.report/`) with
/// `index.html`, the final video and its clips (hard links, or copies), image thumbnails, a poster
/// frame and a contact sheet. The page uses relative paths only and needs no network.
///
/// Pictures ffmpeg cannot make are left out and noted on the page; a failed build still gets a
/// page showing whatever exists.
public struct ReportWriter: Sendable {
    public let runner: any ProcessRunner
    public let fileSystem: any FileSystem
    /// Where the writer remembers what it placed and derived, and a digest of what the page shows
    /// (in the cache, not in the self-contained folder); `nil` remembers nothing.
    public let stateFile: AbsolutePath?
    /// Content digests of the assets by id (`Workspace.assetDigests`): a thumbnail is kept, or
    /// copied from another of the same content, while its image's content is unchanged, whatever
    /// happens to the file's name or times. An asset missing here is recognised by its file's
    /// path, size, time and inode instead.
    public let assetDigests: [String: Digest]

    public init(runner: any ProcessRunner, fileSystem: any FileSystem, stateFile: AbsolutePath? = nil, assetDigests: [String: Digest] = [:]) {
        self.runner = runner
        self.fileSystem = fileSystem
        self.stateFile = stateFile
        self.assetDigests = assetDigests
    }

    /// The state file for the report at `directory` in the cache at `layout`.
    public static func stateFile(for directory: AbsolutePath, in layout: CacheLayout) -> AbsolutePath {
        layout.versionRoot.appending("reports").appending(Digest.of(string: directory.pathString).short + ".tsv")
    }

    /// Whether the page at `data.directory` already shows `data`: the same content (leaving out
    /// times and built-or-cached), and every file it was written with still there.
    public func isCurrent(_ data: ReportData) -> Bool {
        isCurrent(directory: data.directory, key: Session.contentKey, value: { ReportWriter.contentDigest(data) })
    }

    /// Whether the page at `directory` was written (or found current) from the same `sources`
    /// (`Storyboard.sourcesDigest`), and every file it placed is still there.
    func isCurrent(directory: AbsolutePath, sources: String) -> Bool {
        isCurrent(directory: directory, key: Session.sourcesKey, value: { sources })
    }

    /// Whether the state file records `key` with `value()` for the page at `directory`, and every
    /// file the page placed (the state's other lines) is still there. The recorded value is
    /// compared first: when it changed, no file needs a look.
    private func isCurrent(directory: AbsolutePath, key: String, value: () -> String) -> Bool {
        guard let stateFile, let text = try? fileSystem.readText(stateFile),
            fileSystem.exists(directory.appending("index.html"))
        else { return false }
        let lines = text.split(separator: "\n")
        let prefix = key + "\t"
        guard let recorded = lines.first(where: { $0.hasPrefix(prefix) }), recorded.dropFirst(prefix.count) == value() else { return false }
        var present = FolderListing(fileSystem: fileSystem, directory: directory)
        for line in lines where !line.hasPrefix("#") {
            guard let tab = line.firstIndex(of: "\t") else { continue }
            if !present.contains(line[..<tab]) { return false }
        }
        return true
    }

    /// Records the sources the current page was made from (see `isCurrent(directory:sources:)`).
    func remember(sources: String) {
        guard let stateFile, let text = try? fileSystem.readText(stateFile) else { return }
        let kept = text.split(separator: "\n").filter { !$0.hasPrefix(Session.sourcesKey + "\t") }.map(String.init)
        let updated = ([Session.sourcesKey + "\t" + sources] + kept).joined(separator: "\n") + "\n"
        if updated != text { try? fileSystem.writeAtomically(Data(updated.utf8), to: stateFile, durable: false) }
    }

    /// A digest of what the page shows, times and cache states aside.
    static func contentDigest(_ data: ReportData) -> String {
        Digest.of(string: ReportPage(data: data.stableView, files: ReportFiles()).render()).hex
    }

    /// Writes the report into `data.directory`.
    /// - Returns: the path of its `index.html`.
    /// - Throws: `ReportError.cannotWrite` when the folder or the page cannot be written.
    public func write(_ data: ReportData) async throws -> AbsolutePath {
        let directory = data.directory
        let index = directory.appending("index.html")
        do {
            try fileSystem.createDirectory(directory)
        } catch {
            throw ReportError.cannotWrite(path: directory.pathString, reason: "\(error)")
        }
        // Older reels kept their notes in the folder; it is meant to hold only what the page shows.
        try? fileSystem.remove(directory.appending(".stamps"))
        var session = Session(writer: self, directory: directory)
        await session.addVideo(data)
        session.addClips(data.pairs)
        await session.addThumbnails(data.pairs)
        session.addComparisons(data)
        session.finish(content: ReportWriter.contentDigest(data))
        let html = ReportPage(data: data, files: session.files).render()
        do {
            try fileSystem.writeAtomically(Data(html.utf8), to: index, durable: false)
        } catch {
            throw ReportError.cannotWrite(path: index.pathString, reason: "\(error)")
        }
        return index
    }
}

extension ReportWriter {
    /// Makes the contact sheet of `video` at `output`: one pass over a short video, a seek per
    /// frame through a concat list (written beside `output`, removed after) over a long one.
    static func makeContactSheet(
        of video: AbsolutePath, duration: Double, framesPerSecond: Double?, to output: AbsolutePath,
        runner: any ProcessRunner, fileSystem: any FileSystem
    ) async throws {
        guard let plan = ReportFrames.seekPlan(for: video, duration: duration, framesPerSecond: framesPerSecond) else {
            _ = try await runner.checkedRun(ReportFrames.contactSheet(of: video, duration: duration, to: output))
            return
        }
        let list = output.parent.appending(".tmp-" + output.basename + ".txt")
        try fileSystem.writeAtomically(Data(plan.list.utf8), to: list, durable: false)
        defer { try? fileSystem.remove(list) }
        _ = try await runner.checkedRun(ReportFrames.contactSheet(of: video, duration: duration, seek: (list, plan.window), to: output))
    }

    /// Makes the poster frame and the contact sheet of `video` in `directory` (`poster.jpg`,
    /// `contact-sheet.jpg`), as the storyboard does, without a page: for measuring them
    /// (`reel report --pictures-of`, used by `scripts/bench`).
    /// - Throws: the probe's or ffmpeg's failure.
    public static func videoPictures(of video: AbsolutePath, into directory: AbsolutePath, runner: any ProcessRunner, fileSystem: any FileSystem) async throws {
        let media = try await MediaProbe(runner: runner).probe(video)
        try fileSystem.createDirectory(directory)
        _ = try await runner.checkedRun(ReportFrames.poster(of: video, duration: media.duration, to: directory.appending("poster.jpg")))
        try await makeContactSheet(
            of: video, duration: media.duration, framesPerSecond: media.fps, to: directory.appending("contact-sheet.jpg"), runner: runner, fileSystem: fileSystem)
    }
}

/// Which files of a report folder exist. Each subfolder is listed once, on the first question about
/// it, rather than each file looked up by its path: at 10,000 clips that was 15,000 path walks in
/// the kernel, 8% of a no-op. A listing is a snapshot: make a new one after writing files.
struct FolderListing {
    let fileSystem: any FileSystem
    let directory: AbsolutePath
    /// Names in each subfolder (`""`: the folder itself); `nil` when it cannot be listed.
    private var names: [Substring: Set<String>?] = [:]

    init(fileSystem: any FileSystem, directory: AbsolutePath) {
        self.fileSystem = fileSystem
        self.directory = directory
    }

    /// Whether `file` (relative to the folder: `clips/01.mp4`) exists.
    mutating func contains(_ file: Substring) -> Bool {
        let slash = file.lastIndex(of: "/")
        let folder = slash.map { file[..<$0] } ?? ""
        let name = String(slash.map { file[file.index(after: $0)...] } ?? file)
        if names[folder] == nil {
            let path = folder.isEmpty ? directory : directory.appending(String(folder))
            names[folder] = .some((try? fileSystem.list(path)).map(Set.init))
        }
        return names[folder]??.contains(name) == true
    }

    mutating func contains(_ file: String) -> Bool {
        contains(file[...])
    }
}

/// Why a report could not be written.
public enum ReportError: Error, Sendable, Equatable, CustomStringConvertible {
    case cannotWrite(path: String, reason: String)

    public var description: String {
        switch self {
        case .cannotWrite(let path, let reason):
            return "cannot write the report at '\(path)': \(reason); check that the folder is writable, or move output.path somewhere it is"
        }
    }
}

/// The files that made it into the report folder, as paths relative to it.
struct ReportFiles: Sendable, Equatable {
    var video: String?
    var poster: String?
    var contactSheet: String?
    /// Pair index → `clips/NN.mp4`.
    var clips: [Int: String] = [:]
    /// Asset id → `thumbs/<id>.jpg`.
    var thumbnails: [String: String] = [:]
    /// Variant → `variants/<name>.mp4`; `<node id>#<take>` → `takes/…mp4` (ReportWriter+Comparisons.swift).
    var variantVideos: [String: String] = [:]
    var takeClips: [String: String] = [:]
    /// What could not be made, for the page.
    var notes: [String] = []
}

extension ReportWriter {
    /// One run of `write`: tracks what was placed, and which derived pictures are still fresh.
    struct Session {
        let writer: ReportWriter
        let directory: AbsolutePath
        var files = ReportFiles()
        var stamps: [String: String]
        var fileSystem: any FileSystem { writer.fileSystem }
        static let contentKey = "#content"
        static let sourcesKey = "#sources"
        /// Bumped when a picture's recipe changes, so old pictures are remade.
        static let recipe = "report-1"

        init(writer: ReportWriter, directory: AbsolutePath) {
            self.writer = writer
            self.directory = directory
            let text = writer.stateFile.flatMap { try? writer.fileSystem.readText($0) } ?? ""
            var stamps: [String: String] = [:]
            for line in text.split(separator: "\n") {
                let parts = line.split(separator: "\t", maxSplits: 1).map(String.init)
                if parts.count == 2, !parts[0].hasPrefix("#") { stamps[parts[0]] = parts[1] }
            }
            self.stamps = stamps
        }

        mutating func addVideo(_ data: ReportData) async {
            let derived = ["video.mp4", "poster.jpg", "contact-sheet.jpg"]
            guard let video = data.video, fileSystem.infoFollowingSymlinks(video)?.kind == .file else {
                for name in derived { remove(name) }
                return
            }
            guard place(video, as: "video.mp4", what: "the final video") else { return }
            files.video = "video.mp4"
            var duration = data.videoMedia?.duration
            if duration == nil { duration = try? await MediaProbe(runner: writer.runner).probe(video).duration }
            let seconds = duration ?? 0
            let runner = writer.runner
            let fileSystem = self.fileSystem
            if await derive("poster.jpg", from: video, what: "the poster frame", { _ = try await runner.checkedRun(ReportFrames.poster(of: video, duration: seconds, to: $0)) }) {
                files.poster = "poster.jpg"
            }
            let fps = data.videoMedia?.fps
            if await derive("contact-sheet.jpg", from: video, what: "the contact sheet", {
                try await ReportWriter.makeContactSheet(of: video, duration: seconds, framesPerSecond: fps, to: $0, runner: runner, fileSystem: fileSystem)
            }) {
                files.contactSheet = "contact-sheet.jpg"
            }
        }

        mutating func addClips(_ pairs: [ReportData.Pair]) {
            var kept: Set<String> = []
            for pair in pairs {
                guard let clip = pair.clip, let info = fileSystem.infoFollowingSymlinks(clip), info.kind == .file else { continue }
                let name = "clips/" + NumberText.zeroPadded(pair.index + 1, width: 2) + ".mp4"
                if place(clip, as: name, what: "clip \(pair.index + 1)", info: info) {
                    files.clips[pair.index] = name
                    kept.insert(name)
                }
            }
            prune("clips", keeping: kept)
        }

        /// Thumbnails of every image in a pair. Each is stamped with its image's content digest:
        /// kept while that content is unchanged, copied from a thumbnail of the same content when
        /// there is one (a renamed asset, two assets of the same bytes), and made with ffmpeg only
        /// otherwise: several per ffmpeg process and several processes at once (one process per
        /// image was most of a cold storyboard's time). A rebuilt clip remakes none of them.
        mutating func addThumbnails(_ pairs: [ReportData.Pair]) async {
            var kept: Set<String> = []
            var tried: Set<String> = []
            // Stamp → a thumbnail in the folder made from it.
            var holders: [String: String] = [:]
            var present = FolderListing(fileSystem: fileSystem, directory: directory)
            for (name, stamp) in stamps where name.hasPrefix("thumbs/") && present.contains(name) { holders[stamp] = name }
            var pending: [(id: String, name: String, source: AbsolutePath, signature: String)] = []
            var copies: [(id: String, name: String, signature: String)] = []
            var making: Set<String> = []
            for asset in pairs.flatMap({ [$0.first, $0.last] }) where tried.insert(asset.id).inserted {
                let name = "thumbs/" + HTMLText.fileName(for: asset.id) + ".jpg"
                kept.insert(name)
                let signature = thumbnailSignature(of: asset)
                if stamps[name] == signature && present.contains(name) {
                    files.thumbnails[asset.id] = name
                } else if let holder = holders[signature], holder != name, copy(holder, to: name, signature: signature, holders: &holders) {
                    files.thumbnails[asset.id] = name
                } else if making.contains(signature) {
                    copies.append((asset.id, name, signature))
                } else {
                    making.insert(signature)
                    pending.append((asset.id, name, asset.path, signature))
                }
            }
            if !pending.isEmpty { try? fileSystem.createDirectory(directory.appending("thumbs")) }
            let jobs = pending.map { (source: $0.source, output: directory.appending("thumbs/.tmp-" + directory.appending($0.name).basename)) }
            let failures = await ReportFrames.makeThumbnails(jobs, runner: writer.runner)
            for (index, item) in pending.enumerated() {
                let temporary = jobs[index].output
                if let failure = failures[index] {
                    try? fileSystem.remove(temporary)
                    note("the thumbnail of '\(item.id)' could not be made", failure)
                    remove(item.name)
                    kept.remove(item.name)
                    continue
                }
                do {
                    try fileSystem.rename(temporary, to: directory.appending(item.name))
                    stamps[item.name] = item.signature
                    holders[item.signature] = item.name
                    files.thumbnails[item.id] = item.name
                } catch {
                    note("the thumbnail of '\(item.id)' could not be made", error)
                    remove(item.name)
                    kept.remove(item.name)
                }
            }
            for item in copies {
                if let holder = holders[item.signature], copy(holder, to: item.name, signature: item.signature, holders: &holders) {
                    files.thumbnails[item.id] = item.name
                } else {
                    // Its twin failed, and said why.
                    remove(item.name)
                    kept.remove(item.name)
                }
            }
            prune("thumbs", keeping: kept)
        }

        /// What a thumbnail is made from: its image's content digest when known, else its file.
        private func thumbnailSignature(of asset: ResolvedAsset) -> String {
            guard let digest = writer.assetDigests[asset.id] else { return signature(of: asset.path) }
            return "\(Session.recipe) thumbnail \(digest.hex)"
        }

        /// Places a copy (or link) of the thumbnail `holder` as `name`; `holders` follows (what
        /// `name` held before is gone: two images that swapped contents must not get one picture).
        private mutating func copy(_ holder: String, to name: String, signature: String, holders: inout [String: String]) -> Bool {
            let temporary = directory.appending("thumbs/.tmp-" + directory.appending(name).basename)
            do {
                try? fileSystem.remove(temporary)
                try fileSystem.linkOrCopy(directory.appending(holder), to: temporary)
                try fileSystem.rename(temporary, to: directory.appending(name))
                if let previous = stamps[name], holders[previous] == name { holders[previous] = nil }
                stamps[name] = signature
                holders[signature] = name
                return true
            } catch {
                try? fileSystem.remove(temporary)
                return false
            }
        }

        /// Saves the stamps of what exists now and the digest of the page's content.
        mutating func finish(content: String) {
            guard let path = writer.stateFile else { return }
            var present = FolderListing(fileSystem: fileSystem, directory: directory)
            let text = "\(Session.contentKey)\t\(content)\n" + stamps.filter { present.contains($0.key) }.sorted { $0.key < $1.key }
                .map { "\($0.key)\t\($0.value)\n" }.joined()
            if (try? fileSystem.readText(path)) != text {
                try? fileSystem.createDirectory(path.parent)
                try? fileSystem.writeAtomically(Data(text.utf8), to: path, durable: false)
            }
        }

        /// Links (or copies) `source` into the folder as `name`, unless the same file is there already.
        /// - Parameter info: `source`'s, when the caller has it (one stat per clip, not three).
        private mutating func place(_ source: AbsolutePath, as name: String, what: String, info: FileInfo? = nil) -> Bool {
            let destination = directory.appending(name)
            let original = info ?? fileSystem.infoFollowingSymlinks(source)
            let signature = self.signature(of: source, info: original)
            if let existing = fileSystem.infoFollowingSymlinks(destination), let original,
                existing.isSameFile(as: original) || stamps[name] == signature
            {
                return true
            }
            do {
                try fileSystem.linkOrCopy(source, to: destination)
                stamps[name] = signature
                return true
            } catch {
                note("\(what) could not be placed in the report", error)
                remove(name)
                return false
            }
        }

        /// Makes `name` from `source` with ffmpeg, unless a picture made from the same source is there.
        private mutating func derive(
            _ name: String, from source: AbsolutePath, what: String, _ make: (AbsolutePath) async throws -> Void
        ) async -> Bool {
            let destination = directory.appending(name)
            let signature = self.signature(of: source)
            if stamps[name] == signature && fileSystem.exists(destination) { return true }
            let temporary = destination.parent.appending(".tmp-" + destination.basename)
            do {
                try fileSystem.createDirectory(destination.parent)
                try await make(temporary)
                try fileSystem.rename(temporary, to: destination)
                stamps[name] = signature
                return true
            } catch {
                try? fileSystem.remove(temporary)
                note("\(what) could not be made", error)
                remove(name)
                return false
            }
        }

        /// Who a source file is, so a derived picture is remade only when its source changes.
        private func signature(of source: AbsolutePath, info known: FileInfo? = nil) -> String {
            guard let info = known ?? fileSystem.infoFollowingSymlinks(source) else { return "missing" }
            return "\(Session.recipe) \(source.pathString) \(info.size) \(info.modificationNanos) \(info.device):\(info.inode)"
        }

        private mutating func remove(_ name: String) {
            try? fileSystem.remove(directory.appending(name))
            stamps[name] = nil
        }

        /// Removes files in `folder` that this report no longer uses.
        private mutating func prune(_ folder: String, keeping kept: Set<String>) {
            guard let names = try? fileSystem.list(directory.appending(folder)) else { return }
            for name in names where !kept.contains("\(folder)/\(name)") { remove("\(folder)/\(name)") }
        }

        private mutating func note(_ message: String, _ error: any Error) {
            let reason = "\(error)".split(separator: "\n").prefix(3).joined(separator: " ")
            files.notes.append("\(message): \(reason.prefix(400))")
        }
    }
}

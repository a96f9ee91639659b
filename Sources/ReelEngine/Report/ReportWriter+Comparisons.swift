import Foundation
import ReelBasics

extension ReportWriter.Session {
    /// Places what the comparisons show in the folder: each variant's video as
    /// `variants/<name>.mp4`, each take of a re-rolled clip as `takes/<node>-take<N>.mp4` (hard
    /// links to the cache's read-only blobs when possible). What is no longer shown is removed.
    mutating func addComparisons(_ data: ReportData) {
        var kept: [String: Set<String>] = ["variants": [], "takes": []]
        for column in data.variants {
            guard let video = column.video else { continue }
            let name = "variants/" + HTMLText.fileName(for: column.name) + ".mp4"
            if link(video, as: name, what: "the video of variant \(column.name)") {
                files.variantVideos[column.name] = name
                kept["variants", default: []].insert(name)
            }
        }
        for group in data.takes {
            for take in group.takes {
                let name = "takes/" + HTMLText.fileName(for: group.nodeID.replacingOccurrences(of: "/", with: "-").replacingOccurrences(of: "@", with: ".")) + "-take\(take.number).mp4"
                if link(take.source, as: name, what: "take \(take.number) of \(group.nodeID)") {
                    files.takeClips["\(group.nodeID)#\(take.number)"] = name
                    kept["takes", default: []].insert(name)
                }
            }
        }
        for (folder, names) in kept {
            let path = directory.appending(folder)
            let present: [String]
            do {
                present = try fileSystem.listIfPresent(path)
            } catch {
                files.notes.append("could not list \(folder)/ in the report: \(error)")
                continue
            }
            for file in present where !names.contains("\(folder)/\(file)") {
                do {
                    try fileSystem.remove(path.appending(file))
                } catch {
                    files.notes.append("could not remove \(folder)/\(file) from the report: \(error)")
                }
            }
        }
    }

    /// Links (or copies) `source` to `name` in the folder unless that same file is there.
    private mutating func link(_ source: AbsolutePath, as name: String, what: String) -> Bool {
        let destination = directory.appending(name)
        guard let original = fileSystem.infoFollowingSymlinks(source), original.kind == .file else {
            files.notes.append("\(what) is missing (\(source.pathString))")
            return false
        }
        if let existing = fileSystem.infoFollowingSymlinks(destination), existing.isSameFile(as: original) { return true }
        do {
            try fileSystem.linkOrCopy(source, to: destination)
            return true
        } catch {
            files.notes.append("\(what) could not be placed in the report: \(error)")
            return false
        }
    }
}

import Foundation
import ReelBasics

/// Expands asset entries into files: checks each path exists, stays inside the project (no `..`
/// escapes, no symlinks out) and expands globs (`*`, `?`, `[…]` within a name, `**` across folders).
struct AssetExpander {
    let fileSystem: any FileSystem
    let manifestDirectory: AbsolutePath
    let projectRoot: AbsolutePath
    /// The project root with symlinks resolved, to check where links point.
    let resolvedRoot: AbsolutePath
    /// Folders already resolved: a glob of 5,000 files in one folder resolves the folder once,
    /// not every component of every file's path (which was five failed `readlink` calls per asset).
    private let resolvedFolders = ResolvedFolders()

    init(fileSystem: any FileSystem, manifestDirectory: AbsolutePath, projectRoot: AbsolutePath, resolvedRoot: AbsolutePath) {
        self.fileSystem = fileSystem
        self.manifestDirectory = manifestDirectory
        self.projectRoot = projectRoot
        self.resolvedRoot = resolvedRoot
    }

    /// Files found for one entry, or the diagnostics that say why none were.
    func expand(_ entry: AssetEntry) -> Result<[AbsolutePath], Diagnostic> {
        switch entry.source {
        case .path(let text):
            return checkedPath(text, location: entry.location).map { [$0] }
        case .glob(let pattern):
            return expandGlob(pattern, location: entry.location)
        }
    }

    private func checkedPath(_ text: String, location: SourceLocation) -> Result<AbsolutePath, Diagnostic> {
        if text.hasPrefix("/") || text.hasPrefix("~") {
            return .failure(.error("asset path '\(text)' is absolute; write it relative to the manifest", at: location))
        }
        let path = AbsolutePath(text, relativeTo: manifestDirectory)
        guard path.isDescendant(ofOrEqualTo: projectRoot) else {
            return .failure(.error("asset path '\(text)' leaves the project (\(projectRoot)); keep assets inside it", at: location))
        }
        guard let info = fileSystem.info(path) else {
            return .failure(.error("asset '\(text)' does not exist (looked for \(path.relative(to: projectRoot)) in the project)", at: location))
        }
        if let problem = confinementProblem(path, text: text) { return .failure(.error(problem, at: location)) }
        let target = info.kind == .symlink ? fileSystem.infoFollowingSymlinks(path) : info
        guard target?.kind == .file else {
            return .failure(.error("asset '\(text)' is not a regular file", at: location))
        }
        return .success(path)
    }

    /// A message when `path` resolves (through symlinks) to somewhere outside the project.
    private func confinementProblem(_ path: AbsolutePath, text: String) -> String? {
        guard let resolved = resolved(path, isSymlink: fileSystem.info(path)?.kind == .symlink) else {
            return "asset '\(text)' is a broken symlink"
        }
        guard resolved.isDescendant(ofOrEqualTo: resolvedRoot) else {
            return "asset '\(text)' is a symlink to \(resolved), outside the project; copy the file into the project instead"
        }
        return nil
    }

    private func expandGlob(_ pattern: String, location: SourceLocation) -> Result<[AbsolutePath], Diagnostic> {
        if pattern.hasPrefix("/") || pattern.hasPrefix("~") {
            return .failure(.error("asset glob '\(pattern)' is absolute; write it relative to the manifest", at: location))
        }
        let parts = pattern.split(separator: "/").map(String.init)
        // Walk the literal prefix lexically so `..` cannot escape.
        var base = manifestDirectory
        var index = 0
        while index < parts.count, !AssetExpander.isPattern(parts[index]) {
            base = AbsolutePath(parts[index], relativeTo: base)
            index += 1
        }
        guard base.isDescendant(ofOrEqualTo: projectRoot) else {
            return .failure(.error("asset glob '\(pattern)' leaves the project (\(projectRoot)); keep assets inside it", at: location))
        }
        if parts[index...].contains("..") {
            return .failure(.error("asset glob '\(pattern)' may not use '..' after a wildcard", at: location))
        }
        var matches: [AbsolutePath] = []
        if index == parts.count {
            return checkedPath(pattern, location: location).map { [$0] }
        }
        // `**/**` is `**` (walking it twice would only repeat work), and a final `**` matches every file below.
        var rest: [String] = []
        for part in parts[index...] where !(part == "**" && rest.last == "**") { rest.append(part) }
        if rest.last == "**" { rest.append("*") }
        walk(base, parts: rest, into: &matches)
        var files: [AbsolutePath] = []
        for match in matches.sorted() {
            let shown = match.relative(to: projectRoot)
            let own = fileSystem.info(match)
            let isSymlink = own?.kind == .symlink
            guard let target = isSymlink ? fileSystem.infoFollowingSymlinks(match) : own else {
                return .failure(.error("asset glob '\(pattern)' matches \(shown), a broken symlink; fix or remove the link", at: location))
            }
            guard target.kind == .file else { continue }
            if let resolved = resolved(match, isSymlink: isSymlink), !resolved.isDescendant(ofOrEqualTo: resolvedRoot) {
                return .failure(.error(
                    "asset glob '\(pattern)' matches \(shown), which is a symlink to \(resolved), outside the project; copy the file into the project instead",
                    at: location))
            }
            files.append(match)
        }
        guard !files.isEmpty else {
            return .failure(.error("asset glob '\(pattern)' matches no files", at: location))
        }
        return .success(files)
    }

    /// `path` with symlinks resolved: a file that is not itself a link is its resolved folder plus
    /// its name. `nil` when it cannot be resolved (a broken link).
    private func resolved(_ path: AbsolutePath, isSymlink: Bool) -> AbsolutePath? {
        if isSymlink { return try? fileSystem.resolvingSymlinks(path) }
        let folder = path.parent
        if let known = resolvedFolders.values[folder] { return known.appending(path.basename) }
        guard let resolvedFolder = try? fileSystem.resolvingSymlinks(folder) else { return nil }
        resolvedFolders.values[folder] = resolvedFolder
        return resolvedFolder.appending(path.basename)
    }

    private func walk(_ directory: AbsolutePath, parts: [String], into matches: inout [AbsolutePath]) {
        PathGlob(fileSystem: fileSystem).walk(directory, parts: parts, into: &matches)
    }

    static func isPattern(_ component: String) -> Bool {
        PathGlob.isPattern(component)
    }
}

/// The memo of `AssetExpander.resolved(_:isSymlink:)`; one expander runs on one thread.
private final class ResolvedFolders {
    var values: [AbsolutePath: AbsolutePath] = [:]
}

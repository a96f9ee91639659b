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
        guard let resolved = try? fileSystem.resolvingSymlinks(path) else {
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
            guard let target = fileSystem.infoFollowingSymlinks(match) else {
                return .failure(.error("asset glob '\(pattern)' matches \(shown), a broken symlink; fix or remove the link", at: location))
            }
            guard target.kind == .file else { continue }
            if let resolved = try? fileSystem.resolvingSymlinks(match), !resolved.isDescendant(ofOrEqualTo: resolvedRoot) {
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

    private func walk(_ directory: AbsolutePath, parts: [String], into matches: inout [AbsolutePath]) {
        PathGlob(fileSystem: fileSystem).walk(directory, parts: parts, into: &matches)
    }

    static func isPattern(_ component: String) -> Bool {
        PathGlob.isPattern(component)
    }
}

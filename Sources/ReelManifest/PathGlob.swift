import Foundation
import ReelBasics

/// Shell-style globs over a file system, the same on every platform: `*`, `?` and `[…]` within a
/// name, `**` across folders (hidden folders are not entered), a leading `.` matched literally.
/// Used for asset globs and for the manifests a batch build takes (`reel build 'campaigns/**/reel.yaml'`).
public struct PathGlob: Sendable {
    public let fileSystem: any FileSystem

    public init(fileSystem: any FileSystem) {
        self.fileSystem = fileSystem
    }

    /// The paths matching `pattern` (relative to `base`, or absolute), sorted.
    public func expand(_ pattern: String, from base: AbsolutePath) -> [AbsolutePath] {
        let root: AbsolutePath
        var text = pattern
        if text.hasPrefix("/") {
            root = AbsolutePath("/") ?? base
            text.removeFirst()
        } else {
            root = base
        }
        let parts = text.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        var matches: [AbsolutePath] = []
        walk(root, parts: parts, into: &matches)
        return Array(Set(matches)).sorted { $0.pathString < $1.pathString }
    }

    func walk(_ directory: AbsolutePath, parts: [String], into matches: inout [AbsolutePath]) {
        guard let first = parts.first else { return }
        let rest = Array(parts.dropFirst())
        if first == "." {
            walk(directory, parts: rest, into: &matches)
            return
        }
        if first == ".." {
            walk(directory.parent, parts: rest, into: &matches)
            return
        }
        guard let names = try? fileSystem.list(directory) else { return }
        if first == "**" {
            walk(directory, parts: rest, into: &matches)
            for name in names where !name.hasPrefix(".") {
                let child = directory.appending(name)
                if fileSystem.info(child)?.kind == .directory { walk(child, parts: parts, into: &matches) }
            }
            return
        }
        for name in names where PathGlob.matches(first, name) {
            let child = directory.appending(name)
            if rest.isEmpty {
                matches.append(child)
            } else if fileSystem.isDirectory(child) {
                walk(child, parts: rest, into: &matches)
            }
        }
    }

    /// Whether a path component has a wildcard.
    public static func isPattern(_ component: String) -> Bool {
        component.contains { "*?[".contains($0) }
    }

    /// Shell-style matching of one path component; a leading `.` must be matched literally.
    static func matches(_ pattern: String, _ name: String) -> Bool {
        fnmatch(pattern, name, FNM_PERIOD) == 0
    }
}

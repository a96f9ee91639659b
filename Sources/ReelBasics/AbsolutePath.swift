import Foundation

/// A normalised absolute file path: starts with `/`, no `.` or `..` components, no trailing slash.
///
/// Normalisation is lexical; symlinks are resolved only by `FileSystem.resolvingSymlinks(_:)`.
public struct AbsolutePath: Hashable, Comparable, Sendable, CustomStringConvertible, Codable {
    /// The path text.
    public let pathString: String

    /// Creates a path from absolute text, normalising `.` and `..` lexically.
    /// - Returns: `nil` when `text` is not absolute.
    public init?(_ text: String) {
        guard text.hasPrefix("/") else { return nil }
        self.pathString = AbsolutePath.normalise(components: text.split(separator: "/").map(String.init))
    }

    /// Resolves `text` against `base` when it is relative.
    public init(_ text: String, relativeTo base: AbsolutePath) {
        if text.hasPrefix("/") {
            self.pathString = AbsolutePath.normalise(components: text.split(separator: "/").map(String.init))
        } else {
            let parts = base.components + text.split(separator: "/").map(String.init)
            self.pathString = AbsolutePath.normalise(components: parts)
        }
    }

    /// The current working directory of the process.
    public static var currentDirectory: AbsolutePath {
        AbsolutePath(FileManager.default.currentDirectoryPath) ?? AbsolutePath(root: ())
    }

    private init(root: Void) { self.pathString = "/" }

    private static func normalise(components: [String]) -> String {
        var stack: [String] = []
        for part in components where !part.isEmpty && part != "." {
            if part == ".." {
                _ = stack.popLast()
            } else {
                stack.append(part)
            }
        }
        return "/" + stack.joined(separator: "/")
    }

    /// The path's components, without the root.
    public var components: [String] { pathString.split(separator: "/").map(String.init) }

    /// The last component (`""` for the root).
    public var basename: String {
        guard let slash = pathString.lastIndex(of: "/") else { return pathString }
        return String(pathString[pathString.index(after: slash)...])
    }

    /// The last component without its extension.
    public var stem: String {
        let name = basename
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return name }
        return String(name[..<dot])
    }

    /// The extension without its dot, lowercased (`""` when none).
    public var fileExtension: String {
        let name = basename
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return "" }
        return String(name[name.index(after: dot)...]).lowercased()
    }

    /// The containing directory (the root is its own parent).
    public var parent: AbsolutePath {
        guard let slash = pathString.lastIndex(of: "/"), slash != pathString.startIndex else { return AbsolutePath(root: ()) }
        return AbsolutePath(normalised: String(pathString[..<slash]))
    }

    /// Wraps text already known to be normalised.
    private init(normalised: String) {
        self.pathString = normalised
    }

    /// This path with `relative` appended (which may contain several components).
    public func appending(_ relative: String) -> AbsolutePath {
        // The common case, one plain name, needs no normalising. (A byte scan: `contains("/")`
        // resolves to Foundation's NSString search, 7% of a 2,500-pair no-op.)
        if !relative.isEmpty, relative != ".", relative != "..", !relative.utf8.contains(UInt8(ascii: "/")) {
            return AbsolutePath(normalised: pathString == "/" ? "/" + relative : pathString + "/" + relative)
        }
        return AbsolutePath(relative.hasPrefix("/") ? String(relative.dropFirst()) : relative, relativeTo: self)
    }

    /// Whether `self` equals `ancestor` or lies below it.
    public func isDescendant(ofOrEqualTo ancestor: AbsolutePath) -> Bool {
        if ancestor.pathString == "/" { return true }
        return pathString == ancestor.pathString || pathString.hasPrefix(ancestor.pathString + "/")
    }

    /// The path of `self` relative to `base`, using `..` where needed.
    public func relative(to base: AbsolutePath) -> String {
        // The common case, a path below `base`: the rest of the text.
        if base.pathString != "/", pathString.utf8.count > base.pathString.utf8.count, pathString.hasPrefix(base.pathString),
            pathString.utf8.dropFirst(base.pathString.utf8.count).first == UInt8(ascii: "/")
        {
            return String(pathString[pathString.utf8.index(pathString.startIndex, offsetBy: base.pathString.utf8.count + 1)...])
        }
        let mine = components
        let theirs = base.components
        var common = 0
        while common < mine.count, common < theirs.count, mine[common] == theirs[common] { common += 1 }
        let ups = Array(repeating: "..", count: theirs.count - common)
        let rest = Array(mine[common...])
        let joined = (ups + rest).joined(separator: "/")
        return joined.isEmpty ? "." : joined
    }

    public var description: String { pathString }

    public static func < (lhs: AbsolutePath, rhs: AbsolutePath) -> Bool { lhs.pathString < rhs.pathString }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let path = AbsolutePath(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(text)' is not an absolute path")
        }
        self = path
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(pathString)
    }
}

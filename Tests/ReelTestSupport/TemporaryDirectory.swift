import Foundation
import ReelBasics

/// A temporary directory for one test, removed afterwards unless `REEL_SAVE_TEMPS=1`.
public func withTemporaryDirectory<T>(_ body: (AbsolutePath) async throws -> T) async throws -> T {
    let path = try makeTemporaryDirectory()
    defer {
        if ProcessInfo.processInfo.environment["REEL_SAVE_TEMPS"] != "1" {
            try? LocalFileSystem().removeWritable(path)
        }
    }
    return try await body(path)
}

/// Creates a fresh temporary directory (resolved, no symlinks).
public func makeTemporaryDirectory() throws -> AbsolutePath {
    let base = NSTemporaryDirectory() + "/reel-test-" + UUID().uuidString.prefix(8).lowercased()
    try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
    guard let path = AbsolutePath(base) else { throw InternalError("temporary directory is not absolute") }
    return try LocalFileSystem().resolvingSymlinks(path)
}

extension LocalFileSystem {
    /// Removes a tree even where read-only files (cache blobs) live in it.
    public func removeWritable(_ path: AbsolutePath) throws {
        _ = try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path.pathString)
        if let enumerator = FileManager.default.enumerator(atPath: path.pathString) {
            for case let relative as String in enumerator {
                _ = try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path.appending(relative).pathString)
            }
        }
        try remove(path)
    }
}

/// Writes a text file, creating its folder.
public func writeFile(_ text: String, to path: AbsolutePath) throws {
    try LocalFileSystem().writeAtomically(Data(text.utf8), to: path)
}

import ReelBasics

/// Where everything lives inside a cache directory.
///
/// ```
/// <root>/CACHEDIR.TAG
/// <root>/v1/cas/sha256/ab/cdef…      blobs, read-only, named by their SHA-256
/// <root>/v1/ac/ab/<key>.json         action cache: node key → outputs and metadata
/// <root>/v1/stat-cache.tsv           path, size, mtime, inode → digest
/// <root>/v1/image-checks.tsv         digests of images that decoded completely
/// <root>/v1/locks/<key>.lock         per-node locks between processes
/// <root>/v1/journal/<key>.json       in-flight remote work (prediction ids)
/// <root>/v1/tmp/                     temporary files, same file system as the blobs
/// ```
/// The format version is part of the path, so a future format lives beside this one instead of
/// misreading it.
public struct CacheLayout: Sendable, Equatable {
    public let root: AbsolutePath
    public static let formatVersion = "v1"

    public init(root: AbsolutePath) {
        self.root = root
    }

    public var versionRoot: AbsolutePath { root.appending(CacheLayout.formatVersion) }
    public var casRoot: AbsolutePath { versionRoot.appending("cas").appending("sha256") }
    public var actionCacheRoot: AbsolutePath { versionRoot.appending("ac") }
    public var statCachePath: AbsolutePath { versionRoot.appending("stat-cache.tsv") }
    public var imageChecksPath: AbsolutePath { versionRoot.appending("image-checks.tsv") }
    public var locksRoot: AbsolutePath { versionRoot.appending("locks") }
    public var journalRoot: AbsolutePath { versionRoot.appending("journal") }
    public var temporaryRoot: AbsolutePath { versionRoot.appending("tmp") }
    public var tagPath: AbsolutePath { root.appending("CACHEDIR.TAG") }

    /// The blob file for `digest`.
    public func blobPath(_ digest: Digest) -> AbsolutePath {
        casRoot.appending(String(digest.hex.prefix(2))).appending(String(digest.hex.dropFirst(2)))
    }

    /// The action-cache entry for `key`.
    public func actionPath(_ key: Digest) -> AbsolutePath {
        actionCacheRoot.appending(String(key.hex.prefix(2))).appending(key.hex + ".json")
    }

    /// The lock file for `key`.
    public func lockPath(_ key: Digest) -> AbsolutePath {
        locksRoot.appending(key.hex + ".lock")
    }

    /// The journal entry for `key`.
    public func journalPath(_ key: Digest) -> AbsolutePath {
        journalRoot.appending(key.hex + ".json")
    }

    /// The contents of `CACHEDIR.TAG` (https://bford.info/cachedir/).
    public static let tagContents = """
        Signature: 8a477f597d28d172789f06886806bc55
        # This file is a cache directory tag created by reel.
        # For information about cache directory tags, see https://bford.info/cachedir/

        """

    /// Creates the directories and the tag file if they are missing.
    public func prepare(on fileSystem: any FileSystem) throws {
        for directory in [casRoot, actionCacheRoot, locksRoot, journalRoot, temporaryRoot] {
            try fileSystem.createDirectory(directory)
        }
        if !fileSystem.exists(tagPath) {
            try fileSystem.writeAtomically(Array(CacheLayout.tagContents.utf8).withUnsafeBytes { Data($0) }, to: tagPath)
        }
    }
}

import Foundation

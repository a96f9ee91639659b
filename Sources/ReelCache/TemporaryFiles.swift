import Foundation
import ReelBasics

/// Names of files in `<cache>/v1/tmp/` say which process made them — `reel-<pid>-<host>-<uuid>-<name>`
/// — so `reel cache verify` and `reel cache gc` can tell a dead process's leftover (after
/// `kill -9` or a power cut) from a file a running build is still writing, even on a cache that
/// several machines share (`<host>` is a short hash of the host name; another host's files are
/// judged by age only).
public enum TemporaryFiles {
    /// Files without an owner in their name, or from another host, are leftovers after this long
    /// without a write (a running encode or download touches its file far more often).
    public static let unownedAge: TimeInterval = 3_600

    /// This host's tag: 8 hex digits of its name's SHA-256.
    public static let hostTag: String = {
        var buffer = [CChar](repeating: 0, count: 256)
        let name = gethostname(&buffer, buffer.count) == 0 ? String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "unknown"
        return String(Digest.of(string: name).hex.prefix(8))
    }()

    /// A fresh file name for `name`, owned by this process.
    public static func name(_ name: String) -> String {
        "reel-\(getpid())-\(hostTag)-\(UUID().uuidString.lowercased())-\(name)"
    }

    /// Whether the file `name` (last modified `modified`) belongs to no live process.
    public static func isLeftover(_ name: String, modified: Date, now: Date = Date()) -> Bool {
        let parts = name.split(separator: "-", maxSplits: 3, omittingEmptySubsequences: false)
        if parts.count == 4, parts[0] == "reel", let pid = pid_t(parts[1]), parts[2] == hostTag {
            if pid == getpid() { return false }
            // No such process: it died without cleaning up. (A reused pid keeps the file until it is old.)
            if kill(pid, 0) != 0 && errno == ESRCH { return true }
        }
        return now.timeIntervalSince(modified) > unownedAge
    }
}

import Foundation
import ReelBasics
import Synchronization

/// An exclusive lock on one node key, held with `flock` on a file in the cache, so two `reel`
/// processes sharing a cache never run the same node at once. The kernel releases it if the
/// process dies, even on `kill -9`.
public final class NodeLock: Sendable {
    private let descriptor: Int32
    private let released = Mutex(false)

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    /// Takes the lock for `key`, waiting (without blocking a thread) while another process holds it.
    /// - Parameters:
    ///   - onWait: called once if the lock is busy, so the caller can say it is waiting.
    /// - Throws: `CancellationError` when the task is cancelled while waiting.
    public static func acquire(
        _ key: Digest, layout: CacheLayout, pollInterval: Duration = .milliseconds(100), onWait: @Sendable () -> Void = {}
    ) async throws -> NodeLock {
        let path = layout.lockPath(key)
        try LocalFileSystem().createDirectory(path.parent)
        let fd = open(path.pathString, O_RDWR | O_CREAT | O_CLOEXEC, 0o664)
        guard fd >= 0 else { throw FileSystemError.posix(op: "open lock", path: path.pathString, errno: errno) }
        var announced = false
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else {
                let code = errno
                close(fd)
                throw FileSystemError.posix(op: "lock", path: path.pathString, errno: code)
            }
            if !announced {
                announced = true
                onWait()
            }
            do {
                try await Task.sleep(for: pollInterval)
            } catch {
                close(fd)
                throw error
            }
        }
        return NodeLock(descriptor: fd)
    }

    /// Releases the lock (once; later calls do nothing).
    public func release() {
        let first = released.withLock { done -> Bool in
            defer { done = true }
            return !done
        }
        guard first else { return }
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}

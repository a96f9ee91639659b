// remote-cache-bench: drives ReelRemoteCache's client for scripts/bench (not shipped, not a test).
//
//     remote-cache-bench fetch <base-url> <list> <out-dir> [--jobs N]
//
// <list> has one blob per line, `<sha256 hex> <size>`. Every blob is fetched (streamed to disk,
// hashed while streaming, verified) with at most N transfers at once (default: the client's
// bound). Prints one JSON line: {"seconds": …, "blobs": …, "bytes": …, "verified": …}.
import Foundation
import ReelBasics
import ReelRemoteCache

@main
struct RemoteCacheBench {
    static func main() async {
        do {
            try await run(Array(CommandLine.arguments.dropFirst()))
        } catch {
            FileHandle.standardError.write(Data("remote-cache-bench: \(error)\n".utf8))
            exit(1)
        }
    }

    static func run(_ arguments: [String]) async throws {
        guard arguments.count >= 4, arguments[0] == "fetch", let list = AbsolutePath(arguments[2]), let out = AbsolutePath(arguments[3]) else {
            throw InternalError("usage: remote-cache-bench fetch <base-url> <list> <out-dir> [--jobs N]")
        }
        let flags = RemoteCacheFlags(url: arguments[1], upload: false)
        guard let configuration = try RemoteCacheConfiguration.from(environment: ProcessInfo.processInfo.environment, flags: flags) else {
            throw InternalError("no remote cache")
        }
        var jobs = configuration.maxConcurrentTransfers
        if let index = arguments.firstIndex(of: "--jobs"), index + 1 < arguments.count, let value = Int(arguments[index + 1]) { jobs = value }
        let blobs: [(Digest, Int64)] = try String(contentsOfFile: list.pathString, encoding: .utf8).split(separator: "\n").map { line in
            let parts = line.split(separator: " ")
            guard parts.count == 2, let digest = Digest(String(parts[0])), let size = Int64(parts[1]) else { throw InternalError("bad line: \(line)") }
            return (digest, size)
        }
        let client = RemoteCacheClient(configuration: configuration, warn: { FileHandle.standardError.write(Data("warning: \($0)\n".utf8)) })
        let start = ContinuousClock.now
        var verified = 0
        try await withThrowingTaskGroup(of: Bool.self) { group in
            var next = 0
            func launch() {
                let (digest, size) = blobs[next]
                next += 1
                group.addTask { try await client.fetchBlob(digest, size: size, to: out.appending(digest.hex)) }
            }
            while next < min(jobs, blobs.count) { launch() }
            for try await ok in group {
                if ok { verified += 1 }
                if next < blobs.count { launch() }
            }
        }
        let seconds = (ContinuousClock.now - start).inSeconds
        let bytes = blobs.reduce(Int64(0)) { $0 + $1.1 }
        print("{\"seconds\": \(seconds), \"blobs\": \(blobs.count), \"bytes\": \(bytes), \"verified\": \(verified)}")
    }
}

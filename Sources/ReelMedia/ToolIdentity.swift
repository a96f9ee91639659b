import Foundation
import ReelBasics

/// The identity of the ffmpeg build, which is part of every local node's key: another ffmpeg
/// may encode other bytes. Remembered per binary (path, size, mtime, inode) so a no-op build never
/// starts ffmpeg just to ask its version.
public struct ToolIdentity: Sendable {
    public let runner: any ProcessRunner
    public let fileSystem: any FileSystem
    /// Where answers are remembered (`tools.tsv` in the cache).
    public let memoPath: AbsolutePath

    public init(runner: any ProcessRunner, fileSystem: any FileSystem, memoPath: AbsolutePath) {
        self.runner = runner
        self.fileSystem = fileSystem
        self.memoPath = memoPath
    }

    /// `ffmpeg version 5.1.9-0+deb12u1` or similar.
    /// - Throws: `ProcessError.executableNotFound` when ffmpeg is not installed.
    public func ffmpegVersion() async throws -> String {
        let binary = try ToolIdentity.locate("ffmpeg")
        let info = fileSystem.infoFollowingSymlinks(binary)
        let stamp = info.map { "\(binary)\t\($0.size)\t\($0.modificationNanos)\t\($0.inode)" } ?? binary.pathString
        if let memo = try? fileSystem.readText(memoPath) {
            for line in memo.split(separator: "\n") {
                let parts = line.split(separator: "\t", maxSplits: 4).map(String.init)
                if parts.count == 5, parts[0..<4].joined(separator: "\t") == stamp { return parts[4] }
            }
        }
        let result = try await runner.checkedRun(ProcessSpec(binary.pathString, ["-hide_banner", "-version"]))
        let firstLine = result.outputText.split(separator: "\n").first.map(String.init) ?? "ffmpeg unknown"
        let version = firstLine.components(separatedBy: " Copyright").first ?? firstLine
        try? fileSystem.writeAtomically(Data("\(stamp)\t\(version)\n".utf8), to: memoPath, durable: false)
        return version
    }

    /// Finds an executable on `PATH`.
    public static func locate(_ name: String) throws -> AbsolutePath {
        guard let found = ExecutableSearch.find(name) else { throw ProcessError.executableNotFound(name) }
        return found
    }
}

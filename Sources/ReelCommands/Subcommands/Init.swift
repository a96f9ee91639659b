import ArgumentParser
import Foundation
import ReelBasics
import ReelEngine
import ReelManifest

extension ReelCommand {
    /// `reel init`: starts a campaign in a folder.
    struct Init: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "init", abstract: "Start a campaign: write a commented reel.yaml listing the folder's images, at quality draft.",
            discussion: """
                Writes <folder>/reel.yaml (never over an existing file) with the schema line editors use for completion, \
                the images found in the folder and its subfolders, and quality: draft, which renders for free with the \
                local animatic. Then: reel validate, reel plan, reel build.

                Examples:
                  reel init
                  reel init campaigns/spring
                  reel init campaigns/spring --id spring-launch
                """)

        @Argument(help: "The campaign's folder (created if missing).")
        var folder: String = "."

        @Option(help: "The campaign id (default: from the folder's name).")
        var id: String?

        func validate() throws {
            if let id, id.range(of: "^[a-z0-9][a-z0-9_-]{0,63}$", options: .regularExpression) == nil {
                throw ValidationError("--id takes lowercase letters, digits, '-' and '_' (at most 64, starting with a letter or digit), not '\(id)'")
            }
        }

        func run() async throws {
            let fileSystem = LocalFileSystem()
            let directory = AbsolutePath(folder, relativeTo: AbsolutePath.currentDirectory)
            let manifest = directory.appending("reel.yaml")
            let shown = manifest.relative(to: AbsolutePath.currentDirectory)
            if fileSystem.info(manifest) != nil {
                Console.err("error: \(shown) already exists; it was left as it is (edit it, or remove it to start again)")
                throw ExitCode.failure
            }
            if fileSystem.exists(directory), !fileSystem.isDirectory(directory) {
                Console.err("error: \(folder) is not a folder")
                throw ExitCode.failure
            }
            let images = ManifestTemplate.images(in: directory, fileSystem: fileSystem)
            let name = directory.basename.isEmpty || directory.pathString == "/" ? "campaign" : directory.basename
            let text = ManifestTemplate.text(campaignID: id ?? ManifestTemplate.campaignID(from: name), images: images)
            do {
                try fileSystem.createDirectory(directory)
                try Self.writeNew(text, to: manifest)
            } catch {
                Console.err("error: could not write \(shown): \(error)")
                throw ExitCode.failure
            }
            let found = images.isEmpty ? "no images yet: put some in \(directory.appending("assets").relative(to: AbsolutePath.currentDirectory))/" : "\(images.count) image\(images.count == 1 ? "" : "s")"
            Console.out("wrote \(shown) (\(found)); next: reel validate \(shown)")
        }
    
        /// Writes a file that must not exist yet (O_EXCL: never over one made meanwhile).
        static func writeNew(_ text: String, to path: AbsolutePath) throws {
            let fd = open(path.pathString, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw FileSystemError.posix(op: "create", path: path.pathString, errno: errno) }
            defer { close(fd) }
            let bytes = Array(text.utf8)
            var written = 0
            while written < bytes.count {
                let result = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                guard result > 0 else { throw FileSystemError.posix(op: "write", path: path.pathString, errno: errno) }
                written += result
            }
        }
    }
}

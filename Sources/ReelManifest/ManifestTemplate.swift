import Foundation
import ReelBasics

/// The starting manifest `reel init` writes: commented, with the schema line for editors, the
/// images found in the folder, and `quality: draft` (the free local animatic).
public enum ManifestTemplate {
    /// The schema's public address, for `# yaml-language-server: $schema=…`.
    public static let schemaURL = "https://raw.githubusercontent.com/reel-build/reel/main/schemas/reel-manifest.schema.json"

    /// Image files under `folder` (relative paths, sorted), skipping hidden folders and Reel's outputs.
    public static func images(in folder: AbsolutePath, fileSystem: any FileSystem, limit: Int = 10_000) -> [String] {
        var found: [String] = []
        var pending = [(folder, "")]
        while let (directory, prefix) = pending.popLast(), found.count < limit {
            for name in ((try? fileSystem.list(directory)) ?? []).sorted() where !name.hasPrefix(".") {
                let path = directory.appending(name)
                let relative = prefix.isEmpty ? name : prefix + "/" + name
                if fileSystem.isDirectory(path) {
                    if name.hasSuffix(".clips") || name.hasSuffix(".report") || name == "out" { continue }
                    pending.append((path, relative))
                } else if MediaKind(fileExtension: path.fileExtension) == .image {
                    found.append(relative)
                }
            }
        }
        return found.sorted()
    }

    /// A campaign id from a folder name: lowercase ASCII letters, digits, `-` and `_`.
    public static func campaignID(from name: String) -> String {
        let base = ManifestResolver.id(fromStem: name).lowercased()
        var id = String(base.unicodeScalars.map { scalar -> Character in
            let ok = (scalar.isASCII && CharacterSet.alphanumerics.contains(scalar)) || scalar == "-" || scalar == "_"
            return ok ? Character(scalar) : "-"
        })
        while id.hasPrefix("-") || id.hasPrefix("_") { id.removeFirst() }
        id = String(id.prefix(64))
        return id.isEmpty || id.hasPrefix("asset-") && !name.lowercased().hasPrefix("asset") ? "my-campaign" : id
    }

    /// The manifest text for a campaign `id` with `images` (paths relative to the manifest).
    public static func text(campaignID id: String, images: [String]) -> String {
        var assets: [String]
        if images.isEmpty {
            assets = [
                "  # No images were found here yet: put some in assets/ (JPEG, PNG, WebP…), then run `reel validate`.",
                "  - glob: assets/*.jpg",
            ]
        } else if images.count <= 12 {
            assets = images.map { "  - path: \(quoted($0))" }
        } else {
            // Many files: one glob per folder and extension.
            var globs: [String] = []
            for image in images {
                let folder = image.contains("/") ? String(image[..<(image.lastIndex(of: "/") ?? image.endIndex)]) + "/" : ""
                let ext = image.split(separator: ".").last.map(String.init) ?? "*"
                let glob = "\(folder)*.\(ext)"
                if !globs.contains(glob) { globs.append(glob) }
            }
            assets = globs.map { "  - glob: \(quoted($0))" }
        }
        let count = max(1, min(images.count - 1, 4))
        return """
            # yaml-language-server: $schema=\(schemaURL)
            # A Reel campaign. Check it with `reel validate`, see what a build would do with `reel plan`,
            # render it with `reel build`. Every key is described in the schema above (editors show it).
            version: 1

            campaign:
              id: \(id)  # lowercase letters, digits, - and _; names the output and the lockfile
              # name: My campaign
              # goal: What the video should make people feel or do
              # audience: Who it is for
              # product_url: https://example.com

            # brand:
            #   name: My brand
            #   voice: warm, curious
            #   colors: ["#0B1D3A", "#F2A900"]

            # The images to pair; each gets an id from its file name (`reel validate --list-assets` shows them).
            assets:
            \(assets.joined(separator: "\n"))

            select:
              count: \(count)  # how many clips (pairs of images); or list them: pairs: [{first: a, last: b}]

            output:
              path: out/\(id).mp4
              # transition: {type: fade, duration: 0.5}

            # draft: the free local animatic, no API key needed. economy, balanced, premium use paid models
            # (set budget caps first, e.g. budget: {max_usd: 5}).
            quality: draft

            """
    }

    static func quoted(_ text: String) -> String {
        let plain = text.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || "/._-".unicodeScalars.contains($0) }
            && !(text.first.map { "-.".contains($0) } ?? true)
        return plain ? text : "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}

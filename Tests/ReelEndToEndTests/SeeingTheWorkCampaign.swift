import Foundation
import ReelBasics
import ReelTestSupport
import Testing

/// A small, deterministic campaign in a temporary project for the "seeing the work" tests
/// (`reel graph`, `reel explain`, progress output): sample photos, explicit pairs (no selector, so
/// the graph never depends on scoring), 1 s clips at 320x180 and 12 fps, so a build takes seconds.
struct SeeingCampaign {
    let directory: AbsolutePath

    static let defaultPairs = [("rocket", "astronaut"), ("astronaut", "coffee")]

    /// Copies rocket, astronaut and coffee into `directory/assets` and writes the manifest. The
    /// `.reel` folder pins the project root to `directory`; the environment pins the cache and the
    /// ledger inside it, whatever the test runner's environment says.
    init(directory: AbsolutePath, pairs: [(String, String)] = SeeingCampaign.defaultPairs, transition: String = "fade") throws {
        self.directory = directory
        try FileManager.default.createDirectory(atPath: directory.appending(".reel").pathString, withIntermediateDirectories: true)
        try Fixtures.copyPhotos(["rocket.jpg", "astronaut.jpg", "coffee.jpg"], to: directory.appending("assets"))
        try writeManifest(pairs: pairs, transition: transition)
    }

    /// Writes `reel.yaml` with explicit pairs.
    func writeManifest(pairs: [(String, String)] = SeeingCampaign.defaultPairs, transition: String = "fade") throws {
        let list = pairs.map { "[\($0.0), \($0.1)]" }.joined(separator: ", ")
        try writeManifest(selection: "pairs: [\(list)]", transition: transition)
    }

    /// Writes `reel.yaml` with `selection` as the body of its `select` mapping.
    func writeManifest(selection: String, transition: String = "fade") throws {
        try writeFile("""
            version: 1
            campaign: {id: seeing}
            assets:
              - glob: assets/*.jpg
            select: {\(selection)}
            generate: {duration: 1}
            output:
              path: out/seeing.mp4
              resolution: 320x180
              fps: 12
              transition: {type: \(transition), duration: 0.25}
            quality: draft
            """, to: directory.appending("reel.yaml"))
    }

    /// Puts another sample photo's bytes at `assets/<asset>.jpg` (a new digest, same id and path).
    func replace(_ asset: String, withPhoto photo: String) throws {
        let destination = directory.appending("assets/\(asset).jpg").pathString
        try FileManager.default.removeItem(atPath: destination)
        try FileManager.default.copyItem(atPath: Fixtures.photos.appending(photo).pathString, toPath: destination)
    }

    /// Adds `assets/<asset>.jpg` (a real photo, so it passes the plan-time image check) and an
    /// `ffmpeg` first on the `PATH` that fails, as ffmpeg does on bad input, whenever it is given
    /// that file: the local animatic of any pair with it fails mid-build.
    func addImageTheAnimaticFailsOn(_ asset: String) throws {
        try Fixtures.copyPhotos(["hubble_deep_field.jpg"], to: directory.appending(".scratch"))
        try FileManager.default.moveItem(
            atPath: directory.appending(".scratch/hubble_deep_field.jpg").pathString, toPath: directory.appending("assets/\(asset).jpg").pathString)
        guard let real = ExecutableSearch.find("ffmpeg") else { throw InternalError("ffmpeg is not on the PATH") }
        let wrapper = directory.appending(".bin/ffmpeg")
        let script = [
            "#!/bin/sh",
            "for argument in \"$@\"; do",
            "  case \"$argument\" in",
            "    */\(asset).jpg) echo \"[mjpeg @ 0x0] \(asset).jpg: Invalid data found when processing input\" >&2; exit 1 ;;",
            "  esac",
            "done",
            "exec '\(real.pathString)' \"$@\"",
        ]
        try writeFile(script.joined(separator: "\n") + "\n", to: wrapper)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: wrapper.pathString)
    }

    /// The digest of an asset's bytes, as keys and `reel explain` show it.
    func digest(of asset: String) throws -> Digest {
        Digest.of(try Data(contentsOf: URL(fileURLWithPath: directory.appending("assets/\(asset).jpg").pathString)))
    }

    var environment: [String: String] {
        var variables = [
            "REEL_CACHE_DIR": directory.appending(".reel/cache").pathString,
            "REEL_LEDGER": directory.appending(".reel/ledger.sqlite").pathString,
            // `.bin` holds an ffmpeg wrapper when a test adds one (`addImageTheAnimaticFailsOn`).
            "PATH": directory.appending(".bin").pathString + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"),
        ]
        let tools = directory.appending(".tools")
        if FileManager.default.fileExists(atPath: tools.appending("ffmpeg").pathString) {
            variables["PATH"] = tools.pathString + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        }
        return variables
    }

    /// Runs `reel` in the project (`NO_COLOR=1`; standard error is a file, so no live view).
    func reel(_ arguments: [String], environment extra: [String: String] = [:]) async throws -> ReelBinary.Result {
        try await ReelBinary.run(arguments, in: directory, environment: environment.merging(extra) { $1 }, timeout: 300)
    }

    /// `reel build reel.yaml` with `extra` arguments.
    func build(_ extra: [String] = [], environment: [String: String] = [:]) async throws -> ReelBinary.Result {
        try await reel(["build", "reel.yaml"] + extra, environment: environment)
    }

    /// Builds and requires success.
    @discardableResult
    func buildSucceeds(_ extra: [String] = [], sourceLocation: Testing.SourceLocation = #_sourceLocation) async throws -> ReelBinary.Result {
        let result = try await build(extra)
        try #require(result.exitCode == 0, "reel build failed: \(result.stderr)", sourceLocation: sourceLocation)
        return result
    }
}

/// Text helpers for command output.
enum OutputLines {
    /// The non-empty lines of `text`.
    static func of(_ text: String) -> [String] {
        text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    }

    /// The index of the first line matching `regex`.
    static func index<Output>(in lines: [String], of regex: Regex<Output>) -> Int? {
        lines.firstIndex { $0.wholeMatch(of: regex) != nil }
    }

    /// A JSON number, whichever type JSONSerialization chose for it.
    static func number(_ value: Any?) -> Double? {
        switch value {
        case let value as Double: return value
        case let value as Int: return Double(value)
        case let value as NSNumber: return value.doubleValue
        default: return nil
        }
    }

    /// Parses one line as a JSON object.
    static func object(_ line: String) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
    }
}

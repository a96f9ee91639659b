import ReelBasics

/// Reads, parses and resolves a manifest file in one step.
public struct ManifestLoader: Sendable {
    public let fileSystem: any FileSystem
    public let resolver: ManifestResolver

    public init(fileSystem: any FileSystem, registry: ModelRegistry = .builtIn, environment: [String: String] = [:]) {
        self.fileSystem = fileSystem
        self.resolver = ManifestResolver(fileSystem: fileSystem, registry: registry, environment: environment)
    }

    /// Loads the manifest at `path`; diagnostics name it `displayPath` (as the user typed it).
    public func load(_ path: AbsolutePath, displayPath: String) -> (campaign: ResolvedCampaign?, diagnostics: [Diagnostic]) {
        let bytes: [UInt8]
        do {
            if fileSystem.isDirectory(path) {
                return (nil, [.error("'\(displayPath)' is a directory; name the manifest file (e.g. \(displayPath)/reel.yaml)")])
            }
            bytes = Array(try fileSystem.read(path))
        } catch {
            return (nil, [.error("cannot read manifest '\(displayPath)': \(error)")])
        }
        let outcome = ManifestParser.parse(bytes: bytes, file: displayPath)
        guard let manifest = outcome.manifest else { return (nil, outcome.diagnostics) }
        let resolved = resolver.resolve(manifest, at: path)
        return (resolved.campaign, outcome.diagnostics + resolved.diagnostics)
    }
}

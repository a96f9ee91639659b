import Foundation
import ReelBasics
import ReelManifest

/// Builds resolved campaigns from inline YAML over an in-memory project, for graph and engine tests.
public enum CampaignFixtures {
    /// A resolved campaign from `yaml`, with image files `names` in `/project/assets`.
    public static func resolve(
        _ yaml: String, images names: [String] = ["a.jpg", "b.jpg", "c.jpg"], fileSystem: InMemoryFileSystem = InMemoryFileSystem()
    ) throws -> ResolvedCampaign {
        fileSystem.addFile("/project/.git/HEAD", "ref: main")
        for name in names { fileSystem.addFile("/project/assets/\(name)", "pixels of \(name)") }
        let outcome = ManifestParser.parse(text: yaml, file: "reel.yaml")
        guard let manifest = outcome.manifest else {
            throw InternalError("fixture manifest does not parse: \(outcome.diagnostics)")
        }
        guard let path = AbsolutePath("/project/reel.yaml") else { throw InternalError("bad path") }
        let (campaign, diagnostics) = ManifestResolver(fileSystem: fileSystem).resolve(manifest, at: path)
        guard let campaign else { throw InternalError("fixture manifest does not resolve: \(diagnostics)") }
        return campaign
    }

    /// Digests for each asset of `campaign` (the digest of its id, unless overridden).
    public static func digests(_ campaign: ResolvedCampaign, overriding: [String: String] = [:]) -> [String: Digest] {
        Dictionary(uniqueKeysWithValues: campaign.assets.map { ($0.id, Digest.of(string: overriding[$0.id] ?? $0.id)) })
    }

    /// A small local campaign with explicit pairs a→b, b→c.
    public static let explicitPairs = """
        version: 1
        campaign: {id: fixture}
        assets:
          - glob: assets/*.jpg
        select:
          pairs: [[a, b], [b, c]]
        """

    /// A small local campaign where the local selector picks two pairs.
    public static let selected = """
        version: 1
        campaign: {id: fixture}
        assets:
          - glob: assets/*.jpg
        select: {count: 2}
        """
}

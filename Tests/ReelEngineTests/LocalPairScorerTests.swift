import ReelEngine
import ReelGraph
import ReelMedia
import Testing

@Suite struct LocalPairScorerTests {
    /// A flat-colour image's features.
    static func flat(_ r: UInt8, _ g: UInt8, _ b: UInt8, width: Int = 640, height: Int = 360) -> ImageFeatures {
        ImageFeatures(rgb: [UInt8]((0..<(8 * 8)).flatMap { _ in [r, g, b] }), size: 8, width: width, height: height)
    }

    @Test func chainsSimilarImagesTogether() {
        let scorer = LocalPairScorer(images: [
            .init(id: "red", features: Self.flat(250, 10, 10)),
            .init(id: "blue", features: Self.flat(10, 10, 250)),
            .init(id: "pink", features: Self.flat(250, 60, 60)),
            .init(id: "navy", features: Self.flat(10, 10, 150)),
        ], brandColors: [])
        let pairs = scorer.select(count: nil)
        #expect(pairs.count == 3)
        // Consecutive pairs share an image: a chain.
        for (a, b) in zip(pairs, pairs.dropFirst()) { #expect(a.last == b.first) }
        // The reds and the blues stay next to each other.
        let order = [pairs[0].first] + pairs.map(\.last)
        let redIndex = order.firstIndex(of: "red") ?? 0
        let pinkIndex = order.firstIndex(of: "pink") ?? 0
        #expect(abs(redIndex - pinkIndex) == 1)
    }

    @Test func honoursCountAndNeverRepeatsAPair() {
        let images = (0..<3).map { LocalPairScorer.Image(id: "i\($0)", features: Self.flat(UInt8($0 * 80), 50, 50)) }
        let scorer = LocalPairScorer(images: images, brandColors: [])
        for count in 1...6 {
            let pairs = scorer.select(count: count)
            #expect(pairs.count == count)
            #expect(Set(pairs.map { "\($0.first)>\($0.last)" }).count == count)
            #expect(pairs.allSatisfy { $0.first != $0.last && !$0.reasoning.isEmpty && (0...1).contains($0.score) })
        }
    }

    /// More pairs than one chain holds: the sequence never goes straight back (`a → b`, `b → a`)
    /// while another pair is possible (issue 10, item 9: `hubble → rocket` then `rocket → hubble`).
    @Test(arguments: [3, 4, 5])
    func noImmediateReversalsBeyondTheChain(imageCount: Int) {
        let images = (0..<imageCount).map { LocalPairScorer.Image(id: "i\($0)", features: Self.flat(UInt8($0 * 50), UInt8(200 - $0 * 30), 50)) }
        let scorer = LocalPairScorer(images: images, brandColors: [])
        // Up to one short of every ordered pair (with all of them, the last may have to go back).
        for count in imageCount..<(imageCount * (imageCount - 1)) {
            let pairs = scorer.select(count: count)
            #expect(pairs.count == count)
            #expect(Set(pairs.map { "\($0.first)>\($0.last)" }).count == count)
            for (a, b) in zip(pairs, pairs.dropFirst()) {
                #expect(!(a.first == b.last && a.last == b.first), "count \(count): \(pairs.map { "\($0.first)>\($0.last)" })")
            }
        }
    }

    @Test func heroTagOpensTheSequenceAndResultIsDeterministic() {
        let images = [
            LocalPairScorer.Image(id: "a", features: Self.flat(10, 200, 10)),
            LocalPairScorer.Image(id: "b", features: Self.flat(200, 10, 10), tags: ["hero"]),
            LocalPairScorer.Image(id: "c", features: Self.flat(10, 10, 200)),
        ]
        let first = LocalPairScorer(images: images, brandColors: ["#00ff00"]).select(count: 2)
        #expect(first.first?.first == "b")
        #expect(first == LocalPairScorer(images: images, brandColors: ["#00ff00"]).select(count: 2))
    }
}

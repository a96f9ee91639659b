import Foundation
import ReelGraph
import ReelMedia

/// The offline selector's judgement: scores every ordered pair of images for how smooth a
/// transition between them will look, and chains the best pairs into a sequence (each clip starts
/// on the image the previous one ended on). Deterministic: ties break by manifest order.
public struct LocalPairScorer: Sendable {
    /// One candidate: id, features, tags.
    public struct Image: Sendable, Equatable {
        public var id: String
        public var features: ImageFeatures
        public var tags: [String]

        public init(id: String, features: ImageFeatures, tags: [String] = []) {
            self.id = id
            self.features = features
            self.tags = tags
        }
    }

    public let images: [Image]
    /// Brand colours as RGB.
    public let brandColors: [(Double, Double, Double)]
    let matrix: [[Double]]

    public init(images: [Image], brandColors: [String]) {
        self.images = images
        self.brandColors = brandColors.compactMap(LocalPairScorer.rgb)
        matrix = images.map { a in images.map { b in a.id == b.id ? -1 : LocalPairScorer.similarity(a.features, b.features) } }
    }

    /// Chooses `count` pairs (default: a chain through every image).
    public func select(count: Int?) -> [SelectedPair] {
        let n = images.count
        guard n >= 2 else { return [] }
        let wanted = count ?? (n - 1)
        var best: (chain: [Int], total: Double)?
        let starts = heroIndex().map { [$0] } ?? Array(0..<n)
        for start in starts {
            let chain = chainFrom(start, pairs: min(wanted, n - 1))
            let total = zip(chain, chain.dropFirst()).reduce(0) { $0 + matrix[$1.0][$1.1] } + 0.25 * brandAffinity(start)
            if best == nil || total > (best?.total ?? 0) + 1e-12 { best = (chain, total) }
        }
        var pairs: [(Int, Int)] = []
        if let chain = best?.chain { pairs = Array(zip(chain, chain.dropFirst())) }
        extend(&pairs, to: wanted)
        return pairs.enumerated().map { position, pair in describe(pair.0, pair.1, position: position) }
    }

    /// Whether any unused pair other than `avoiding` is left.
    func hasUnusedPair(avoiding: (Int, Int)?, used: Set<Int>) -> Bool {
        for a in images.indices {
            for b in images.indices where a != b && !used.contains(a * images.count + b) {
                if let avoiding, (a, b) == avoiding { continue }
                return true
            }
        }
        return false
    }

    /// An image tagged `hero` starts the sequence.
    func heroIndex() -> Int? {
        images.firstIndex { $0.tags.contains("hero") }
    }

    /// Greedy nearest-neighbour chain of `pairs` steps from `start`, never revisiting an image.
    func chainFrom(_ start: Int, pairs: Int) -> [Int] {
        var chain = [start]
        var visited: Set<Int> = [start]
        while chain.count <= pairs, let current = chain.last {
            var next: Int?
            for candidate in images.indices where !visited.contains(candidate) {
                if next == nil || matrix[current][candidate] > matrix[current][next ?? 0] + 1e-12 { next = candidate }
            }
            guard let chosen = next else { break }
            chain.append(chosen)
            visited.insert(chosen)
        }
        return chain
    }

    /// More pairs than images allow in one chain: keep going from the last image to the best
    /// unused pair, then start new runs from the best unused pairs. Never straight back to the image
    /// just left (`a → b` then `b → a` looks like a rewind) while another image is possible.
    func extend(_ pairs: inout [(Int, Int)], to wanted: Int) {
        var used = Set(pairs.map { $0.0 * images.count + $0.1 })
        while pairs.count < wanted {
            let current = pairs.last?.1 ?? 0
            let previous = pairs.last?.0
            var next: Int?
            for avoidReversal in [true, false] where next == nil {
                for candidate in images.indices where candidate != current && !used.contains(current * images.count + candidate) {
                    if avoidReversal, candidate == previous { continue }
                    if next == nil || matrix[current][candidate] > matrix[current][next ?? 0] + 1e-12 { next = candidate }
                }
                // Going back is still better than starting a new run when no other pair is unused.
                if next == nil, avoidReversal, hasUnusedPair(avoiding: previous.map { (current, $0) }, used: used) { break }
            }
            if let next {
                pairs.append((current, next))
                used.insert(current * images.count + next)
                continue
            }
            var bestPair: (Int, Int)?
            let reversal = pairs.last.map { ($0.1, $0.0) }
            for a in images.indices {
                for b in images.indices where a != b && !used.contains(a * images.count + b) {
                    if let reversal, (a, b) == reversal, hasUnusedPair(avoiding: reversal, used: used) { continue }
                    if bestPair == nil || matrix[a][b] > matrix[bestPair?.0 ?? 0][bestPair?.1 ?? 0] + 1e-12 { bestPair = (a, b) }
                }
            }
            guard let fresh = bestPair else { return }
            pairs.append(fresh)
            used.insert(fresh.0 * images.count + fresh.1)
        }
    }

    /// How well two images flow into each other, 0…1.
    public static func similarity(_ a: ImageFeatures, _ b: ImageFeatures) -> Double {
        let histogram = zip(a.histogram, b.histogram).reduce(0) { $0 + min($1.0, $1.1) }
        let structure = 1 - Double(hamming(a.dHash, b.dHash)) / 64
        let brightness = 1 - abs(a.brightness - b.brightness)
        let saturation = 1 - abs(a.saturation - b.saturation)
        let aspect = 1 - min(1, abs(log(aspectRatio(a) / aspectRatio(b))))
        return 0.45 * histogram + 0.2 * structure + 0.2 * brightness + 0.05 * saturation + 0.1 * aspect
    }

    static func aspectRatio(_ features: ImageFeatures) -> Double {
        features.height > 0 && features.width > 0 ? Double(features.width) / Double(features.height) : 1
    }

    static func hamming(_ a: String, _ b: String) -> Int {
        guard let x = UInt64(a, radix: 16), let y = UInt64(b, radix: 16) else { return 32 }
        return (x ^ y).nonzeroBitCount
    }

    /// How close an image's mean colour is to the nearest brand colour, 0…1 (0 without brand colours).
    func brandAffinity(_ index: Int) -> Double {
        guard let mean = LocalPairScorer.rgb(images[index].features.meanColor), !brandColors.isEmpty else { return 0 }
        let nearest = brandColors.map { LocalPairScorer.distance(mean, $0) }.min() ?? 441.7
        return 1 - nearest / 441.7
    }

    func describe(_ a: Int, _ b: Int, position: Int) -> SelectedPair {
        let fa = images[a].features, fb = images[b].features
        let histogram = zip(fa.histogram, fb.histogram).reduce(0) { $0 + min($1.0, $1.1) }
        let distance = LocalPairScorer.hamming(fa.dHash, fb.dHash)
        var reasons = [
            "colours \(Int((histogram * 100).rounded()))% alike",
            "structure distance \(distance)/64",
            String(format: "brightness %.2f -> %.2f", fa.brightness, fb.brightness),
        ]
        if position == 0 {
            if heroIndex() == a {
                reasons.append("opens on the hero image")
            } else if !brandColors.isEmpty {
                reasons.append(String(format: "opens on the image closest to the brand colours (%.0f%%)", brandAffinity(a) * 100))
            }
        }
        let score = (matrix[a][b] * 10_000).rounded() / 10_000
        return SelectedPair(first: images[a].id, last: images[b].id, score: score, reasoning: reasons.joined(separator: "; "))
    }

    static func rgb(_ hex: String) -> (Double, Double, Double)? {
        let digits = hex.hasPrefix("#") ? String(hex.dropFirst()) : hex
        guard digits.count == 6, let value = UInt32(digits, radix: 16) else { return nil }
        return (Double((value >> 16) & 0xff), Double((value >> 8) & 0xff), Double(value & 0xff))
    }

    static func distance(_ a: (Double, Double, Double), _ b: (Double, Double, Double)) -> Double {
        ((a.0 - b.0) * (a.0 - b.0) + (a.1 - b.1) * (a.1 - b.1) + (a.2 - b.2) * (a.2 - b.2)).squareRoot()
    }
}

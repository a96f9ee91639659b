import Foundation
import ReelBasics

/// Visual features of one image, computed from a small thumbnail: enough to judge whether a
/// transition between two images will look smooth.
public struct ImageFeatures: Sendable, Equatable, Codable {
    /// Format version of this blob.
    public var version: Int
    /// Original size.
    public var width: Int
    public var height: Int
    /// 4×4×4 RGB histogram, normalised to sum to 1 (64 bins).
    public var histogram: [Double]
    /// Difference hash (64 bits) of the 9×8 greyscale image, as 16 hex digits.
    public var dHash: String
    /// Mean luma, 0…1.
    public var brightness: Double
    /// Mean saturation, 0…1.
    public var saturation: Double
    /// Mean colour as `#rrggbb`.
    public var meanColor: String

    /// Computes features from packed RGB24 pixels of a `size`×`size` thumbnail.
    public init(rgb: [UInt8], size: Int, width: Int, height: Int) {
        self.version = 1
        self.width = width
        self.height = height
        let pixels = size * size
        var histogram = [Double](repeating: 0, count: 64)
        var luma = [Double](repeating: 0, count: pixels)
        var brightness = 0.0
        var saturation = 0.0
        var sums = (0.0, 0.0, 0.0)
        for index in 0..<pixels {
            let r = Double(rgb[index * 3]), g = Double(rgb[index * 3 + 1]), b = Double(rgb[index * 3 + 2])
            let bin = (Int(rgb[index * 3]) >> 6) * 16 + (Int(rgb[index * 3 + 1]) >> 6) * 4 + (Int(rgb[index * 3 + 2]) >> 6)
            histogram[bin] += 1
            let y = (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255
            luma[index] = y
            brightness += y
            let high = max(r, g, b), low = min(r, g, b)
            saturation += high == 0 ? 0 : (high - low) / high
            sums.0 += r
            sums.1 += g
            sums.2 += b
        }
        let count = Double(max(pixels, 1))
        self.histogram = histogram.map { ImageFeatures.round6($0 / count) }
        self.brightness = ImageFeatures.round6(brightness / count)
        self.saturation = ImageFeatures.round6(saturation / count)
        self.meanColor = String(format: "#%02x%02x%02x", Int(sums.0 / count), Int(sums.1 / count), Int(sums.2 / count))
        self.dHash = ImageFeatures.differenceHash(luma: luma, size: size)
    }

    /// Rounds so the JSON text is stable across platforms.
    static func round6(_ value: Double) -> Double {
        (value * 1_000_000).rounded() / 1_000_000
    }

    /// A 64-bit difference hash: resample to 9×8 by box averaging, compare horizontal neighbours.
    static func differenceHash(luma: [Double], size: Int) -> String {
        var grid = [[Double]](repeating: [Double](repeating: 0, count: 9), count: 8)
        for row in 0..<8 {
            for column in 0..<9 {
                let y0 = row * size / 8, y1 = max(y0 + 1, (row + 1) * size / 8)
                let x0 = column * size / 9, x1 = max(x0 + 1, (column + 1) * size / 9)
                var total = 0.0
                var n = 0.0
                for y in y0..<min(y1, size) {
                    for x in x0..<min(x1, size) {
                        total += luma[y * size + x]
                        n += 1
                    }
                }
                grid[row][column] = n > 0 ? total / n : 0
            }
        }
        var bits: UInt64 = 0
        for row in 0..<8 {
            for column in 0..<8 {
                bits <<= 1
                if grid[row][column] > grid[row][column + 1] { bits |= 1 }
            }
        }
        return String(format: "%016llx", bits)
    }

    /// Canonical JSON bytes for the content store.
    public func canonicalData() -> Data {
        let value = CanonicalValue.object([
            "version": .int(version), "width": .int(width), "height": .int(height),
            "histogram": .array(histogram.map(CanonicalValue.decimal)), "dhash": .string(dHash),
            "brightness": .decimal(brightness), "saturation": .decimal(saturation), "mean_color": .string(meanColor),
        ])
        return Data(value.canonicalText.utf8)
    }

    /// Reads a blob written by `canonicalData()`.
    public init(data: Data) throws {
        let raw = try JSONDecoder().decode(Raw.self, from: data)
        self.version = raw.version
        self.width = raw.width
        self.height = raw.height
        self.histogram = raw.histogram
        self.dHash = raw.dhash
        self.brightness = raw.brightness
        self.saturation = raw.saturation
        self.meanColor = raw.mean_color
    }

    private struct Raw: Decodable {
        var version: Int
        var width: Int
        var height: Int
        var histogram: [Double]
        var dhash: String
        var brightness: Double
        var saturation: Double
        var mean_color: String
    }
}

/// Computes `ImageFeatures` with ffmpeg: decode, scale to a small square, read raw RGB.
public struct FeatureExtractor: Sendable {
    public let runner: any ProcessRunner

    public init(runner: any ProcessRunner) {
        self.runner = runner
    }

    /// The features of the image at `path`.
    /// - Throws: `MediaError.undecodableImage` when ffmpeg cannot decode it.
    public func features(of path: AbsolutePath, size: Int) async throws -> ImageFeatures {
        let pixels = try await runner.run(ProcessSpec("ffmpeg", [
            "-nostdin", "-v", "error", "-i", path.pathString, "-frames:v", "1",
            "-vf", "scale=\(size):\(size):flags=area,format=rgb24", "-f", "rawvideo", "-",
        ]))
        guard pixels.exitCode == 0, pixels.standardOutput.count == size * size * 3 else {
            let detail = ProcessError.tail(of: pixels.errorText, lines: 3)
            throw MediaError.undecodableImage(path: path.pathString, detail: detail.isEmpty ? "no pixels decoded" : detail)
        }
        let dimensions = try await runner.run(ProcessSpec("ffprobe", [
            "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height", "-of", "csv=p=0:s=x", path.pathString,
        ]))
        let parts = dimensions.outputText.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "x")
        let width = parts.count == 2 ? Int(parts[0]) ?? 0 : 0
        let height = parts.count == 2 ? Int(parts[1]) ?? 0 : 0
        return ImageFeatures(rgb: Array(pixels.standardOutput), size: size, width: width, height: height)
    }
}

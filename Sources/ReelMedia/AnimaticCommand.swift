import Foundation
import ReelBasics

/// The ffmpeg command for one animatic clip: a Ken Burns push on the first image, a cross-fade, and
/// a settle onto the second image, which fills the last frame exactly (so the next clip, starting
/// on that image, joins seamlessly). Deterministic: the same parameters give the same bytes with
/// the same ffmpeg (bit-exact flags, fixed encoder threads).
public struct AnimaticCommand: Sendable, Equatable {
    public var first: AbsolutePath
    public var last: AbsolutePath
    public var output: AbsolutePath
    public var width: Int
    public var height: Int
    public var fps: Int
    public var duration: Double
    /// `cover` or `contain`.
    public var fit: String
    /// Picks the motion variant.
    public var seed: Int
    public var crf: Int
    public var encoderPreset: String

    /// Supersampling before zoompan, which crops in whole pixels of its input: at 1.5× the crop's
    /// frame-to-frame wobble is 0.43 px RMS of output (no supersampling: 0.68 px, 1.25×: 0.56 px,
    /// 2×: 0.36 px), for about 0.5 s more CPU per 8 s 720p clip than none (docs/benchmarks.md).
    public static let supersample = 1.5
    /// How far the first image zooms in.
    public static let zoom = 1.12
    /// Encoder threads are fixed so output bytes do not depend on the machine's core count.
    public static let encoderThreads = 4
    /// The pixel format zoompan works in, set on the still before it. 4:4:4, because zoompan aligns
    /// its crop to the chroma grid (4:2:0 would move in steps of two pixels); limited range, because
    /// left to itself ffmpeg picks full-range `yuvj444p` for a JPEG and then converts the range on
    /// every frame on the way to the encoder's yuv420p (about 0.2 s of CPU per 8 s 720p clip, 6% of the
    /// whole command). Converted once here, on one still, instead.
    public static let stillFormat = "yuv444p"

    public init(
        first: AbsolutePath, last: AbsolutePath, output: AbsolutePath, width: Int, height: Int, fps: Int, duration: Double,
        fit: String, seed: Int, crf: Int, encoderPreset: String
    ) {
        self.first = first
        self.last = last
        self.output = output
        self.width = width
        self.height = height
        self.fps = fps
        self.duration = duration
        self.fit = fit
        self.seed = seed
        self.crf = crf
        self.encoderPreset = encoderPreset
    }

    /// Total frames.
    public var frames: Int { max(2, Int((duration * Double(fps)).rounded())) }
    /// Frames of the cross-fade inside the clip: a third of the clip, at most one second.
    public var transitionFrames: Int { max(1, min(fps, frames / 3)) }
    /// Frames showing the first image (including the fade).
    public var firstFrames: Int { (frames + transitionFrames) / 2 }
    /// Frames showing the second image (including the fade).
    public var lastFrames: Int { frames + transitionFrames - firstFrames }

    /// The arguments after `ffmpeg`.
    public var arguments: [String] {
        let fade = Double(transitionFrames) / Double(fps)
        let offset = Double(firstFrames - transitionFrames) / Double(fps)
        let graph = [
            "[0:v]\(prepare())," + motion(frames: firstFrames, variant: seed & 3, settle: false) + "[a]",
            "[1:v]\(prepare())," + motion(frames: lastFrames, variant: 0, settle: true) + "[b]",
            "[a][b]xfade=transition=fade:duration=\(Self.decimal(fade)):offset=\(Self.decimal(offset)),"
                + "trim=end_frame=\(frames),format=yuv420p,setsar=1[v]",
        ].joined(separator: ";")
        return [
            "-nostdin", "-y", "-v", "error", "-i", first.pathString, "-i", last.pathString, "-filter_complex", graph,
            "-map", "[v]", "-an", "-c:v", "libx264", "-preset", encoderPreset, "-crf", String(crf), "-threads", String(Self.encoderThreads),
            "-pix_fmt", "yuv420p", "-r", String(fps), "-fflags", "+bitexact", "-flags:v", "+bitexact", "-map_metadata", "-1",
            "-movflags", "+faststart", output.pathString,
        ]
    }

    /// Scale the still to the supersampled frame, cropping (cover) or padding (contain), and convert
    /// it once to `stillFormat`.
    func prepare() -> String {
        let sw = Self.even(Double(width) * Self.supersample)
        let sh = Self.even(Double(height) * Self.supersample)
        if fit == "contain" {
            return "scale=\(sw):\(sh):force_original_aspect_ratio=decrease,pad=\(sw):\(sh):(ow-iw)/2:(oh-ih)/2:color=black,setsar=1,format=\(Self.stillFormat)"
        }
        // Crop biased towards the upper third, where faces and horizons usually are.
        return "scale=\(sw):\(sh):force_original_aspect_ratio=increase,crop=\(sw):\(sh):(iw-ow)/2:(ih-oh)/3,setsar=1,format=\(Self.stillFormat)"
    }

    /// zoompan over `frames` frames. The first image pushes in with a drift chosen by `variant`;
    /// the second settles from the zoomed framing to exactly the full, centred frame.
    func motion(frames: Int, variant: Int, settle: Bool) -> String {
        let span = Double(max(frames - 1, 1))
        let zoom = Self.decimal(Self.zoom)
        let progress = "(on/\(Self.decimal(span)))"
        let z = settle ? "\(zoom)-(\(zoom)-1)*\(progress)" : "1+(\(zoom)-1)*\(progress)"
        let centreX = "(iw-iw/zoom)/2"
        let centreY = "(ih-ih/zoom)/2"
        let (x, y): (String, String)
        switch variant {
        case 1: (x, y) = ("(iw-iw/zoom)*\(progress)", centreY)              // drift right
        case 2: (x, y) = ("(iw-iw/zoom)*(1-\(progress))", centreY)          // drift left
        case 3: (x, y) = (centreX, "(ih-ih/zoom)*\(progress)*0.6")          // drift down
        default: (x, y) = (centreX, centreY)                                // straight push
        }
        return "zoompan=z='\(z)':x='\(x)':y='\(y)':d=\(frames):s=\(width)x\(height):fps=\(fps)"
    }

    static func even(_ value: Double) -> Int {
        Int((value / 2).rounded()) * 2
    }

    static func decimal(_ value: Double) -> String {
        String(format: "%.6f", value)
    }
}

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

    /// Supersampling before zoompan, which moves in whole pixels of its input: 1.5× keeps the
    /// motion smooth at about 3.7× realtime for 720p on two cores (2× costs a quarter more).
    public static let supersample = 1.5
    /// How far the first image zooms in.
    public static let zoom = 1.12
    /// Encoder threads are fixed so output bytes do not depend on the machine's core count.
    public static let encoderThreads = 4

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

    /// Scale the still to the supersampled frame, cropping (cover) or padding (contain).
    func prepare() -> String {
        let sw = Self.even(Double(width) * Self.supersample)
        let sh = Self.even(Double(height) * Self.supersample)
        if fit == "contain" {
            return "scale=\(sw):\(sh):force_original_aspect_ratio=decrease,pad=\(sw):\(sh):(ow-iw)/2:(oh-ih)/2:color=black,setsar=1"
        }
        // Crop biased towards the upper third, where faces and horizons usually are.
        return "scale=\(sw):\(sh):force_original_aspect_ratio=increase,crop=\(sw):\(sh):(iw-ow)/2:(ih-oh)/3,setsar=1"
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

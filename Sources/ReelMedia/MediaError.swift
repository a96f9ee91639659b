import ReelBasics

/// Failures of media work, each saying what to do.
public enum MediaError: Error, Sendable, Equatable, CustomStringConvertible {
    /// ffprobe could not read the file as media.
    case unreadable(path: String, detail: String)
    /// The file has no video stream.
    case noVideo(path: String)
    /// An image could not be decoded for features.
    case undecodableImage(path: String, detail: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let detail):
            return "'\(path)' is not readable media (ffprobe: \(detail)); is the file complete?"
        case .noVideo(let path):
            return "'\(path)' has no video stream"
        case .undecodableImage(let path, let detail):
            return "cannot decode image '\(path)': \(detail)"
        }
    }
}

import Foundation
import ReelBasics

/// Text for the HTML storyboard: escaping (reasoning and prompts come from an LLM, so every piece
/// of text is escaped) and the small formats the page uses.
enum HTMLText {
    /// `text` safe in element content and in quoted attribute values.
    static func escape(_ text: String) -> String {
        // Most text (ids, paths, labels) has nothing to escape: returned as it is (a 10,000-card
        // page escapes tens of thousands of strings).
        if !text.utf8.contains(where: { $0 == UInt8(ascii: "&") || $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: ">") || $0 == UInt8(ascii: "\"")
            || $0 == UInt8(ascii: "'") || $0 == 0 })
        {
            return text
        }
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            case "\u{0}": result += "\u{FFFD}"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// A relative path (`clips/01.mp4`) as an escaped URL for `src`/`href`: each component
    /// percent-encoded, so names can never leave the report folder or inject markup.
    static func url(_ relativePath: String) -> String {
        // A path of unreserved characters in plain components comes out as it went in.
        isPlainPath(relativePath) ? relativePath : encodedURL(relativePath)
    }

    /// `url` without its shortcut: every component percent-encoded, then escaped.
    static func encodedURL(_ relativePath: String) -> String {
        let parts = relativePath.split(separator: "/", omittingEmptySubsequences: true).map { part -> String in
            let text = String(part)
            if text == "." || text == ".." { return "_" }
            return text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? "_"
        }
        return escape(parts.joined(separator: "/"))
    }

    /// ASCII letters, digits and `-._~`: what a URL component keeps as it is.
    static let unreserved: CharacterSet = {
        var allowed = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)..<Unicode.Scalar(128)))
        allowed.insert(charactersIn: "-._~")
        return allowed
    }()

    /// Whether `url` would return `path` unchanged: only unreserved bytes, and components that are
    /// neither empty nor `.` or `..`.
    static func isPlainPath(_ path: String) -> Bool {
        var length = 0
        var dots = 0
        func plainComponent() -> Bool { length > 0 && !(length == dots && length <= 2) }
        for byte in path.utf8 {
            if byte == UInt8(ascii: "/") {
                guard plainComponent() else { return false }
                length = 0
                dots = 0
                continue
            }
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "~"):
                length += 1
            case UInt8(ascii: "."):
                length += 1
                dots += 1
            default:
                return false
            }
        }
        return plainComponent()
    }

    /// US dollars: `$0.00`, `$1.25`, `$0.0042` for fractions of a cent.
    static func dollars(_ amount: Double) -> String {
        if amount > 0 && amount < 0.01 { return String(format: "$%.4f", amount) }
        return String(format: "$%.2f", amount)
    }

    /// Seconds for people: `0.4 s`, `12.3 s`, `2 min 05 s`.
    static func seconds(_ value: Double) -> String {
        guard value.isFinite, value >= 0 else { return "–" }
        if value < 60 { return String(format: "%.1f s", value) }
        let whole = Int(value.rounded())
        return String(format: "%d min %02d s", whole / 60, whole % 60)
    }

    /// An ISO 8601 time for people: `29 Nov 2026, 01:40 UTC` (the ISO text when it does not parse).
    static func readableTime(_ iso: String) -> String {
        guard let date = Timestamp.parse(iso) else { return iso }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let month = months[max(0, min(11, (parts.month ?? 1) - 1))]
        return String(format: "%d %@ %d, %02d:%02d UTC", parts.day ?? 1, month, parts.year ?? 1970, parts.hour ?? 0, parts.minute ?? 0)
    }

    /// A score in 0…1 as a percentage.
    static func percent(_ score: Double) -> String {
        guard score.isFinite else { return "–" }
        return String(format: "%.0f%%", min(max(score, 0), 1) * 100)
    }

    /// `#RRGGBB` when `text` is exactly that, else `nil` (brand colours go into a style attribute).
    static func hexColour(_ text: String) -> String? {
        let body = text.hasPrefix("#") ? text.dropFirst() : Substring(text)
        guard body.count == 6, body.allSatisfy(\.isHexDigit) else { return nil }
        return "#" + body.uppercased()
    }

    /// A file-name-safe form of an asset id (ids are `[A-Za-z0-9._-]`, but never trust a name).
    static func fileName(for id: String) -> String {
        let safe = id.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "-_.".unicodeScalars.contains($0)) }
        if safe && !id.isEmpty && !id.hasPrefix(".") { return id }
        let cleaned = String(id.unicodeScalars.map { $0.isASCII && CharacterSet.alphanumerics.contains($0) ? Character($0) : "-" })
        return "asset-" + cleaned.prefix(40) + "-" + String(UInt32(truncatingIfNeeded: id.hashValueStable), radix: 16)
    }
}

extension String {
    /// FNV-1a over the UTF-8 bytes: stable across runs (unlike `hashValue`).
    fileprivate var hashValueStable: UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return hash
    }
}

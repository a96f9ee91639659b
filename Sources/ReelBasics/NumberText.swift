import Foundation

/// Numbers as people write them in messages: `0.5`, `1`, `12.25` (no `0.500000`), sizes as
/// `0 bytes`, `812 KB`, `1.4 GB`. Never used for keys or lockfiles (those keep fixed decimals).
public enum NumberText {
    /// `value` with at least `width` digits, zero-padded, as `String(format: "%0<width>d")`
    /// writes it — without Foundation's formatter, which is slow enough to show in a profile
    /// when called once per clip of a 10,000-clip campaign.
    public static func zeroPadded(_ value: Int, width: Int) -> String {
        let digits = String(value.magnitude)
        let padding = String(repeating: "0", count: max(0, width - (value < 0 ? 1 : 0) - digits.utf8.count))
        return (value < 0 ? "-" : "") + padding + digits
    }

    /// `value` with at most `places` decimals and no trailing zeros.
    public static func decimal(_ value: Double, places: Int = 3) -> String {
        guard value.isFinite else { return "\(value)" }
        var text = String(format: "%.\(places)f", value)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text == "-0" ? "0" : text
    }

    /// A size in bytes, decimal units (as `ls -h --si` and file managers show them).
    public static func bytes(_ count: Int64) -> String {
        if count < 1000 { return count == 1 ? "1 byte" : "\(count) bytes" }
        let units = ["KB", "MB", "GB", "TB", "PB"]
        var value = Double(count) / 1000
        var unit = 0
        while value >= 1000, unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return "\(decimal(value, places: value < 10 ? 1 : 0)) \(units[unit])"
    }
}

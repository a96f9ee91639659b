import Foundation

/// Dates as Reel writes and reads them: ISO 8601 in UTC with milliseconds for records, and
/// `HH:MM:SS` local time for progress lines. Formatted with `gmtime_r`/`localtime_r` rather than
/// Foundation's formatters, which are slow to create on Linux and not `Sendable`.
public enum Timestamp {
    /// `2026-11-25T15:42:58.123Z` (without `.123` when `milliseconds` is false).
    public static func iso8601(_ date: Date, milliseconds: Bool = true) -> String {
        let seconds = date.timeIntervalSince1970
        var whole = time_t(seconds.rounded(.down))
        var millis = Int(((seconds - Double(whole)) * 1000).rounded())
        if millis >= 1000 {
            whole += 1
            millis -= 1000
        }
        var parts = tm()
        gmtime_r(&whole, &parts)
        let stamp = String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
            Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
        return milliseconds ? stamp + String(format: ".%03dZ", min(max(millis, 0), 999)) : stamp + "Z"
    }

    /// Parses ISO 8601 with any number of fractional digits (Replicate sends microseconds) and a
    /// `Z` or `±HH:MM` zone.
    public static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        func number(_ start: Int, _ count: Int) -> Int? {
            guard start + count <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[start..<(start + count)] {
                guard byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            return value
        }
        guard bytes.count >= 20, let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
            let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2)
        else { return nil }
        var index = 19
        var fraction = 0.0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            var scale = 0.1
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                fraction += Double(bytes[index] - 48) * scale
                scale /= 10
                index += 1
            }
        }
        var offset = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: "Z") {
            index += 1
        } else if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-"),
            let hours = number(index + 1, 2), let minutes = number(index + 4, 2)
        {
            offset = (hours * 3600 + minutes * 60) * (bytes[index] == UInt8(ascii: "-") ? -1 : 1)
            index += 6
        } else {
            return nil
        }
        guard index == bytes.count else { return nil }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        let epoch = timegm(&parts)
        return Date(timeIntervalSince1970: Double(epoch - offset) + fraction)
    }

    /// `HH:MM:SS` in local time.
    public static func clock(_ date: Date = Date()) -> String {
        var whole = time_t(date.timeIntervalSince1970)
        var parts = tm()
        localtime_r(&whole, &parts)
        return String(format: "%02d:%02d:%02d", Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
    }
}

extension Duration {
    /// The duration in seconds, as a `Double`.
    public var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}

extension FileInfo {
    /// Whether two stats describe the same file (a hard link, or the very same path).
    public func isSameFile(as other: FileInfo) -> Bool {
        inode == other.inode && device == other.device
    }
}

extension FileSystem {
    /// Writes a value as sorted, pretty JSON, atomically (durably unless asked otherwise).
    public func writeJSON(_ value: some Encodable, to path: AbsolutePath, durable: Bool = true) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        try writeAtomically(try encoder.encode(value), to: path, durable: durable)
    }

    /// Reads a JSON file written by `writeJSON`; `nil` when it is missing or unreadable.
    public func readJSON<Value: Decodable>(_ type: Value.Type, from path: AbsolutePath) -> Value? {
        guard let data = try? read(path) else { return nil }
        return try? JSONDecoder().decode(type, from: data)
    }
}

/// Finds executables on `PATH`.
public enum ExecutableSearch {
    /// The first executable called `name` on `PATH`, or `nil`.
    public static func find(_ name: String, path: String? = nil) -> AbsolutePath? {
        let search = path ?? ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in search.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if access(candidate, X_OK) == 0, let absolute = AbsolutePath(candidate) { return absolute }
        }
        return nil
    }
}

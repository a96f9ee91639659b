import Foundation

/// A JSON-like value with exactly one textual encoding, used for cache keys and key material.
///
/// Object keys are sorted by their UTF-8 bytes, numbers are integers or decimals written with
/// exactly six places, and strings are escaped the same way every time. `Hashable`/`hashValue` is never
/// used for keys: it is seeded per process.
public enum CanonicalValue: Sendable, Equatable, Hashable {
    case string(String)
    case int(Int)
    /// A decimal number, kept as its fixed six-place text (`0.500000`) so it never drifts.
    case number(String)
    case bool(Bool)
    case null
    case array([CanonicalValue])
    case object([String: CanonicalValue])

    /// A decimal number with six places (a JSON number in canonical text and when encoded).
    public static func decimal(_ value: Double) -> CanonicalValue {
        .number(fixedSix(value.isFinite ? value : 0))
    }

    /// `value` with exactly six decimals, as `%.6f` prints it (without Foundation's slow formatter).
    static func fixedSix(_ value: Double) -> String {
        let scaled = (abs(value) * 1_000_000).rounded()
        guard scaled < 9e15 else { return String(format: "%.6f", value) }
        let micros = Int64(scaled)
        let whole = micros / 1_000_000
        let fraction = String(micros % 1_000_000)
        let sign = value < 0 && micros != 0 ? "-" : ""
        return sign + String(whole) + "." + String(repeating: "0", count: 6 - fraction.count) + fraction
    }

    /// The canonical text: compact JSON with sorted keys.
    public var canonicalText: String {
        var out = ""
        write(to: &out)
        return out
    }

    /// Appends the canonical text to `out` (what `canonicalText` returns, without a string of its own).
    public func appendCanonicalText(to out: inout String) {
        write(to: &out)
    }

    /// Appends `text` as a canonical JSON string (quoted, escaped).
    public static func appendCanonicalString(_ text: String, to out: inout String) {
        writeString(text, to: &out)
    }

    private func write(to out: inout String) {
        switch self {
        case .string(let value): CanonicalValue.writeString(value, to: &out)
        case .int(let value): out += String(value)
        case .number(let text): out += text
        case .bool(let value): out += value ? "true" : "false"
        case .null: out += "null"
        case .array(let values):
            out += "["
            for (index, value) in values.enumerated() {
                if index > 0 { out += "," }
                value.write(to: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (index, key) in members.keys.sorted(by: CanonicalValue.utf8Less).enumerated() {
                if index > 0 { out += "," }
                CanonicalValue.writeString(key, to: &out)
                out += ":"
                members[key]?.write(to: &out)
            }
            out += "}"
        }
    }

    static func utf8Less(_ lhs: String, _ rhs: String) -> Bool {
        lhs.utf8.lexicographicallyPrecedes(rhs.utf8)
    }

    private static func writeString(_ value: String, to out: inout String) {
        out += "\""
        // Most strings (ids, digests, settings) need no escape: appended whole, not per scalar
        // (the per-scalar append was 9% of a 2,500-pair no-op, in node keys).
        if !value.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            out += value
            out += "\""
            return
        }
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}

extension CanonicalValue: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .decimal(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([CanonicalValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: CanonicalValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        if case .object(let members) = self {
            // Keys in sorted order, so YAML and JSON encoders print the same text every time.
            var keyed = encoder.container(keyedBy: AnyCodingKey.self)
            for key in members.keys.sorted(by: CanonicalValue.utf8Less) {
                if let member = members[key] { try keyed.encode(member, forKey: AnyCodingKey(key)) }
            }
            return
        }
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .number(let text): try container.encode(Double(text) ?? 0)
        case .bool(let value): try container.encode(value)
        case .null: try container.encodeNil()
        case .array(let value): try container.encode(value)
        case .object: break
        }
    }
}

/// A coding key made from any string (for dictionaries encoded in a chosen order).
public struct AnyCodingKey: CodingKey, Sendable {
    public var stringValue: String
    public var intValue: Int? { nil }

    public init(_ string: String) {
        self.stringValue = string
    }

    public init?(stringValue: String) {
        self.stringValue = stringValue
    }

    public init?(intValue: Int) {
        return nil
    }
}

extension CanonicalValue {
    /// A value from `JSONSerialization` output (`nil` for types JSON does not have).
    public init?(json: Any) {
        switch json {
        case let text as String: self = .string(text)
        case is NSNull: self = .null
        case let number as NSNumber:
            // JSONSerialization marks booleans "c", integers "i"/"l"/"q", and decimals "d".
            switch String(cString: number.objCType) {
            case "c", "B": self = .bool(number.boolValue)
            case "d", "f": self = .decimal(number.doubleValue)
            default: self = .int(number.intValue)
            }
        case let items as [Any]:
            var values: [CanonicalValue] = []
            for item in items {
                guard let value = CanonicalValue(json: item) else { return nil }
                values.append(value)
            }
            self = .array(values)
        case let members as [String: Any]:
            var values: [String: CanonicalValue] = [:]
            for (key, member) in members {
                guard let value = CanonicalValue(json: member) else { return nil }
                values[key] = value
            }
            self = .object(values)
        default:
            return nil
        }
    }
}

extension CanonicalValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

extension CanonicalValue {
    /// The string, when this is one.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The number, when this is one (or a string holding one).
    public var doubleValue: Double? {
        switch self {
        case .int(let value): return Double(value)
        case .number(let text), .string(let text): return Double(text)
        default: return nil
        }
    }

    /// A short human form for messages: strings bare, numbers as people write them (`0.5`, not
    /// the canonical `0.500000`), everything else canonical.
    public var displayText: String {
        switch self {
        case .string(let value): return value
        case .number(let text): return Double(text).map { NumberText.decimal($0, places: 6) } ?? text
        default: return canonicalText
        }
    }
}

import Foundation

/// A JSON value for output, encoded with JSONEncoder.
///
/// Commands build their JSON as `[String: Any]`; `Console.json` converts it to this and encodes it
/// rather than handing it to JSONSerialization, which on Linux took 25 µs an event line and
/// 0.38 s for the summary of a 10,000-node build (converted and encoded: 7 µs and 0.07 s;
/// docs/benchmarks.md). The text is the same JSON: numbers and escapes as JSONSerialization
/// writes them, keys sorted by their bytes.
enum OutputJSON: Encodable {
    case string(String)
    case int(Int)
    case unsigned(UInt64)
    case double(Double)
    case bool(Bool)
    case null
    case array([OutputJSON])
    case object([String: OutputJSON])

    /// `value` as JSON, or `nil` for a value this does not know (the caller falls back to
    /// JSONSerialization, which knows Foundation's types).
    init?(_ value: Any) {
        switch value {
        case let text as String: self = .string(text)
        case let flag as Bool: self = .bool(flag)
        case let number as Int: self = .int(number)
        case let number as Double: self = .double(number)
        case let members as [String: Any]:
            var converted: [String: OutputJSON] = [:]
            converted.reserveCapacity(members.count)
            for (key, member) in members {
                guard let json = OutputJSON(member) else { return nil }
                converted[key] = json
            }
            self = .object(converted)
        case let items as [Any]:
            var converted: [OutputJSON] = []
            converted.reserveCapacity(items.count)
            for item in items {
                guard let json = OutputJSON(item) else { return nil }
                converted.append(json)
            }
            self = .array(converted)
        case is NSNull: self = .null
        case let number as Int64: self = .int(Int(number))
        case let number as Int32: self = .int(Int(number))
        case let number as UInt64: self = .unsigned(number)
        case let number as UInt32: self = .int(Int(number))
        case let number as UInt: self = .unsigned(UInt64(number))
        default: return nil
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .unsigned(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        case .null: try container.encodeNil()
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// The compact text, keys sorted, slashes not escaped.
    static func text(_ value: Any) -> String? {
        if let json = OutputJSON(value) {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            if let data = try? encoder.encode(json) { return String(decoding: data, as: UTF8.self) }
        }
        guard let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes]) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}

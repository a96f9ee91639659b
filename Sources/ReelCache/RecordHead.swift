import Foundation
import ReelBasics
import Synchronization

/// The part of an action record planning reads (key, outputs, metadata), decoded with
/// JSONDecoder; the key material, which only `reel explain` needs, is skipped unparsed.
///
/// Measured on the 12,541 records of a 10,000-pair cache (docs/benchmarks.md): JSONSerialization
/// with dynamic casts to `CanonicalValue` took 36 µs a record, a third of a no-op build; this
/// takes about 18.
struct RecordHead: Decodable {
    var key: Digest
    var outputs: [ActionOutput]
    var metadata: MetadataObject?
}

/// A metadata object whose values are decoded as the kind the same key had last time.
///
/// `Decoder` cannot say what kind of value comes next, so a generic decode tries each kind in
/// turn and pays for every failed try (an error built each time): five for an object. Metadata
/// keys keep their kinds from record to record (`model` is a string, `media` an object), so the
/// kind last decoded for a key is tried first; when it does not fit, the generic decode decides,
/// with the same result it would have had alone.
struct MetadataObject: Decodable {
    var members: [String: CanonicalValue] = [:]

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AnyCodingKey.self)
        members.reserveCapacity(container.allKeys.count)
        for key in container.allKeys {
            let name = key.stringValue
            let value = try Self.guessed(ValueKinds.shared.kind(of: name), container: container, key: key)
                ?? container.decode(CanonicalValue.self, forKey: key)
            ValueKinds.shared.remember(Kind(value), for: name)
            members[name] = value
        }
    }

    /// The value decoded as `kind`, or `nil` when it is not of that kind (a wrong guess: not an
    /// error; the generic decode after it decides, and throws for a damaged record).
    private static func guessed(_ kind: Kind?, container: KeyedDecodingContainer<AnyCodingKey>, key: AnyCodingKey) -> CanonicalValue? {
        do {
            switch kind {
            case .string?: return .string(try container.decode(String.self, forKey: key))
            case .int?: return .int(try container.decode(Int.self, forKey: key))
            case .bool?: return .bool(try container.decode(Bool.self, forKey: key))
            case .object?: return .object(try container.decode(MetadataObject.self, forKey: key).members)
            // Decimals, arrays and nulls go the generic way (a decimal must first fail as an integer).
            case .decimal?, .other?, nil: return nil
            }
        } catch {
            return nil
        }
    }

    enum Kind: Sendable {
        case string, int, bool, object, decimal, other

        init(_ value: CanonicalValue) {
            switch value {
            case .string: self = .string
            case .int: self = .int
            case .bool: self = .bool
            case .object: self = .object
            case .number: self = .decimal
            case .array, .null: self = .other
            }
        }
    }
}

/// The kind each metadata key had when last decoded, in this process.
final class ValueKinds: Sendable {
    static let shared = ValueKinds()
    private let kinds = Mutex<[String: MetadataObject.Kind]>([:])

    func kind(of key: String) -> MetadataObject.Kind? {
        kinds.withLock { $0[key] }
    }

    func remember(_ kind: MetadataObject.Kind, for key: String) {
        kinds.withLock { kinds in
            if kinds[key] != kind { kinds[key] = kind }
        }
    }
}

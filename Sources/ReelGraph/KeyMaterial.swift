import ReelBasics

/// Everything a node's output depends on, in canonical form. Its SHA-256 is the node key.
///
/// Contains the node kind, an engine version (bumped when an action's output would change for the
/// same inputs), the provider and model identity, every resolved parameter, and the *content
/// digests* of its inputs — never paths, secrets, base URLs or timestamps. Downstream nodes use
/// upstream *output* digests, which gives early cutoff.
public struct KeyMaterial: Sendable, Equatable {
    public var kind: NodeKind
    public var engineVersion: String
    public var provider: String
    public var model: String
    public var params: [String: CanonicalValue]
    public var inputs: [String: Digest]

    public init(kind: NodeKind, engineVersion: String, provider: String, model: String, params: [String: CanonicalValue], inputs: [String: Digest]) {
        self.kind = kind
        self.engineVersion = engineVersion
        self.provider = provider
        self.model = model
        self.params = params
        self.inputs = inputs
    }

    /// The canonical value that is hashed.
    public var canonical: CanonicalValue {
        .object([
            "kind": .string(kind.rawValue),
            "engine": .string(engineVersion),
            "provider": .string(provider),
            "model": .string(model),
            "params": .object(params),
            "inputs": .object(inputs.mapValues { .string($0.description) }),
        ])
    }

    /// The node key.
    public var key: Digest { Digest.of(string: canonicalText) }

    /// `canonical.canonicalText`, written straight from the fields: the top level's keys in their
    /// sorted order, without building the object (and a string per input digest) first. Keying
    /// every clip was a tenth of a 10,000-pair no-op. `GoldenKeyTests` pin the bytes.
    var canonicalText: String {
        var out = ""
        out.reserveCapacity(256 + 96 * inputs.count + 24 * params.count)
        out += "{\"engine\":"
        CanonicalValue.appendCanonicalString(engineVersion, to: &out)
        out += ",\"inputs\":{"
        for (index, name) in inputs.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }).enumerated() {
            if index > 0 { out += "," }
            CanonicalValue.appendCanonicalString(name, to: &out)
            out += ":"
            CanonicalValue.appendCanonicalString(inputs[name]?.description ?? "", to: &out)
        }
        out += "},\"kind\":"
        CanonicalValue.appendCanonicalString(kind.rawValue, to: &out)
        out += ",\"model\":"
        CanonicalValue.appendCanonicalString(model, to: &out)
        out += ",\"params\":"
        CanonicalValue.object(params).appendCanonicalText(to: &out)
        out += ",\"provider\":"
        CanonicalValue.appendCanonicalString(provider, to: &out)
        out += "}"
        return out
    }

    /// What differs between `previous` (an earlier canonical key material) and this one, as
    /// human-readable lines such as `params.duration: 4.000000 -> 6.000000`.
    public func differences(from previous: CanonicalValue) -> [String] {
        KeyMaterial.diff(previous, canonical, path: "")
    }

    static func diff(_ old: CanonicalValue, _ new: CanonicalValue, path: String) -> [String] {
        if old == new { return [] }
        switch (old, new) {
        case (.object(let before), .object(let after)):
            var lines: [String] = []
            for name in Set(before.keys).union(after.keys).sorted() {
                let child = path.isEmpty ? name : "\(path).\(name)"
                switch (before[name], after[name]) {
                case (let left?, let right?): lines += diff(left, right, path: child)
                case (nil, let right?): lines.append("\(child): added (\(short(right)))")
                case (let left?, nil): lines.append("\(child): removed (was \(short(left)))")
                case (nil, nil): break
                }
            }
            return lines
        default:
            return ["\(path): \(short(old)) -> \(short(new))"]
        }
    }

    static func short(_ value: CanonicalValue) -> String {
        var text = value.displayText
        if text.hasPrefix("sha256:") { text = String(text.prefix(19)) + "…" }
        if text.count > 60 { text = String(text.prefix(57)) + "…" }
        return text
    }
}

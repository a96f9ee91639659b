import Foundation

/// Input schemas of the first+last-frame image-to-video models, written from
/// `shared/reference/models-2026.md` §3 (the models' Replicate version API pages and the schema
/// dumps it cites), NOT from Reel's registry: a test that lets the fake check requests against
/// these proves the registry produces inputs the real models accept. Only the fields Reel may send
/// are listed; an input with any other field, a missing required field, a wrong type or a value
/// outside the schema's enum or range is refused with 422, as Replicate does.
public struct FakeModelSchema: Sendable {
    public enum Field: Sendable {
        case string
        /// A file input: an https/http URL or a `data:` URL.
        case file
        case enumeration([String])
        case integer(ClosedRange<Int>)
        case integerIn([Int])
        case boolean
    }

    public var fields: [String: Field]
    public var required: Set<String>
    /// Fields that may only be sent together with another (`last_frame_image` needs `image`).
    public var needs: [String: String]

    public init(fields: [String: Field], required: Set<String>, needs: [String: String] = [:]) {
        self.fields = fields
        self.required = required
        self.needs = needs
    }

    /// The problems with `input` (empty when it is accepted).
    public func validate(_ input: FakeJSON) -> [FakeReplicate.InvalidField] {
        guard case .object(let members) = input else {
            return [.init(type: "invalid_type", field: "input", description: "Invalid type. Expected: object")]
        }
        var problems: [FakeReplicate.InvalidField] = []
        for name in required.sorted() where members[name] == nil {
            problems.append(.init(type: "required", field: "input.\(name)", description: "\(name) is required"))
        }
        for (name, value) in members.sorted(by: { $0.key < $1.key }) {
            guard let field = fields[name] else {
                problems.append(.init(type: "additional_property_not_allowed", field: "input.\(name)", description: "Additional property \(name) is not allowed"))
                continue
            }
            if let other = needs[name], members[other] == nil {
                problems.append(.init(type: "required", field: "input.\(other)", description: "\(name) must be used with \(other)"))
            }
            if let problem = Self.check(value, against: field) {
                problems.append(.init(type: problem.0, field: "input.\(name)", description: problem.1))
            }
        }
        return problems
    }

    static func check(_ value: FakeJSON, against field: Field) -> (String, String)? {
        switch (field, value) {
        case (.string, .string): return nil
        case (.file, .string(let text)):
            return text.hasPrefix("https://") || text.hasPrefix("http://") || text.hasPrefix("data:")
                ? nil : ("format", "Does not match format 'uri'")
        case (.enumeration(let allowed), .string(let text)):
            return allowed.contains(text) ? nil : ("enum", "must be one of the following: \(allowed.joined(separator: ", "))")
        case (.integer(let range), .int(let number)):
            if number < range.lowerBound { return ("number_gte", "Must be greater than or equal to \(range.lowerBound)") }
            if number > range.upperBound { return ("number_lte", "Must be less than or equal to \(range.upperBound)") }
            return nil
        case (.integerIn(let allowed), .int(let number)):
            return allowed.contains(number) ? nil : ("enum", "must be one of the following: \(allowed.map(String.init).joined(separator: ", "))")
        case (.boolean, .bool): return nil
        default: return ("invalid_type", "Invalid type for \(value)")
        }
    }
}

extension FakeModelSchema {
    /// The schemas of models-2026.md §3, by model slug.
    public static let reference: [String: FakeModelSchema] = {
        var schemas: [String: FakeModelSchema] = [:]
        // kwaivgi/kling-v3-video: start_image, end_image ("Requires start_image"), duration int 3–15,
        // mode standard/pro, generate_audio.
        schemas["kwaivgi/kling-v3-video"] = FakeModelSchema(
            fields: [
                "prompt": .string, "start_image": .file, "end_image": .file, "duration": .integer(3...15),
                "mode": .enumeration(["standard", "pro"]), "generate_audio": .boolean,
            ],
            required: ["prompt"], needs: ["end_image": "start_image"])
        // bytedance/seedance-2.0 and -fast: image, last_frame_image (needs the first), duration −1..15,
        // resolution (default 720p), audio on by default.
        let seedance2 = FakeModelSchema(
            fields: [
                "prompt": .string, "image": .file, "last_frame_image": .file, "duration": .integer(-1...15),
                "resolution": .enumeration(["720p"]), "generate_audio": .boolean,
            ],
            required: ["prompt"], needs: ["last_frame_image": "image"])
        schemas["bytedance/seedance-2.0"] = seedance2
        schemas["bytedance/seedance-2.0-fast"] = seedance2
        // bytedance/seedance-1-lite: image, last_frame_image, duration 2–12, 480p/720p/1080p.
        schemas["bytedance/seedance-1-lite"] = FakeModelSchema(
            fields: [
                "prompt": .string, "image": .file, "last_frame_image": .file, "duration": .integer(2...12),
                "resolution": .enumeration(["480p", "720p", "1080p"]),
            ],
            required: ["prompt"], needs: ["last_frame_image": "image"])
        // pixverse/pixverse-v5: image, last_frame_image ("Must be used with image"), 5/8 s, quality.
        schemas["pixverse/pixverse-v5"] = FakeModelSchema(
            fields: [
                "prompt": .string, "image": .file, "last_frame_image": .file, "duration": .integerIn([5, 8]),
                "quality": .enumeration(["360p", "540p", "720p", "1080p"]),
            ],
            required: ["prompt", "image"], needs: ["last_frame_image": "image"])
        // luma/ray-*: start_image, end_image, duration 5/9; the resolution is the slug.
        for slug in ["luma/ray-2-720p", "luma/ray-2-540p", "luma/ray-flash-2-720p", "luma/ray-flash-2-540p"] {
            schemas[slug] = FakeModelSchema(
                fields: ["prompt": .string, "start_image": .file, "end_image": .file, "duration": .integerIn([5, 9])],
                required: ["prompt"])
        }
        // wan-video/wan-2.2-i2v-fast: image, last_image, num_frames 81–121, frames_per_second 5–30, 480p/720p.
        schemas["wan-video/wan-2.2-i2v-fast"] = FakeModelSchema(
            fields: [
                "prompt": .string, "image": .file, "last_image": .file, "num_frames": .integer(81...121),
                "frames_per_second": .integer(5...30), "resolution": .enumeration(["480p", "720p"]),
            ],
            required: ["prompt", "image"])
        return schemas
    }()

    /// A validator for `FakeReplicate.inputValidator` that checks every request against `reference`
    /// (an unknown model is refused as Replicate's 404 would be: here, one invalid field).
    public static var referenceValidator: @Sendable (_ model: String, _ input: FakeJSON) -> [FakeReplicate.InvalidField] {
        { model, input in
            guard let schema = reference[model] else {
                return [.init(type: "model", field: "model", description: "no reference schema for \(model)")]
            }
            return schema.validate(input)
        }
    }
}

import Foundation
import ReelBasics
import ReelTestSupport
import Testing

@Suite struct DigestTests {
    @Test func knownVectors() {
        #expect(Digest.of(string: "").hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Digest.of(string: "abc").description == "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func parsesBothForms() {
        let hex = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        #expect(Digest(hex) == Digest("sha256:" + hex))
        #expect(Digest("sha256:xyz") == nil)
        #expect(Digest(String(hex.dropLast())) == nil)
    }

    @Test func hashesFilesInChunks() async throws {
        try await withTemporaryDirectory { directory in
            // Larger than one read chunk, so the streaming path is exercised.
            var bytes = [UInt8](repeating: 0, count: FileHasher.chunkSize * 2 + 123)
            for index in bytes.indices { bytes[index] = UInt8(truncatingIfNeeded: index &* 31) }
            let file = directory.appending("blob")
            try Data(bytes).write(to: URL(fileURLWithPath: file.pathString))
            let (digest, size) = try FileHasher.hash(path: file.pathString)
            #expect(size == Int64(bytes.count))
            #expect(digest == Digest.of(bytes))
        }
    }
}

@Suite struct CanonicalValueTests {
    @Test func sortsKeysAndEscapes() {
        let value: CanonicalValue = .object(["b": 1, "a": .array(["x\"y", .null, true]), "é": .decimal(0.5)])
        #expect(value.canonicalText == #"{"a":["x\"y",null,true],"b":1,"é":0.500000}"#)
    }

    @Test func sameValueSameText() {
        var members: [String: CanonicalValue] = [:]
        for index in (0..<50).shuffled() { members["k\(index)"] = .int(index) }
        let reordered = Dictionary(uniqueKeysWithValues: members.sorted { $0.key > $1.key })
        #expect(CanonicalValue.object(members).canonicalText == CanonicalValue.object(reordered).canonicalText)
    }
}

@Suite struct AbsolutePathTests {
    @Test func normalisesLexically() {
        #expect(AbsolutePath("/a/./b/../c/")?.pathString == "/a/c")
        #expect(AbsolutePath("/a/b").map { AbsolutePath("../../../x", relativeTo: $0) }?.pathString == "/x")
        #expect(AbsolutePath("relative") == nil)
    }

    @Test func relativePaths() throws {
        let base = try #require(AbsolutePath("/p/manifests/demo"))
        let file = try #require(AbsolutePath("/p/assets/a.jpg"))
        #expect(file.relative(to: base) == "../../assets/a.jpg")
        #expect(file.isDescendant(ofOrEqualTo: try #require(AbsolutePath("/p"))))
        #expect(!file.isDescendant(ofOrEqualTo: try #require(AbsolutePath("/p/ass"))))
    }
}

@Suite struct FormattingTests {
    @Test(arguments: [0.0, 0.5, 1.0 / 3.0, 2.0 / 3.0, -0.25, 4, 1234.5678905, 0.0000004, 0.0000005, -0.0000001, 99.9999996])
    func fixedSixMatchesPrintf(_ value: Double) {
        let expected = String(format: "%.6f", value)
        let actual = CanonicalValue.decimal(value).canonicalText
        // printf rounds half to even on the binary value; agree everywhere except exact ties.
        #expect(actual == expected || abs((Double(actual) ?? 0) - (Double(expected) ?? 0)) <= 0.000001)
    }

    @Test func hexIsLowercaseAndComplete() {
        let digest = Digest.of([0x00, 0xff, 0x10])
        #expect(digest.hex.count == 64)
        #expect(digest.hex == digest.hex.lowercased())
        #expect(Digest(digest.hex) == digest)
    }

    /// A digest is four words (issue 15): parsing, printing, case and ordering keep the text's meaning.
    @Test func wordsKeepTheTextsMeaning() {
        var texts: [String] = []
        for index in 0..<200 { texts.append(Digest.of(string: "value \(index)").hex) }
        texts += [String(repeating: "0", count: 64), String(repeating: "f", count: 64), String(repeating: "0", count: 63) + "1",
                  "1" + String(repeating: "0", count: 63), String(repeating: "7", count: 16) + String(repeating: "8", count: 48)]
        let digests = texts.map { Digest($0)! }
        #expect(digests.map(\.hex) == texts)
        #expect(digests.sorted().map(\.hex) == texts.sorted(), "digests order as their hex text does")
        #expect(Digest(texts[0].uppercased()) == digests[0])
        #expect(Digest("sha256:" + texts[0].uppercased())?.hex == texts[0])
        #expect(Digest(String(repeating: "g", count: 64)) == nil)
        #expect(Digest("sha256:" + String(repeating: "a", count: 65)) == nil)
        #expect(Set(digests).count == digests.count)
    }
}

@Suite struct CanonicalJSONTests {
    @Test func readsJSONSerializationOutputWithTheSameTypes() throws {
        let value: CanonicalValue = .object([
            "flag": true, "count": 3, "ratio": .decimal(0.25), "whole": .decimal(4), "name": "x", "none": .null,
            "list": .array([1, false, .decimal(1.5)]),
        ])
        let data = try JSONEncoder().encode(value)
        let parsed = try #require(CanonicalValue(json: try JSONSerialization.jsonObject(with: data)))
        // Both readers agree (a whole decimal comes back as an integer from either: JSON has one number type).
        #expect(parsed == (try JSONDecoder().decode(CanonicalValue.self, from: data)))
        guard case .object(let members) = parsed else { throw InternalError("not an object") }
        #expect(members["flag"] == .bool(true) && members["count"] == .int(3) && members["ratio"] == .decimal(0.25))
        #expect(members["whole"]?.doubleValue == 4 && members["none"] == .null)
    }
}

@Suite struct TimestampTests {
    @Test func formatsAndParsesISO8601() throws {
        let date = Date(timeIntervalSince1970: 1_795_621_378.123)  // 2026-11-25T15:42:58.123Z
        #expect(Timestamp.iso8601(date) == "2026-11-25T15:42:58.123Z")
        #expect(Timestamp.iso8601(date, milliseconds: false) == "2026-11-25T15:42:58Z")
        #expect(abs((Timestamp.parse("2026-11-25T15:42:58.123Z")?.timeIntervalSince1970 ?? 0) - 1_795_621_378.123) < 0.0005)
        // Replicate's microseconds, and offsets.
        #expect(abs((Timestamp.parse("2026-11-25T15:42:58.123456Z")?.timeIntervalSince1970 ?? 0) - 1_795_621_378.123456) < 0.00001)
        #expect(Timestamp.parse("2026-11-25T16:42:58+01:00") == Timestamp.parse("2026-11-25T15:42:58Z"))
        #expect(Timestamp.parse("2026-11-25 15:42") == nil)
        #expect(Timestamp.parse("2026-11-25T15:42:58") == nil)
    }
}

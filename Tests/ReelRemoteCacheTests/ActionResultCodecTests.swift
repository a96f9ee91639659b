import Foundation
import ReelBasics
import ReelRemoteCache
import Testing

@Suite struct ActionResultCodecTests {
    let clip = Digest.of(string: "clip bytes")
    let meta = Digest.of(string: "metadata")

    @Test func encodesTheReferenceWireForm() {
        let result = RemoteActionResult(outputFiles: [RemoteOutputFile(path: "clip", digest: clip, size: 300)])
        let bytes = [UInt8](result.encoded())
        // output_files (2, LEN) { path (1, LEN) "clip", digest (2, LEN) { hash (1, LEN) 64 hex, size_bytes (2, varint) 300 } }
        let digestMessage: [UInt8] = [0x0a, 0x40] + Array(clip.hex.utf8) + [0x10, 0xac, 0x02]
        let file: [UInt8] = [0x0a, 0x04] + Array("clip".utf8) + [0x12, UInt8(digestMessage.count)] + digestMessage
        #expect(bytes == [0x12, UInt8(file.count)] + file)
    }

    @Test func roundTripsAndSkipsFieldsAServerAdds() throws {
        let result = RemoteActionResult(outputFiles: [
            RemoteOutputFile(path: "clip", digest: clip, size: 5_000_000_000),
            RemoteOutputFile(path: "reel-action-record.json", digest: meta, size: 0, isExecutable: true),
        ])
        var bytes = result.encoded()
        // execution_metadata (9) { worker (1) "10.0.0.7" }, and a fixed64 field 99 nobody knows.
        bytes.append(contentsOf: [0x4a, 0x0a, 0x0a, 0x08] + Array("10.0.0.7".utf8))
        bytes.append(contentsOf: [0x99, 0x06] + [UInt8](repeating: 1, count: 8))
        let decoded = try RemoteActionResult(decoding: bytes)
        #expect(decoded == result)
    }

    @Test func negativeExitCodesSurvive() throws {
        let result = RemoteActionResult(outputFiles: [], exitCode: -9)
        #expect(try RemoteActionResult(decoding: result.encoded()).exitCode == -9)
        #expect(RemoteActionResult(outputFiles: []).encoded().isEmpty)
    }

    @Test func rejectsWhatIsNotAnActionResult() {
        #expect(throws: ActionResultDecodingError.self) { try RemoteActionResult(decoding: Data(#"{"outputs":[]}"#.utf8)) }
        // output_files sent as a varint: wrong wire type.
        #expect(throws: ActionResultDecodingError.self) { try RemoteActionResult(decoding: Data([0x10, 0x01])) }
        // A length running past the end.
        #expect(throws: ActionResultDecodingError.self) { try RemoteActionResult(decoding: Data([0x12, 0x20, 0x0a])) }
        // An output file whose hash is not 64 lowercase hex digits.
        let bad: [UInt8] = [0x0a, 0x01, 0x61, 0x12, 0x05, 0x0a, 0x03] + Array("abc".utf8)
        #expect(throws: ActionResultDecodingError.self) { try RemoteActionResult(decoding: Data([0x12, UInt8(bad.count)] + bad)) }
    }
}

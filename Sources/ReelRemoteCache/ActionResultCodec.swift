import Foundation
import ReelBasics

/// The part of REAPI's `ActionResult` (build.bazel.remote.execution.v2) that Reel writes and
/// reads: output files and the exit code. Everything else a server adds (bazel-remote sets
/// `execution_metadata.worker`) is skipped when decoding, so what comes back is compared field by
/// field, never byte by byte.
///
/// Field numbers (remote_execution.proto): `ActionResult.output_files` = 2, `exit_code` = 4;
/// `OutputFile.path` = 1, `digest` = 2, `is_executable` = 4, `contents` = 5;
/// `Digest.hash` = 1, `size_bytes` = 2.
public struct RemoteActionResult: Sendable, Equatable {
    public var outputFiles: [RemoteOutputFile]
    public var exitCode: Int32

    public init(outputFiles: [RemoteOutputFile], exitCode: Int32 = 0) {
        self.outputFiles = outputFiles
        self.exitCode = exitCode
    }
}

/// One `OutputFile`: a relative path and the digest of its content in the CAS.
public struct RemoteOutputFile: Sendable, Equatable {
    public var path: String
    public var digest: Digest
    public var size: Int64
    public var isExecutable: Bool
    /// Inline content, when a server chose to inline it (Reel never writes it).
    public var contents: Data?

    public init(path: String, digest: Digest, size: Int64, isExecutable: Bool = false, contents: Data? = nil) {
        self.path = path
        self.digest = digest
        self.size = size
        self.isExecutable = isExecutable
        self.contents = contents
    }
}

/// Why an action cache body is not a usable `ActionResult`.
public struct ActionResultDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

extension RemoteActionResult {
    /// The protobuf wire encoding (proto3: default values are omitted).
    public func encoded() -> Data {
        var writer = ProtobufWriter()
        for file in outputFiles {
            var fileWriter = ProtobufWriter()
            fileWriter.writeBytes(field: 1, Data(file.path.utf8))
            var digestWriter = ProtobufWriter()
            digestWriter.writeBytes(field: 1, Data(file.digest.hex.utf8))
            if file.size != 0 { digestWriter.writeVarint(field: 2, UInt64(bitPattern: file.size)) }
            fileWriter.writeBytes(field: 2, digestWriter.data)
            if file.isExecutable { fileWriter.writeVarint(field: 4, 1) }
            if let contents = file.contents, !contents.isEmpty { fileWriter.writeBytes(field: 5, contents) }
            writer.writeBytes(field: 2, fileWriter.data)
        }
        // int32 fields encode negative values sign-extended to 64 bits.
        if exitCode != 0 { writer.writeVarint(field: 4, UInt64(bitPattern: Int64(exitCode))) }
        return writer.data
    }

    /// Decodes an `ActionResult`, skipping fields Reel does not use.
    /// - Throws: `ActionResultDecodingError` for malformed protobuf or an output file without a
    ///   valid SHA-256 digest.
    public init(decoding data: Data) throws {
        var files: [RemoteOutputFile] = []
        var exitCode: Int32 = 0
        var reader = ProtobufReader(data)
        while let (field, value) = try reader.next() {
            switch (field, value) {
            case (2, .bytes(let bytes)): files.append(try RemoteOutputFile(decoding: bytes))
            case (4, .varint(let raw)): exitCode = Int32(truncatingIfNeeded: raw)
            case (2, _), (4, _): throw ActionResultDecodingError("field \(field) of ActionResult has the wrong wire type")
            default: continue
            }
        }
        self.init(outputFiles: files, exitCode: exitCode)
    }
}

extension RemoteOutputFile {
    init(decoding data: Data) throws {
        var path: String?
        var hash: String?
        var size: Int64 = 0
        var isExecutable = false
        var contents: Data?
        var reader = ProtobufReader(data)
        while let (field, value) = try reader.next() {
            switch (field, value) {
            case (1, .bytes(let bytes)):
                guard let text = String(validating: bytes, as: UTF8.self) else { throw ActionResultDecodingError("an output path is not UTF-8") }
                path = text
            case (2, .bytes(let bytes)):
                var digestReader = ProtobufReader(bytes)
                while let (digestField, digestValue) = try digestReader.next() {
                    switch (digestField, digestValue) {
                    case (1, .bytes(let hex)): hash = String(decoding: hex, as: UTF8.self)
                    case (2, .varint(let raw)): size = Int64(bitPattern: raw)
                    case (1, _), (2, _): throw ActionResultDecodingError("field \(digestField) of Digest has the wrong wire type")
                    default: continue
                    }
                }
            case (4, .varint(let raw)): isExecutable = raw != 0
            case (5, .bytes(let bytes)): contents = bytes
            case (1, _), (2, _), (4, _), (5, _): throw ActionResultDecodingError("field \(field) of OutputFile has the wrong wire type")
            default: continue
            }
        }
        guard let path, !path.isEmpty else { throw ActionResultDecodingError("an output file has no path") }
        guard let hash, hash.utf8.count == 64, let digest = Digest(hash), digest.hex == hash else {
            throw ActionResultDecodingError("output '\(path)' has no valid SHA-256 digest")
        }
        guard size >= 0 else { throw ActionResultDecodingError("output '\(path)' has a negative size") }
        self.init(path: path, digest: digest, size: size, isExecutable: isExecutable, contents: contents)
    }
}

/// Appends protobuf fields: varints (wire type 0) and length-delimited bytes (wire type 2).
struct ProtobufWriter {
    private(set) var data = Data()

    mutating func writeVarint(field: Int, _ value: UInt64) {
        appendVarint(UInt64(field << 3 | 0))
        appendVarint(value)
    }

    mutating func writeBytes(field: Int, _ bytes: Data) {
        appendVarint(UInt64(field << 3 | 2))
        appendVarint(UInt64(bytes.count))
        data.append(bytes)
    }

    private mutating func appendVarint(_ value: UInt64) {
        var remaining = value
        while remaining >= 0x80 {
            data.append(UInt8(truncatingIfNeeded: remaining) | 0x80)
            remaining >>= 7
        }
        data.append(UInt8(remaining))
    }
}

/// Reads protobuf fields one at a time; unknown fields of every wire type can be skipped.
struct ProtobufReader {
    enum Value {
        case varint(UInt64)
        case bytes(Data)
        /// Fixed 32- or 64-bit values (no field Reel reads has them).
        case fixed
    }

    private let data: Data
    private var offset: Int

    init(_ data: Data) {
        self.data = data
        self.offset = data.startIndex
    }

    /// The next field, or nil at the end.
    mutating func next() throws -> (field: Int, value: Value)? {
        guard offset < data.endIndex else { return nil }
        let key = try readVarint()
        let field = Int(truncatingIfNeeded: key >> 3)
        guard field > 0, field < (1 << 29) else { throw ActionResultDecodingError("invalid field number \(key >> 3)") }
        switch key & 7 {
        case 0: return (field, .varint(try readVarint()))
        case 1: try skip(8); return (field, .fixed)
        case 2:
            let length = try readVarint()
            guard length <= UInt64(data.endIndex - offset) else { throw ActionResultDecodingError("a field runs past the end of the message") }
            let start = offset
            offset += Int(length)
            return (field, .bytes(Data(data[start..<offset])))
        case 5: try skip(4); return (field, .fixed)
        default: throw ActionResultDecodingError("unsupported wire type \(key & 7)")
        }
    }

    private mutating func skip(_ count: Int) throws {
        guard data.endIndex - offset >= count else { throw ActionResultDecodingError("a field runs past the end of the message") }
        offset += count
    }

    private mutating func readVarint() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < data.endIndex else { throw ActionResultDecodingError("a varint runs past the end of the message") }
            let byte = data[offset]
            offset += 1
            guard shift < 64 else { throw ActionResultDecodingError("a varint is longer than ten bytes") }
            result |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }
}

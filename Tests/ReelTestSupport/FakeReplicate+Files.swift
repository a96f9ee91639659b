import Foundation
import Synchronization

/// The Files API and output downloads of ``FakeReplicate``.
extension FakeReplicate {
    func createFile(_ request: RecordedRequest) -> FakeReply {
        guard let contentType = request.header("content-type"), let boundary = Multipart.boundary(fromContentType: contentType),
            let parts = Multipart.parse(request.body, boundary: boundary)
        else {
            return problem(400, title: "Bad Request", detail: "Expected a multipart/form-data body.")
        }
        func part(_ name: String) -> MultipartPart? { parts.first { $0.name == name } }
        guard let content = part("content") else {
            return validationFailed([InvalidField(type: "required", field: "content", description: "content is required")])
        }
        if content.data.count > maxFileSize {
            return .json(413, ["detail": "Files must be less than 100MB in size"], contentType: "application/problem+json")
        }
        let filename = part("filename")?.text ?? content.filename ?? "file"
        guard filename.utf8.count <= 255 else {
            return validationFailed([
                InvalidField(type: "string_max_length", field: "filename", description: "filename must be at most 255 bytes")
            ])
        }
        let type = part("type")?.text ?? content.contentType ?? "application/octet-stream"
        var metadata: FakeJSON = [:]
        if let metadataPart = part("metadata") {
            guard let parsed = FakeJSON.parse(metadataPart.data), parsed.objectValue != nil else {
                return validationFailed([
                    InvalidField(type: "invalid_type", field: "metadata", description: "metadata must be a JSON object")
                ])
            }
            metadata = parsed
        }
        let checksum = sha256(content.data)
        return state.withLock { state in
            let now = Date()
            let file = File(
                id: makeID(&state), filename: filename, contentType: type, content: content.data, sha256: checksum,
                metadata: metadata, createdAt: now, expiresAt: now.addingTimeInterval(state.fileLifetime), deleted: false)
            state.files[file.id] = file
            state.fileOrder.append(file.id)
            return .json(201, fileJSON(file, api: "http://127.0.0.1:\(state.port)/v1"))
        }
    }

    func getFile(id: String) -> FakeReply {
        state.withLock { state in
            guard let file = state.files[id], !file.deleted, file.expiresAt > Date() else {
                return .json(404, ["detail": "File not found"], contentType: "application/problem+json")
            }
            return .json(200, fileJSON(file, api: "http://127.0.0.1:\(state.port)/v1"))
        }
    }

    func deleteFile(id: String) -> FakeReply {
        state.withLock { state in
            guard let file = state.files[id], !file.deleted else {
                return .json(404, ["detail": "File not found"], contentType: "application/problem+json")
            }
            state.files[id]?.deleted = true
            return FakeReply(status: 204)
        }
    }

    /// The wire form of a file (R-OAS `files.create` response).
    func fileJSON(_ file: File, api: String) -> FakeJSON {
        [
            "id": .string(file.id),
            "name": .string(file.filename),
            "content_type": .string(file.contentType),
            "size": .int(file.content.count),
            "checksums": ["sha256": .string(file.sha256)],
            "metadata": file.metadata,
            "created_at": .string(replicateTimestamp(file.createdAt)),
            "expires_at": .string(replicateTimestamp(file.expiresAt)),
            "urls": ["get": .string("\(api)/files/\(file.id)")],
        ]
    }

    /// `GET /delivery/{id}/out.mp4`: the configured video, for a succeeded prediction whose output
    /// has not expired (the caller already checked the bearer token).
    func download(id: String) -> FakeReply {
        let (available, video) = state.withLock { state -> (Bool, URL?) in
            guard let prediction = state.predictions[id], prediction.status == .succeeded, !prediction.downloadGone else {
                return (false, state.outputVideo)
            }
            return (true, state.outputVideo)
        }
        guard available else {
            return problem(404, title: nil, detail: "The requested resource could not be found.")
        }
        guard let video else {
            return .text(500, "FakeReplicate.outputVideo is not set: point it at a small MP4 before downloading.")
        }
        guard let data = try? Data(contentsOf: video) else {
            return .text(500, "FakeReplicate cannot read outputVideo at \(video.path).")
        }
        state.withLock { $0.predictions[id]?.downloadCount += 1 }
        return FakeReply(status: 200, headers: ["Content-Type": "video/mp4"], body: data)
    }
}

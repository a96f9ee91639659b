import Foundation

/// One part of a `multipart/form-data` body.
public struct MultipartPart: Sendable, Equatable {
    /// The `name` parameter of the part's Content-Disposition.
    public var name: String
    /// The `filename` parameter, when present.
    public var filename: String?
    /// The part's own Content-Type header, when present.
    public var contentType: String?
    public var data: Data

    public var text: String { String(decoding: data, as: UTF8.self) }
}

/// A small `multipart/form-data` parser (RFC 7578), enough for the Replicate files API.
enum Multipart {
    /// The boundary parameter of a `multipart/form-data` Content-Type, nil for any other type.
    static func boundary(fromContentType contentType: String) -> String? {
        let pieces = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard let type = pieces.first, type.lowercased() == "multipart/form-data" else { return nil }
        for piece in pieces.dropFirst() {
            let pair = piece.split(separator: "=", maxSplits: 1).map(String.init)
            if pair.count == 2, pair[0].lowercased() == "boundary" {
                return unquote(pair[1])
            }
        }
        return nil
    }

    /// The parts of `body`, or nil when it is not well-formed.
    static func parse(_ body: Data, boundary: String) -> [MultipartPart]? {
        let delimiter = Data(("--" + boundary).utf8)
        let crlf = Data("\r\n".utf8)
        let end = body.endIndex
        guard var current = body.range(of: delimiter, in: body.startIndex..<end) else { return nil }
        var parts: [MultipartPart] = []
        while true {
            var start = current.upperBound
            if body[start..<min(start + 2, end)] == Data("--".utf8) { return parts }
            if body[start..<min(start + 2, end)] == crlf { start += 2 }
            guard let next = body.range(of: delimiter, in: start..<end) else { return nil }
            var stop = next.lowerBound
            if stop - 2 >= start, body[(stop - 2)..<stop] == crlf { stop -= 2 }
            guard let part = parsePart(body[start..<stop]) else { return nil }
            parts.append(part)
            current = next
        }
    }

    private static func parsePart(_ slice: Data) -> MultipartPart? {
        let headerText: String
        let content: Data
        if slice.starts(with: Data("\r\n".utf8)) {
            headerText = ""
            content = Data(slice.dropFirst(2))
        } else if let separator = slice.range(of: Data("\r\n\r\n".utf8)) {
            headerText = String(decoding: slice[slice.startIndex..<separator.lowerBound], as: UTF8.self)
            content = Data(slice[separator.upperBound..<slice.endIndex])
        } else {
            return nil
        }
        var headers: [String: String] = [:]
        for line in headerText.components(separatedBy: "\r\n") where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { return nil }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        guard let disposition = headers["content-disposition"] else { return nil }
        var parameters: [String: String] = [:]
        for piece in disposition.split(separator: ";").dropFirst() {
            let pair = piece.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pair.count == 2 { parameters[pair[0].lowercased()] = unquote(pair[1]) }
        }
        guard let name = parameters["name"] else { return nil }
        return MultipartPart(name: name, filename: parameters["filename"], contentType: headers["content-type"], data: content)
    }

    private static func unquote(_ text: String) -> String {
        guard text.count >= 2, text.hasPrefix("\""), text.hasSuffix("\"") else { return text }
        return String(text.dropFirst().dropLast()).replacingOccurrences(of: "\\\"", with: "\"")
    }
}

// fuzz-modules: HTTPCore
// fuzz-max-len: 2048
// The multipart/form-data parser: the input's first line is a Content-Type value (from which the
// boundary is read), the rest the body. Any input parses or fails cleanly; parsed parts respect
// the part limit, and written back out with the same boundary they parse to the same parts.
@testable import HTTPCore

/// `parts` as a multipart body with `boundary`, or nil when a name or file name cannot be
/// written as a quoted string the parser reads back unchanged.
func encodeParts(_ parts: [MultipartPart], boundary: String) -> [UInt8]? {
    var out: [UInt8] = []
    func quoted(_ s: String) -> [UInt8]? {
        guard !s.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) else { return nil }
        var q: [UInt8] = [0x22]
        for b in s.utf8 {
            if b == 0x22 || b == 0x5C { q.append(0x5C) }
            q.append(b)
        }
        return q + [0x22]
    }
    for p in parts {
        out += Array("--\(boundary)\r\nContent-Disposition: form-data; name=".utf8)
        guard let name = quoted(p.name) else { return nil }
        out += name
        if let f = p.filename {
            guard let file = quoted(f) else { return nil }
            out += Array("; filename=".utf8) + file
        }
        out += [0x0D, 0x0A]
        if let t = p.contentType {
            // Trimmed and unfolded by the parser: only a value that is already so survives.
            guard !t.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }), t.utf8.first != 0x20, t.utf8.last != 0x20 else { return nil }
            out += Array("Content-Type: \(t)\r\n".utf8)
        }
        out += [0x0D, 0x0A] + p.body + [0x0D, 0x0A]
    }
    out += Array("--\(boundary)--\r\n".utf8)
    return out
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMultipart(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let newline = bytes.firstIndex(of: 0x0A) ?? bytes.count
    let contentType = String(decoding: bytes[0..<newline], as: UTF8.self)
    let body = newline < bytes.count ? Array(bytes[(newline + 1)...]) : []
    let boundary = Multipart.boundary(contentType: contentType) ?? "b"
    let maxParts = 8
    guard case .success(let parts) = Multipart.parse(body, boundary: boundary, maxParts: maxParts) else { return 0 }
    guard parts.count <= maxParts else { fuzzFailure("\(parts.count) parts passed the limit \(maxParts)") }
    guard parts.reduce(0, { $0 + $1.body.count }) <= body.count else { fuzzFailure("parts hold more bytes than the body") }
    // A part body that itself holds CRLF "--boundary" cannot be written back unambiguously.
    let delimiter = Array("\r\n--\(boundary)".utf8)
    let ambiguous = parts.contains { p in
        let b = p.body + [0x0D, 0x0A]
        return b.count >= delimiter.count && (0...(b.count - delimiter.count)).contains { b[$0..<($0 + delimiter.count)].elementsEqual(delimiter) }
            || p.body.starts(with: delimiter.dropFirst(2))
    }
    guard !ambiguous, let again = encodeParts(parts, boundary: boundary) else { return 0 }
    switch Multipart.parse(again, boundary: boundary, maxParts: maxParts) {
    case .success(let reparsed):
        guard reparsed == parts else { fuzzFailure("round trip changed the parts:\n\(parts)\n\(reparsed)") }
    case .failure(let e):
        fuzzFailure("parts written back do not parse: \(e)\n\(String(decoding: again, as: UTF8.self))")
    }
    return 0
}

// multipart/form-data request bodies (RFC 7578 over the RFC 2046 multipart syntax).
//
// body     := preamble? "--B" LWSP* CRLF part ( CRLF "--B" LWSP* CRLF part )* CRLF "--B--" epilogue?
// part     := ( header CRLF )* CRLF octets
// The CRLF before each delimiter belongs to the delimiter, not to the part before it.

/// One field of a `multipart/form-data` body: its form name, the file name and media type when the
/// client sent them, and the raw bytes. Sendable value.
public struct MultipartPart: Sendable, Equatable {
    public var name: String
    public var filename: String?
    public var contentType: String?
    public var body: [UInt8]

    public init(name: String, filename: String? = nil, contentType: String? = nil, body: [UInt8]) {
        self.name = name
        self.filename = filename
        self.contentType = contentType
        self.body = body
    }
}

/// Why a `multipart/form-data` body was rejected, as a message fit for a 400 reply. Sendable value.
public struct MultipartError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Parsing of `multipart/form-data`: the boundary from the Content-Type, then the parts. Stateless.
public enum Multipart {
    /// RFC 2046 caps boundaries at 70 characters; a few clients exceed it, so allow some slack.
    static let maxBoundaryLength = 200

    /// The boundary parameter of a `multipart/form-data` Content-Type (quoted or not), or nil if absent/not multipart.
    public static func boundary(contentType: String) -> String? {
        let bytes = Array(contentType.utf8)
        let semicolon = bytes.firstIndex(of: 0x3B) ?? bytes.count
        let type = trim(bytes[0..<semicolon])
        guard type.count == 19, zip(type, "multipart/form-data".utf8).allSatisfy({ asciiLower($0) == $1 }) else { return nil }
        guard case .success(let params) = parameters(bytes, from: semicolon) else { return nil }
        guard let value = params.first(where: { $0.name == "boundary" })?.value,
              !value.isEmpty, value.utf8.count <= maxBoundaryLength,
              !value.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) else { return nil }
        return value
    }

    /// Parts of `body`, or a precise error message (missing first boundary, unterminated part, missing
    /// Content-Disposition / name, missing closing boundary `--B--`, header line without colon, …).
    ///
    /// A preamble before the first boundary and an epilogue after the closing one are ignored; a
    /// boundary line may carry trailing spaces or tabs. Lines end in CRLF. Headers other than
    /// Content-Disposition and Content-Type are ignored.
    public static func parse(_ body: [UInt8], boundary: String, maxParts: Int = 64) -> Result<[MultipartPart], MultipartError> {
        guard !boundary.isEmpty, !boundary.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A }) else {
            return .failure(MultipartError("invalid multipart boundary"))
        }
        let dash = Array("--\(boundary)".utf8)
        return body.withUnsafeBufferPointer { buf in
            dash.withUnsafeBufferPointer { delimiter in
                Scanner(buf: buf, delimiter: delimiter, maxParts: maxParts).run()
            }
        }
    }

    // MARK: scanning

    /// One pass over a body; borrows both buffers for the duration of `Multipart.parse`, confined to that call.
    private struct Scanner {
        let buf: UnsafeBufferPointer<UInt8>
        let delimiter: UnsafeBufferPointer<UInt8>
        let maxParts: Int

        /// What follows `--B` at some offset.
        enum After { case next(Int), close, end, other }

        var closing: MultipartError { MultipartError("missing closing boundary \"\(String(decoding: delimiter, as: UTF8.self))--\"") }

        func run() -> Result<[MultipartPart], MultipartError> {
            var pos: Int?  // where the next part's headers start; nil once the closing delimiter was seen
            switch firstPartStart() {
            case nil: return .failure(MultipartError("missing first boundary \"\(String(decoding: delimiter, as: UTF8.self))\""))
            case .next(let p): pos = p
            case .close: pos = nil  // "--B--" alone: a form with no fields
            case .end, .other: return .failure(closing)
            }
            var parts: [MultipartPart] = []
            while let start = pos {
                guard start < buf.count else { return .failure(closing) }
                let number = parts.count + 1
                guard parts.count < maxParts else { return .failure(MultipartError("more than \(maxParts) parts")) }
                var part: MultipartPart
                let bodyStart: Int
                switch headers(from: start, part: number) {
                case .failure(let e): return .failure(e)
                case .success(let (p, end)): part = p; bodyStart = end
                }
                // The part's bytes run to the next CRLF "--B" that is really a delimiter line.
                var search = bodyStart
                var found: (end: Int, after: After)?
                while let at = find(from: search) {
                    let after = classify(at + 2 + delimiter.count)
                    if case .other = after { search = at + 1; continue }
                    found = (at, after)
                    break
                }
                guard let found else {
                    return .failure(MultipartError("part \(number) (\"\(part.name)\") is unterminated: no boundary after its body"))
                }
                part.body = Array(UnsafeBufferPointer(rebasing: buf[bodyStart..<found.end]))
                parts.append(part)
                switch found.after {
                case .next(let next): pos = next
                case .close: pos = nil
                case .end, .other: return .failure(closing)
                }
            }
            return .success(parts)
        }

        /// Where the first part's headers start, after an optional preamble and the first delimiter line.
        func firstPartStart() -> After? {
            var at = startsWithDelimiter(0) ? 0 : (find(from: 0).map { $0 + 2 })
            while let d = at {
                let after = classify(d + delimiter.count)
                if case .other = after { at = find(from: d - 1).map { $0 + 2 }; continue }
                return after
            }
            return nil
        }

        /// The offset of the next CR LF "--B" at or after `from`.
        func find(from: Int) -> Int? {
            let need = 2 + delimiter.count
            guard buf.count >= need else { return nil }
            let last = buf.count - need
            var i = max(from, 0)
            let first = delimiter[0]
            while i <= last {
                if buf[i] == 0x0D, buf[i + 1] == 0x0A, buf[i + 2] == first, startsWithDelimiter(i + 2) { return i }
                i += 1
            }
            return nil
        }

        func startsWithDelimiter(_ at: Int) -> Bool {
            guard buf.count - at >= delimiter.count else { return false }
            for j in 0..<delimiter.count where buf[at + j] != delimiter[j] { return false }
            return true
        }

        /// After `--B`: `--` closes, LWSP* CRLF opens the next part; anything else means the bytes
        /// only looked like a delimiter (e.g. a longer boundary `--Bx`) and belong to the content.
        func classify(_ at: Int) -> After {
            if at + 1 < buf.count, buf[at] == 0x2D, buf[at + 1] == 0x2D { return .close }
            var i = at
            while i < buf.count, buf[i] == 0x20 || buf[i] == 0x09 { i += 1 }
            if i == buf.count { return .end }
            if i + 1 < buf.count, buf[i] == 0x0D, buf[i + 1] == 0x0A { return .next(i + 2) }
            if i + 1 == buf.count, buf[i] == 0x0D || buf[i] == 0x2D { return .end }  // cut inside CRLF or "--"
            return .other
        }

        /// Parses the header section at `from`; returns the part (empty body) and where its body starts.
        func headers(from: Int, part number: Int) -> Result<(MultipartPart, Int), MultipartError> {
            var fields: [(name: [UInt8], value: [UInt8])] = []
            var i = from
            while true {
                if startsWithDelimiter(i) {
                    return .failure(MultipartError("part \(number): boundary inside the header section (no empty line after the headers)"))
                }
                guard let lineEnd = crlf(from: i) else {
                    return .failure(MultipartError("part \(number): header section not terminated by an empty line"))
                }
                if lineEnd == i { i += 2; break }
                let line = UnsafeBufferPointer(rebasing: buf[i..<lineEnd])
                if line[line.startIndex] == 0x20 || line[line.startIndex] == 0x09, !fields.isEmpty {
                    // Obsolete folding (some MIME generators still wrap long headers): join with one space.
                    fields[fields.count - 1].value += [0x20] + trim(line[...])
                } else {
                    guard let colon = line.firstIndex(of: 0x3A) else {
                        return .failure(MultipartError("part \(number): header line without colon: \"\(printable(line[...]))\""))
                    }
                    let name = trim(line[line.startIndex..<colon])
                    guard !name.isEmpty else { return .failure(MultipartError("part \(number): header line with an empty name")) }
                    fields.append((name.map(asciiLower), trim(line[(colon + 1)...])))
                }
                i = lineEnd + 2
            }
            guard let disposition = fields.first(where: { $0.name.elementsEqual("content-disposition".utf8) })?.value else {
                return .failure(MultipartError("part \(number): missing Content-Disposition header"))
            }
            let semicolon = disposition.firstIndex(of: 0x3B) ?? disposition.count
            let type = trim(disposition[0..<semicolon])
            guard type.map(asciiLower).elementsEqual("form-data".utf8) else {
                return .failure(MultipartError("part \(number): Content-Disposition is \"\(printable(type[...]))\", not form-data"))
            }
            let params: [(name: String, value: String)]
            switch parameters(disposition, from: semicolon) {
            case .failure(let e): return .failure(MultipartError("part \(number): Content-Disposition: \(e)"))
            case .success(let p): params = p
            }
            guard let name = params.first(where: { $0.name == "name" })?.value else {
                return .failure(MultipartError("part \(number): Content-Disposition has no name parameter"))
            }
            let filename = params.first(where: { $0.name == "filename" })?.value
            let type2 = fields.first(where: { $0.name.elementsEqual("content-type".utf8) }).map { String(decoding: $0.value, as: UTF8.self) }
            return .success((MultipartPart(name: name, filename: filename, contentType: type2, body: []), i))
        }

        /// The offset of the next CR LF at or after `from`.
        func crlf(from: Int) -> Int? {
            var i = from
            while i + 1 < buf.count {
                if buf[i] == 0x0D, buf[i + 1] == 0x0A { return i }
                i += 1
            }
            return nil
        }
    }

    // MARK: parameters

    /// `; name=value` pairs (RFC 9110 parameters) from `start` (at a `;` or the end), names lowercased,
    /// values unquoted with `\x` escapes resolved.
    static func parameters(_ b: [UInt8], from start: Int) -> Result<[(name: String, value: String)], MultipartError> {
        var out: [(name: String, value: String)] = []
        var i = start
        func skipSpace() { while i < b.count, b[i] == 0x20 || b[i] == 0x09 { i += 1 } }
        while true {
            skipSpace()
            guard i < b.count else { return .success(out) }
            guard b[i] == 0x3B else { return .failure(MultipartError("expected ';' before \"\(printable(b[i...]))\"")) }
            i += 1
            skipSpace()
            guard i < b.count else { return .success(out) }  // a trailing ';' is harmless
            let nameStart = i
            while i < b.count, isTokenByte(b[i]) { i += 1 }
            guard i > nameStart else { return .failure(MultipartError("expected a parameter name at \"\(printable(b[i...]))\"")) }
            let name = String(decoding: b[nameStart..<i].map(asciiLower), as: UTF8.self)
            skipSpace()
            guard i < b.count, b[i] == 0x3D else { return .failure(MultipartError("parameter \(name) has no '=' value")) }
            i += 1
            skipSpace()
            var value: [UInt8] = []
            if i < b.count, b[i] == 0x22 {
                i += 1
                var closed = false
                while i < b.count {
                    let c = b[i]
                    if c == 0x22 { closed = true; i += 1; break }
                    if c == 0x5C, i + 1 < b.count { value.append(b[i + 1]); i += 2; continue }
                    value.append(c)
                    i += 1
                }
                guard closed else { return .failure(MultipartError("unterminated quoted string in parameter \(name)")) }
            } else {
                // Lenient token: anything up to the next ';' (unquoted file names with spaces exist in the wild).
                let valueStart = i
                while i < b.count, b[i] != 0x3B { i += 1 }
                value = trim(b[valueStart..<i])
            }
            out.append((name, String(decoding: value, as: UTF8.self)))
        }
    }

    /// `bytes` without leading and trailing spaces and tabs.
    static func trim<C: BidirectionalCollection<UInt8>>(_ bytes: C) -> [UInt8] {
        var s = bytes.startIndex, e = bytes.endIndex
        while s < e, bytes[s] == 0x20 || bytes[s] == 0x09 { s = bytes.index(after: s) }
        while e > s, bytes[bytes.index(before: e)] == 0x20 || bytes[bytes.index(before: e)] == 0x09 { e = bytes.index(before: e) }
        return Array(bytes[s..<e])
    }

    /// Up to 60 bytes of `bytes` for an error message, control characters shown as `\u{N}`.
    static func printable(_ bytes: some Collection<UInt8>) -> String {
        var s = ""
        for scalar in String(decoding: bytes.prefix(60), as: UTF8.self).unicodeScalars {
            if scalar.value < 0x20 || scalar.value == 0x7F { s += scalar.escaped(asASCII: true) } else { s.unicodeScalars.append(scalar) }
        }
        return bytes.count > 60 ? s + "…" : s
    }
}

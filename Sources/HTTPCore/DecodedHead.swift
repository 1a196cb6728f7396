/// A request head whose fields arrive already decoded, one name and value at a time (HTTP/2's
/// HPACK), kept as the `name: value\r\n` lines of the equivalent HTTP/1.1 head together with
/// their field index, so the ``Request`` is built without parsing the lines again.
///
/// The result is the request ``RequestParser`` makes of the HTTP/1.1 head `METHOD SP target SP
/// HTTP/1.1`, `host: authority` (only when no `host` field came), the lines, an empty line: the
/// same bytes and the same field ranges. Only heads the parser takes as they are (origin-form
/// target, fields within the limits, no field it interprets beyond `host`, values it would not
/// trim or refuse) are built here; for any other ``request(method:target:authority:limits:)``
/// returns nil and the caller has the parser read ``lines``, so every error stays the parser's.
///
/// A plain value, built on one thread.
public struct DecodedHead: Sendable {
    /// The fields as `name: value\r\n` lines, in arrival order.
    public private(set) var lines: [UInt8] = []
    /// The fields' ranges in ``lines``.
    private var ranges: [Request.FieldRange] = []
    /// Every field so far is one the parser would take as it is.
    private var plain = true
    private var hostFields = 0

    public init() {}

    public var isEmpty: Bool { lines.isEmpty }

    /// Appends one field (a regular one: pseudo-header fields are the caller's).
    public mutating func add(name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>) {
        if plain { check(name: name, value: value) }
        if lines.isEmpty { lines.reserveCapacity(256) }
        let nameStart = lines.count
        lines.append(contentsOf: name)
        let nameEnd = lines.count
        lines.append(0x3A)
        lines.append(0x20)
        let valueStart = lines.count
        lines.append(contentsOf: value)
        let valueEnd = lines.count
        lines.append(0x0D)
        lines.append(0x0A)
        if plain {
            if ranges.isEmpty { ranges.reserveCapacity(16) }
            ranges.append(.init(nameStart: Int32(nameStart), nameEnd: Int32(nameEnd),
                                valueStart: Int32(valueStart), valueEnd: Int32(valueEnd)))
        }
    }

    /// Whether the parser would store this field as it is and interpret nothing in it but `host`.
    private mutating func check(name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>) {
        guard !name.isEmpty else { plain = false; return }
        for b in name where !isTokenByte(b) { plain = false; return }
        let n = UnsafeRawBufferPointer(name)
        if equalsLowercase(n, "host") {
            hostFields += 1
        } else if equalsLowercase(n, "content-length") || equalsLowercase(n, "transfer-encoding")
                    || equalsLowercase(n, "connection") || equalsLowercase(n, "expect") {
            plain = false
            return
        }
        if let f = value.first, f == 0x20 || f == 0x09 { plain = false; return }
        if let l = value.last, l == 0x20 || l == 0x09 { plain = false; return }
        // Eight bytes at a time while none is below 0x20 or 0x7F (as the parser does); the rest,
        // and a word with such a byte, byte by byte (a tab is allowed).
        let raw = UnsafeRawBufferPointer(value)
        var j = 0
        while j + 8 <= raw.count {
            let w = raw.loadUnaligned(fromByteOffset: j, as: UInt64.self)
            if ByteWord.below(w, 0x20) | ByteWord.equal(w, 0x7F) != 0 { break }
            j += 8
        }
        while j < raw.count {
            let b = raw[j]
            if (b < 0x20 && b != 0x09) || b == 0x7F { plain = false; return }
            j += 1
        }
    }

    /// Forgets the fields (their memory included).
    public mutating func removeAll() { self = DecodedHead() }

    /// The request for `method` and `target` (with `authority` as the host when no `host` field
    /// came) and an empty body, or nil when the parser has to judge the head (see the type).
    public func request(method: [UInt8], target: [UInt8], authority: [UInt8], limits: ParserLimits) -> Request? {
        guard plain, !method.isEmpty, target.first == 0x2F else { return nil }
        let addHost = hostFields == 0 && !authority.isEmpty
        guard hostFields + (addHost ? 1 : 0) == 1 else { return nil }
        guard method.count + target.count + 10 <= limits.maxRequestLine else { return nil }
        let hostLine = addHost ? authority.count + 8 : 0  // "host: " + authority + CRLF
        guard ranges.count + (addHost ? 1 : 0) <= limits.maxHeaderCount,
              hostLine + lines.count + 2 <= limits.maxHeaderBytes else { return nil }
        for b in method where !isTokenByte(b) { return nil }
        for b in target where b < 0x21 || b > 0x7E { return nil }

        var head: [UInt8] = []
        head.reserveCapacity(method.count + target.count + hostLine + lines.count + 12)
        head.append(contentsOf: method)
        head.append(0x20)
        let targetStart = head.count
        head.append(contentsOf: target)
        let targetRange = targetStart..<head.count
        head.append(contentsOf: " HTTP/1.1\r\n".utf8)
        var fields: [Request.FieldRange] = []
        fields.reserveCapacity(ranges.count + 1)
        if addHost {
            let start = Int32(head.count)
            head.append(contentsOf: "host: ".utf8)
            head.append(contentsOf: authority)
            fields.append(.init(nameStart: start, nameEnd: start + 4, valueStart: start + 6, valueEnd: Int32(head.count)))
            head.append(0x0D)
            head.append(0x0A)
        }
        let shift = Int32(head.count)
        for r in ranges {
            fields.append(.init(nameStart: r.nameStart + shift, nameEnd: r.nameEnd + shift,
                                valueStart: r.valueStart + shift, valueEnd: r.valueEnd + shift))
        }
        head.append(contentsOf: lines)
        head.append(0x0D)
        head.append(0x0A)
        let m = method.withUnsafeBytes { Method(bytes: $0) }
        return Request(method: m, version: .http1_1, keepAlive: true, rawHead: head, targetRange: targetRange,
                       fieldRanges: fields, body: [])
    }
}

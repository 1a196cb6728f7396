/// A request head whose fields arrive already decoded, one name and value at a time (HTTP/2's
/// HPACK), written as it comes into the bytes of the equivalent HTTP/1.1 head together with its
/// field index, so the ``Request`` is built without parsing the head again and without a copy.
///
/// The head is `METHOD SP target SP HTTP/1.1`, then `host: authority` (when the request names
/// an authority and has no `host` field of its own), then a `name: value` line per field, as
/// ``RequestParser`` reads it. The pseudo-header fields (method, target, authority) come first,
/// as RFC 9113 §8.3 requires; the request line is written when the first regular field arrives
/// (or at the end), and the `host` line with it, taken out again should a `host` field follow.
///
/// Only heads the parser takes as they are (origin-form target, within the limits, no field it
/// interprets beyond `host`, no value it would trim or refuse) are built here; for any other,
/// ``request(limits:)`` returns nil and the caller has the parser read ``http1Head()``, so every
/// error stays the parser's.
///
/// A plain value, built on one thread.
public struct DecodedHead: Sendable {
    /// Which pseudo-header field a value is.
    public enum Pseudo: Sendable { case method, target, authority }

    /// The head so far (without its final empty line).
    private var bytes: [UInt8] = []
    /// The fields' ranges in `bytes` (kept while `plain`).
    private var fields: [Request.FieldRange] = []
    /// The pseudo-header values, back to back, until the request line is written.
    private var pseudo: [UInt8] = []
    private var method = 0..<0, target = 0..<0, authority = 0..<0
    /// Where the request line ends in `bytes` (0: not written yet).
    private var requestLineEnd = 0
    /// The `host` line made from the authority, while no `host` field came.
    private var hostLine: Range<Int>?
    /// Every field so far is one the parser would take as it is.
    private var plain = true
    /// `host` fields received (any case), for the parser's "exactly one Host" rule.
    private var hostFields = 0

    public init() {}

    /// A pseudo-header value. One that arrives after a regular field is ignored (the library
    /// refuses such a request before it is complete).
    public mutating func set(_ which: Pseudo, _ value: UnsafeBufferPointer<UInt8>) {
        guard requestLineEnd == 0 else { return }
        if pseudo.isEmpty { pseudo.reserveCapacity(128) }
        let start = pseudo.count
        pseudo.append(contentsOf: value)
        switch which {
        case .method: method = start..<pseudo.count
        case .target: target = start..<pseudo.count
        case .authority: authority = start..<pseudo.count
        }
    }

    /// The bytes of the `:authority` value (empty when none came).
    public var authorityCount: Int { authority.count }

    /// Appends one regular field.
    public mutating func add(name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>) {
        if requestLineEnd == 0 { writeRequestLine() }
        if plain { check(name: name, value: value) }
        // The head's own `host` field replaces the one made from the authority (exact name, as
        // HTTP/2 field names are lower-case).
        if let h = hostLine, name.count == 4, name.elementsEqual("host".utf8) { removeHostLine(h) }
        let nameStart = bytes.count
        bytes.append(contentsOf: name)
        let nameEnd = bytes.count
        bytes.append(0x3A)
        bytes.append(0x20)
        let valueStart = bytes.count
        bytes.append(contentsOf: value)
        let valueEnd = bytes.count
        bytes.append(0x0D)
        bytes.append(0x0A)
        if plain {
            fields.append(.init(nameStart: Int32(nameStart), nameEnd: Int32(nameEnd),
                                valueStart: Int32(valueStart), valueEnd: Int32(valueEnd)))
        }
    }

    /// `METHOD SP target SP HTTP/1.1 CRLF`, and the `host` line when there is an authority: both
    /// copied at once into the head's one allocation (room for the usual fields after them).
    private mutating func writeRequestLine() {
        let version = " HTTP/1.1\r\n"
        let lineCount = method.count + 1 + target.count + version.utf8.count
        let hostCount = authority.isEmpty ? 0 : authority.count + 8  // "host: " + authority + CRLF
        let (method, target, authority) = (self.method, self.target, self.authority)
        bytes = pseudo.withUnsafeBufferPointer { p in
            [UInt8](unsafeUninitializedCapacity: max(512, lineCount + hostCount + 256)) { out, count in
                var at = 0
                func put(_ bytes: UnsafeBufferPointer<UInt8>) {
                    if let b = bytes.baseAddress, bytes.count > 0 { (out.baseAddress! + at).update(from: b, count: bytes.count) }
                    at += bytes.count
                }
                func put(_ text: StaticString) {
                    put(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
                }
                put(UnsafeBufferPointer(rebasing: p[method]))
                put(" ")
                put(UnsafeBufferPointer(rebasing: p[target]))
                put(" HTTP/1.1\r\n")
                if hostCount > 0 {
                    put("host: ")
                    put(UnsafeBufferPointer(rebasing: p[authority]))
                    put("\r\n")
                }
                count = at
            }
        }
        requestLineEnd = lineCount
        fields.reserveCapacity(16)
        if hostCount > 0 {
            let start = Int32(lineCount)
            fields.append(.init(nameStart: start, nameEnd: start + 4, valueStart: start + 6, valueEnd: start + 6 + Int32(authority.count)))
            hostLine = lineCount..<(lineCount + hostCount)
        }
    }

    private mutating func removeHostLine(_ h: Range<Int>) {
        bytes.removeSubrange(h)
        hostLine = nil
        if plain { fields.removeFirst() }  // it was the first; no field came before the request line
        let shift = Int32(h.count)
        for i in fields.indices {
            fields[i].nameStart -= shift; fields[i].nameEnd -= shift
            fields[i].valueStart -= shift; fields[i].valueEnd -= shift
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
        if !Self.isPlainValue(UnsafeRawBufferPointer(value)) { plain = false }
    }

    /// Whether the parser stores this field value as it is: no space or tab at either end, no
    /// control byte but tab.
    private static func isPlainValue(_ raw: UnsafeRawBufferPointer) -> Bool {
        if let f = raw.first, f == 0x20 || f == 0x09 { return false }
        if let l = raw.last, l == 0x20 || l == 0x09 { return false }
        // Eight bytes at a time while none is below 0x20 or 0x7F (as the parser does); the rest,
        // and a word with such a byte, byte by byte (a tab is allowed).
        var j = 0
        while j + 8 <= raw.count {
            let w = raw.loadUnaligned(fromByteOffset: j, as: UInt64.self)
            if ByteWord.below(w, 0x20) | ByteWord.equal(w, 0x7F) != 0 { break }
            j += 8
        }
        while j < raw.count {
            let b = raw[j]
            if (b < 0x20 && b != 0x09) || b == 0x7F { return false }
            j += 1
        }
        return true
    }

    /// Forgets everything (its memory included).
    public mutating func removeAll() { self = DecodedHead() }

    /// The request, with an empty body, when the parser would take this head as it is; nil
    /// (and the head kept for ``http1Head()``) when the parser has to judge it. Empties the head
    /// on success.
    public mutating func request(limits: ParserLimits) -> Request? {
        if requestLineEnd == 0 { writeRequestLine() }
        guard plain, !method.isEmpty, target.count > 0, pseudo[target.lowerBound] == 0x2F,
              hostFields + (hostLine == nil ? 0 : 1) == 1,
              requestLineEnd - 2 <= limits.maxRequestLine,
              fields.count <= limits.maxHeaderCount,
              bytes.count - requestLineEnd + 2 <= limits.maxHeaderBytes else { return nil }
        for b in pseudo[method] where !isTokenByte(b) { return nil }
        // The host line made from the authority is a field value like any other.
        if hostLine != nil, !pseudo.withUnsafeBytes({ Self.isPlainValue(UnsafeRawBufferPointer(rebasing: $0[authority])) }) {
            return nil
        }
        for b in pseudo[target] where b < 0x21 || b > 0x7E { return nil }
        bytes.append(0x0D)
        bytes.append(0x0A)
        let start = method.count + 1
        let m = pseudo.withUnsafeBytes { Method(bytes: UnsafeRawBufferPointer(rebasing: $0[method])) }
        let request = Request(method: m, version: .http1_1, keepAlive: true, rawHead: bytes,
                              targetRange: start..<(start + target.count), fieldRanges: fields, body: [])
        self = DecodedHead()
        return request
    }

    /// The head as HTTP/1.1 bytes, final empty line included, for ``RequestParser``.
    public mutating func http1Head() -> [UInt8] {
        if requestLineEnd == 0 { writeRequestLine() }
        return bytes + [0x0D, 0x0A]
    }
}

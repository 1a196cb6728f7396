/// An incremental HTTP/1.1 request parser with explicit limits and RFC 9112 framing defences.
///
/// Feed it the bytes of the current message, from its first byte, as they accumulate: each call
/// resumes where the previous one stopped, so input may arrive whole, byte by byte, or with
/// further pipelined requests behind it. After `.request(_, consumed:)` the parser is ready for
/// the next message, which starts `consumed` bytes later. After `.error` it stays failed.
///
/// ```swift
/// var parser = RequestParser(limits: ParserLimits())
/// switch parser.parse(buffer) {
/// case .needMore: break                    // read more; `parser.headComplete` tells the phase
/// case .request(let req, let consumed): ... // answer `req`, drop `consumed` bytes
/// case .error(let e): ...                   // answer e.status, then close
/// }
/// ```
public struct RequestParser: Sendable {
    public enum Result: Sendable {
        case needMore
        case request(Request, consumed: Int)
        case error(ParseError)
    }

    public let limits: ParserLimits

    // Head scanning.
    private var scanned = 0
    private var lineStart = 0
    private var messageStart = 0
    private var requestLineDone = false
    private var requestLineEnd = 0
    private var method = Method.get
    private var version = Version.http1_1
    private var targetRange = 0..<0
    /// The authority of an absolute-form target (`http://HOST:PORT/path`), or nil.
    private var authorityRange: Range<Int>?
    private var fields: [Request.FieldRange] = []

    // Framing facts gathered from the fields.
    private var contentLength: Int?
    private var transferCodings: [String] = []
    private var hostCount = 0
    private var connectionClose = false
    private var connectionKeepAlive = false

    /// True once the head has been parsed and the body is being read.
    public private(set) var headComplete = false
    /// True when the parsed head carries `Expect: 100-continue` and a body is expected.
    public private(set) var expectsContinue = false
    private var headEnd = 0
    private var rawHead: [UInt8] = []
    private var keepAlive = true

    // Body.
    private var chunked = false
    private var body: [UInt8] = []
    private var chunk = ChunkDecoder()
    private var failure: ParseError?

    public init(limits: ParserLimits = ParserLimits()) {
        self.limits = limits
    }

    /// Convenience for tests and tools.
    public mutating func parse(_ bytes: [UInt8]) -> Result {
        bytes.withUnsafeBytes { parse($0) }
    }

    /// Parses as much of `buf` (the current message from its first byte) as possible.
    public mutating func parse(_ buf: UnsafeRawBufferPointer) -> Result {
        if let failure { return .error(failure) }
        if !headComplete {
            switch scanHead(buf) {
            case .needMore: return .needMore
            case .error(let e): return fail(e)
            case .done: break
            }
        }
        return readBody(buf)
    }

    private mutating func fail(_ e: ParseError) -> Result {
        failure = e
        return .error(e)
    }

    // MARK: head

    private enum Step { case needMore, done, error(ParseError) }

    private mutating func scanHead(_ buf: UnsafeRawBufferPointer) -> Step {
        var i = scanned
        let n = buf.count
        while i < n {
            // Bytes above CR are skipped eight at a time (the usual zero-byte test for "any byte
            // below 0x0E"); the limits are checked where the skip stops.
            if i + 8 <= n {
                while i + 8 <= n {
                    if ByteWord.below(buf.loadUnaligned(fromByteOffset: i, as: UInt64.self), 0x0E) != 0 { break }
                    i += 8
                }
                if !requestLineDone {
                    if i - lineStart > limits.maxRequestLine { return .error(.requestLineTooLong) }
                } else if i - requestLineEnd > limits.maxHeaderBytes {
                    return .error(.headersTooLarge)
                }
                if i == n { break }
            }
            let b = buf[i]
            if b == 0x0A { return .error(.bareLineFeed) }
            if b != 0x0D {
                // Control bytes other than CR and LF are judged per line, but count towards the
                // limits like any byte, here: the answer must not depend on where the input was split.
                i += 1
                if !requestLineDone {
                    if i - lineStart > limits.maxRequestLine { return .error(.requestLineTooLong) }
                } else if i - requestLineEnd > limits.maxHeaderBytes {
                    return .error(.headersTooLarge)
                }
                continue
            }
            guard i + 1 < n else { break }  // CR at the end: wait for its LF
            guard buf[i + 1] == 0x0A else { return .error(.bareCarriageReturn) }
            let lineEnd = i
            i += 2
            if !requestLineDone {
                if lineEnd == lineStart {  // empty lines before the request line are ignored
                    lineStart = i
                    messageStart = i
                    if messageStart > limits.maxRequestLine { return .error(.malformedRequestLine("too many empty lines")) }
                    continue
                }
                if lineEnd - lineStart > limits.maxRequestLine { return .error(.requestLineTooLong) }
                if let e = parseRequestLine(buf, lineStart, lineEnd) { return .error(e) }
                requestLineDone = true
                requestLineEnd = i
            } else if lineEnd == lineStart {
                headEnd = i
                scanned = i
                return finishHead(buf)
            } else {
                if i - requestLineEnd > limits.maxHeaderBytes { return .error(.headersTooLarge) }
                if let e = parseField(buf, lineStart, lineEnd) { return .error(e) }
            }
            lineStart = i
        }
        scanned = i
        if !requestLineDone, i - lineStart > limits.maxRequestLine { return .error(.requestLineTooLong) }
        if requestLineDone, i - requestLineEnd > limits.maxHeaderBytes { return .error(.headersTooLarge) }
        return .needMore
    }

    private mutating func parseRequestLine(_ buf: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> ParseError? {
        var sp1 = -1, sp2 = -1
        for j in start..<end where buf[j] == 0x20 {
            if sp1 < 0 { sp1 = j } else if sp2 < 0 { sp2 = j } else { return .malformedRequestLine("too many spaces") }
        }
        guard sp1 > start, sp2 > sp1 + 1, sp2 < end - 1 else { return .malformedRequestLine("expected METHOD SP TARGET SP VERSION") }
        for j in start..<sp1 where !isTokenByte(buf[j]) { return .malformedRequestLine("invalid method") }
        for j in (sp1 + 1)..<sp2 where buf[j] < 0x21 || buf[j] > 0x7E { return .malformedRequestLine("invalid byte in request target") }
        let v = UnsafeRawBufferPointer(rebasing: buf[(sp2 + 1)..<end])
        // "HTTP/1.x" compared as one 8-byte word (little-endian: the last byte is the high one).
        let word = v.count == 8 ? v.loadUnaligned(as: UInt64.self) : 0
        let http1 = UInt64(0x2E31_2F50_5454_48)  // "HTTP/1." in the low seven bytes
        if word == http1 | 0x31 << 56 {
            version = .http1_1
        } else if word == http1 | 0x30 << 56 {
            version = .http1_0
        } else if v.count == 8, v.starts(with: "HTTP/".utf8), isDigit(v[5]), v[6] == 0x2E, isDigit(v[7]) {
            return .unsupportedVersion
        } else {
            return .malformedRequestLine("invalid HTTP version")
        }
        method = Method(bytes: UnsafeRawBufferPointer(rebasing: buf[start..<sp1]))
        let first = buf[sp1 + 1]
        if first == 0x2F {  // origin-form
            targetRange = (sp1 + 1)..<sp2
        } else if first == 0x2A, sp2 == sp1 + 2, method == .options {  // asterisk-form
            targetRange = (sp1 + 1)..<sp2
        } else if let (authority, rest) = Self.absoluteForm(buf, (sp1 + 1)..<sp2) {
            // RFC 9112 §3.2.2: accepted; routed by its path and query, the authority is the host.
            guard !authority.isEmpty else { return .malformedRequestLine("absolute-form target with an empty host") }
            if buf[authority].contains(0x40) { return .malformedRequestLine("userinfo in the request target") }
            authorityRange = authority
            targetRange = rest
        } else {
            return .malformedRequestLine("request target must be origin, absolute (http/https) or asterisk (OPTIONS) form")
        }
        return nil
    }

    /// `http://authority[/path][?query]` or the same with `https`, the scheme in any case: the
    /// authority's range and the range of what follows it (possibly empty).
    private static func absoluteForm(_ buf: UnsafeRawBufferPointer, _ target: Range<Int>) -> (Range<Int>, Range<Int>)? {
        var j = target.lowerBound
        for c in "http".utf8 {
            guard j < target.upperBound, asciiLower(buf[j]) == c else { return nil }
            j += 1
        }
        if j < target.upperBound, asciiLower(buf[j]) == 0x73 { j += 1 }  // "s"
        for c in "://".utf8 {
            guard j < target.upperBound, buf[j] == c else { return nil }
            j += 1
        }
        var end = j
        while end < target.upperBound, buf[end] != 0x2F, buf[end] != 0x3F { end += 1 }
        return (j..<end, end..<target.upperBound)
    }

    private mutating func parseField(_ buf: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> ParseError? {
        if buf[start] == 0x20 || buf[start] == 0x09 { return .obsoleteLineFolding }
        var colon = -1
        for j in start..<end {
            let b = buf[j]
            if b == 0x3A { colon = j; break }
            if !isTokenByte(b) {
                return .invalidHeader(b == 0x20 || b == 0x09 ? "whitespace before colon" : "invalid byte in field name")
            }
        }
        guard colon > start else { return .invalidHeader(colon < 0 ? "missing colon" : "empty field name") }
        var vs = colon + 1, ve = end
        while vs < ve, buf[vs] == 0x20 || buf[vs] == 0x09 { vs += 1 }
        while ve > vs, buf[ve - 1] == 0x20 || buf[ve - 1] == 0x09 { ve -= 1 }
        // Eight bytes at a time: a word with no byte below 0x20 and none equal to 0x7F is fine;
        // a word with one is judged byte by byte (a tab is allowed).
        var j = vs
        while j + 8 <= ve {
            let w = buf.loadUnaligned(fromByteOffset: j, as: UInt64.self)
            if ByteWord.below(w, 0x20) | ByteWord.equal(w, 0x7F) != 0 { break }
            j += 8
        }
        while j < ve {
            let b = buf[j]
            if (b < 0x20 && b != 0x09) || b == 0x7F { return .invalidHeader("control character in field value") }
            j += 1
        }
        if fields.isEmpty { fields.reserveCapacity(16) }  // one allocation for a usual head, not five
        fields.append(.init(nameStart: Int32(start), nameEnd: Int32(colon), valueStart: Int32(vs), valueEnd: Int32(ve)))
        if fields.count > limits.maxHeaderCount { return .tooManyHeaders }
        let name = UnsafeRawBufferPointer(rebasing: buf[start..<colon])
        let value = UnsafeRawBufferPointer(rebasing: buf[vs..<ve])
        if equalsLowercase(name, "content-length") {
            return noteContentLength(value)
        } else if equalsLowercase(name, "transfer-encoding") {
            for token in listElements(value) { transferCodings.append(token) }
        } else if equalsLowercase(name, "host") {
            hostCount += 1
        } else if equalsLowercase(name, "connection") {
            for token in listElements(value) {
                if token == "close" { connectionClose = true } else if token == "keep-alive" { connectionKeepAlive = true }
            }
        } else if equalsLowercase(name, "expect") {
            guard equalsLowercase(value, "100-continue") else { return .unsupportedExpectation }
            expectsContinue = true
        }
        return nil
    }

    private mutating func noteContentLength(_ value: UnsafeRawBufferPointer) -> ParseError? {
        // Comma-separated copies of one number (RFC 9112 §6.3), walked in place.
        var elementStart = 0
        while elementStart <= value.count {
            var elementEnd = elementStart
            while elementEnd < value.count, value[elementEnd] != 0x2C { elementEnd += 1 }
            var s = elementStart, e = elementEnd
            while s < e, value[s] == 0x20 || value[s] == 0x09 { s += 1 }
            while e > s, value[e - 1] == 0x20 || value[e - 1] == 0x09 { e -= 1 }
            guard s < e, e - s <= 18 else { return .invalidContentLength }
            var n = 0
            for j in s..<e {
                guard isDigit(value[j]) else { return .invalidContentLength }
                n = n * 10 + Int(value[j] - 0x30)
            }
            if let cl = contentLength, cl != n { return .invalidContentLength }
            contentLength = n
            elementStart = elementEnd + 1
        }
        return nil
    }

    private mutating func finishHead(_ buf: UnsafeRawBufferPointer) -> Step {
        if version == .http1_1, hostCount != 1 { return .error(.missingHost) }
        if hostCount > 1 { return .error(.missingHost) }
        if !transferCodings.isEmpty {
            if contentLength != nil { return .error(.contentLengthWithTransferEncoding) }
            if version == .http1_0 { return .error(.transferEncodingNotChunked) }
            guard transferCodings.last == "chunked" else { return .error(.transferEncodingNotChunked) }
            if let other = transferCodings.dropLast().first(where: { $0 != "chunked" }) {
                return .error(.unsupportedTransferCoding(other))
            }
            if transferCodings.count > 1 { return .error(.transferEncodingNotChunked) }
            chunked = true
        } else if let cl = contentLength, cl > limits.maxBodyBytes {
            return .error(.bodyTooLarge)
        }
        keepAlive = version == .http1_1 ? !connectionClose : (connectionKeepAlive && !connectionClose)
        let hasBody = chunked || (contentLength ?? 0) > 0
        if !hasBody || version == .http1_0 { expectsContinue = false }
        let base = messageStart
        rawHead = Array(UnsafeRawBufferPointer(rebasing: buf[base..<headEnd]))
        let shift = Int32(base)
        for k in fields.indices {
            fields[k].nameStart -= shift; fields[k].nameEnd -= shift
            fields[k].valueStart -= shift; fields[k].valueEnd -= shift
        }
        targetRange = (targetRange.lowerBound - base)..<(targetRange.upperBound - base)
        if let a = authorityRange { authorityRange = (a.lowerBound - base)..<(a.upperBound - base) }
        headComplete = true
        return .done
    }

    // MARK: body

    private mutating func readBody(_ buf: UnsafeRawBufferPointer) -> Result {
        let end: Int
        if chunked {
            switch chunk.decode(buf, from: headEnd, into: &body, limits: limits) {
            case .needMore: return .needMore
            case .error(let e): return fail(e)
            case .done(let at): end = at
            }
        } else {
            let cl = contentLength ?? 0
            guard buf.count - headEnd >= cl else { return .needMore }
            if cl > 0 { body = Array(UnsafeRawBufferPointer(rebasing: buf[headEnd..<(headEnd + cl)])) }
            end = headEnd + cl
        }
        let request = Request(method: method, version: version, keepAlive: keepAlive, rawHead: rawHead,
                              targetRange: targetRange, authorityRange: authorityRange, fieldRanges: fields, body: body)
        self = RequestParser(limits: limits)
        return .request(request, consumed: end)
    }
}

// MARK: byte helpers

/// RFC 9110 `tchar`: digits, letters and ``!#$%&'*+-.^_`|~``, as two bit masks (bytes 0-63 and
/// 64-127): no table to initialise or index.
@inlinable @inline(__always) public func isTokenByte(_ b: UInt8) -> Bool {
    let low: UInt64 = 0x03FF_6CFA_0000_0000
    let high: UInt64 = 0x57FF_FFFF_C7FF_FFFE
    return b < 64 ? (low >> UInt64(b)) & 1 != 0 : b < 128 ? (high >> UInt64(b - 64)) & 1 != 0 : false
}

@inline(__always) func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

/// Whether `bytes` equal the lowercase ASCII `lower`, ignoring the case of `bytes`.
func equalsLowercase(_ bytes: UnsafeRawBufferPointer, _ lower: StaticString) -> Bool {
    guard bytes.count == lower.utf8CodeUnitCount else { return false }
    let p = lower.utf8Start
    for j in 0..<bytes.count where asciiLower(bytes[j]) != p[j] { return false }
    return true
}

/// The non-empty, trimmed, lowercased elements of a comma-separated field value.
func listElements(_ value: UnsafeRawBufferPointer) -> [String] {
    value.split(separator: 0x2C).compactMap { element in
        let trimmed = element.drop { $0 == 0x20 || $0 == 0x09 }.reversed().drop { $0 == 0x20 || $0 == 0x09 }.reversed()
        return trimmed.isEmpty ? nil : String(decoding: trimmed.map(asciiLower), as: UTF8.self)
    }
}

import Glibc

/// An incremental HTTP/1.1 response parser for one connection.
///
/// Reads the status line and headers, then a body framed by `Content-Length`, by
/// `Transfer-Encoding: chunked`, or by the connection's close, and counts SSE events in the
/// (de-chunked) body: one per blank-line separator, `"\n\n"` (a `"\r"` between the two is
/// ignored, so `"\r\n\r\n"` counts too). Pure: bytes in, state out, no sockets.
struct ResponseParser {
    enum Outcome: Equatable {
        /// Every byte given was consumed and the response is not finished.
        case needMore
        /// The response ended after `consumed` bytes; bytes after them belong to the next one.
        case complete(consumed: Int)
        case malformed(String)
    }

    private enum State {
        case head, fixedBody, closeDelimited
        case chunkSize, chunkExtension, chunkSizeLF, chunkData, chunkDataCR, chunkDataLF
        case trailerLineStart, trailerLine, trailerEndLF
        case done
    }

    /// Largest status line + header block accepted.
    static let maxHead = 64 * 1024

    private var state = State.head
    private var head: [UInt8] = []
    /// How much of "\r\n\r\n" the head's tail matches.
    private var headMatch = 0
    private var remaining = 0
    private var lastWasLF = false

    private(set) var status = 0
    private(set) var keepAlive = true
    /// SSE events counted so far in this response's body.
    private(set) var events = 0
    /// De-chunked body bytes so far.
    private(set) var bodyBytes = 0

    init() { head.reserveCapacity(512) }

    /// Starts over for the next response on the same connection.
    mutating func reset() {
        state = .head
        head.removeAll(keepingCapacity: true)
        headMatch = 0
        remaining = 0
        lastWasLF = false
        status = 0
        keepAlive = true
        events = 0
        bodyBytes = 0
    }

    /// True once any byte of the current response has arrived.
    var started: Bool { state != .head || !head.isEmpty }

    /// The connection was closed by the peer: ends a close-delimited body, else the response is cut.
    mutating func finishAtEOF() -> Bool {
        if state == .closeDelimited { state = .done; return true }
        return state == .done
    }

    /// Feeds received bytes.
    mutating func feed(_ buf: UnsafeRawBufferPointer) -> Outcome {
        let n = buf.count
        var i = 0
        while i < n {
            switch state {
            case .head:
                // Copy up to and including the blank line that ends the head.
                var j = i
                while j < n {
                    let b = buf[j]
                    j += 1
                    switch (headMatch, b) {
                    case (0, 13), (2, 13): headMatch += 1
                    case (1, 10), (3, 10): headMatch += 1
                    case (_, 13): headMatch = 1
                    default: headMatch = 0
                    }
                    if headMatch == 4 { break }
                }
                head.append(contentsOf: buf[i..<j])
                i = j
                if head.count > Self.maxHead { return .malformed("response head over \(Self.maxHead) bytes") }
                if headMatch == 4 {
                    if let failure = parseHead() { return .malformed(failure) }
                    if state == .done { return .complete(consumed: i) }
                }
            case .fixedBody:
                let take = min(remaining, n - i)
                countEvents(buf, i, i + take)
                i += take
                remaining -= take
                if remaining == 0 { state = .done; return .complete(consumed: i) }
            case .closeDelimited:
                countEvents(buf, i, n)
                i = n
            case .chunkSize:
                let b = buf[i]
                i += 1
                if let d = Self.hexValue(b) {
                    guard remaining < (1 << 40) else { return .malformed("chunk size too large") }
                    remaining = remaining << 4 | d
                } else if b == 13 {
                    state = .chunkSizeLF
                } else if b == 10 {
                    endOfChunkSizeLine()
                } else if b == 59 || b == 32 || b == 9 {  // ';' extension, or whitespace before one
                    state = .chunkExtension
                } else {
                    return .malformed("bad chunk-size byte \(b)")
                }
            case .chunkExtension:
                if buf[i] == 10 { endOfChunkSizeLine() }
                i += 1
            case .chunkSizeLF:
                guard buf[i] == 10 else { return .malformed("chunk-size line not ended by CRLF") }
                i += 1
                endOfChunkSizeLine()
            case .chunkData:
                let take = min(remaining, n - i)
                countEvents(buf, i, i + take)
                i += take
                remaining -= take
                if remaining == 0 { state = .chunkDataCR }
            case .chunkDataCR:
                let b = buf[i]
                i += 1
                if b == 13 { state = .chunkDataLF } else if b == 10 { state = .chunkSize } else {
                    return .malformed("chunk data not followed by CRLF")
                }
            case .chunkDataLF:
                guard buf[i] == 10 else { return .malformed("chunk data not followed by CRLF") }
                i += 1
                state = .chunkSize
            case .trailerLineStart:
                let b = buf[i]
                i += 1
                if b == 13 { state = .trailerEndLF } else if b == 10 { state = .done; return .complete(consumed: i) } else {
                    state = .trailerLine
                }
            case .trailerLine:
                if buf[i] == 10 { state = .trailerLineStart }
                i += 1
            case .trailerEndLF:
                guard buf[i] == 10 else { return .malformed("trailer section not ended by CRLF") }
                i += 1
                state = .done
                return .complete(consumed: i)
            case .done:
                return .complete(consumed: i)
            }
        }
        return .needMore
    }

    private mutating func endOfChunkSizeLine() {
        if remaining == 0 { state = .trailerLineStart } else { state = .chunkData }
    }

    /// Counts "\n\n" (a CR between the two ignored) in `buf[from..<to]`, across calls; memchr
    /// finds the line feeds (a byte-at-a-time loop cost 60 % of the generator's CPU).
    private mutating func countEvents(_ buf: UnsafeRawBufferPointer, _ from: Int, _ to: Int) {
        bodyBytes += to - from
        guard let base = buf.baseAddress else { return }
        var p = from
        var lf = lastWasLF
        var count = 0
        while p < to {
            if lf {
                let b = buf[p]
                if b == 10 { count += 1; lf = false; p += 1; continue }
                if b == 13 { p += 1; continue }
                lf = false
            }
            guard let q = memchr(base + p, 10, to - p) else { break }
            p = UnsafeRawPointer(q) - base + 1
            lf = true
        }
        lastWasLF = lf
        events += count
    }

    @inline(__always)
    private static func hexValue(_ b: UInt8) -> Int? {
        switch b {
        case 48...57: return Int(b - 48)
        case 97...102: return Int(b - 87)
        case 65...70: return Int(b - 55)
        default: return nil
        }
    }

    // MARK: head

    /// Reads the status line and the framing headers; returns a failure description or nil.
    private mutating func parseHead() -> String? {
        // "HTTP/1.x SSS ..."
        guard head.count >= 12, head[0] == 72, head[1] == 84, head[2] == 84, head[3] == 80, head[4] == 47,
              head[5] == 49, head[6] == 46, head[8] == 32 else { return "bad status line" }
        let minor = head[7]
        var code = 0
        for k in 9..<12 {
            guard let d = Self.hexValue(head[k]), d < 10 else { return "bad status code" }
            code = code * 10 + d
        }
        status = code
        keepAlive = minor != 48  // HTTP/1.0 closes unless it says keep-alive
        var contentLength: Int?
        var chunked = false
        // Walk the header lines.
        var lineStart = Self.nextLine(head, from: 0)
        while lineStart < head.count {
            let lineEnd = Self.lineEnd(head, from: lineStart)
            if lineEnd == lineStart { break }
            guard let colon = head[lineStart..<lineEnd].firstIndex(of: 58) else { return "header line without ':'" }
            var vs = colon + 1
            while vs < lineEnd, head[vs] == 32 || head[vs] == 9 { vs += 1 }
            var ve = lineEnd
            while ve > vs, head[ve - 1] == 32 || head[ve - 1] == 9 { ve -= 1 }
            if Self.nameIs(head, lineStart, colon, "content-length") {
                var v = 0
                guard ve > vs else { return "empty Content-Length" }
                for k in vs..<ve {
                    guard let d = Self.hexValue(head[k]), d < 10, v < (1 << 40) else { return "bad Content-Length" }
                    v = v * 10 + d
                }
                if let c = contentLength, c != v { return "conflicting Content-Length" }
                contentLength = v
            } else if Self.nameIs(head, lineStart, colon, "transfer-encoding") {
                chunked = Self.valueEndsWith(head, vs, ve, "chunked")
                if !chunked { return "unsupported Transfer-Encoding" }
            } else if Self.nameIs(head, lineStart, colon, "connection") {
                if Self.valueContains(head, vs, ve, "close") { keepAlive = false }
                if Self.valueContains(head, vs, ve, "keep-alive") { keepAlive = true }
            }
            lineStart = Self.nextLine(head, from: lineEnd)
        }
        if code >= 100 && code < 200 && code != 101 {
            // Interim response: drop it and read the real one.
            head.removeAll(keepingCapacity: true)
            headMatch = 0
            state = .head
            return nil
        }
        if code == 204 || code == 304 { state = .done; return nil }
        if chunked {
            if contentLength != nil { return "both Content-Length and Transfer-Encoding" }
            remaining = 0
            state = .chunkSize
        } else if let c = contentLength {
            remaining = c
            state = c == 0 ? .done : .fixedBody
        } else {
            keepAlive = false
            state = .closeDelimited
        }
        return nil
    }

    /// Index just past the LF that ends the line containing `from`.
    private static func nextLine(_ h: [UInt8], from: Int) -> Int {
        var k = from
        while k < h.count, h[k] != 10 { k += 1 }
        return k + 1
    }

    /// Index of the line's CR (or LF) terminator.
    private static func lineEnd(_ h: [UInt8], from: Int) -> Int {
        var k = from
        while k < h.count, h[k] != 10 { k += 1 }
        if k > from, h[k - 1] == 13 { k -= 1 }
        return k
    }

    private static func lower(_ b: UInt8) -> UInt8 { b >= 65 && b <= 90 ? b | 0x20 : b }

    private static func nameIs(_ h: [UInt8], _ s: Int, _ e: Int, _ name: StaticString) -> Bool {
        guard e - s == name.utf8CodeUnitCount else { return false }
        let p = name.utf8Start
        for k in 0..<(e - s) where lower(h[s + k]) != p[k] { return false }
        return true
    }

    private static func valueContains(_ h: [UInt8], _ s: Int, _ e: Int, _ token: StaticString) -> Bool {
        let n = token.utf8CodeUnitCount
        guard e - s >= n else { return false }
        let p = token.utf8Start
        outer: for start in s...(e - n) {
            for k in 0..<n where lower(h[start + k]) != p[k] { continue outer }
            return true
        }
        return false
    }

    private static func valueEndsWith(_ h: [UInt8], _ s: Int, _ e: Int, _ token: StaticString) -> Bool {
        let n = token.utf8CodeUnitCount
        guard e - s >= n else { return false }
        let p = token.utf8Start
        for k in 0..<n where lower(h[e - n + k]) != p[k] { return false }
        return true
    }
}

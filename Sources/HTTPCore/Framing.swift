import Glibc

/// `Transfer-Encoding: chunked` framing for response bodies.
public enum Chunked {
    /// Appends one chunk holding `payload` (nothing for an empty payload, which would end the body).
    public static func append(_ payload: [UInt8], to out: inout [UInt8]) {
        let n = payload.count
        guard n > 0 else { return }
        appendHead(n, to: &out)
        out.append(contentsOf: payload)
        appendTail(to: &out)
    }

    /// The size line of a chunk of `count` (> 0) bytes; the payload and ``appendTail(to:)`` follow.
    public static func appendHead(_ count: Int, to out: inout [UInt8]) {
        withUnsafeTemporaryAllocation(byteCount: 20, alignment: 1) { b in
            let end = writeHead(count, at: b.baseAddress!)
            out.append(contentsOf: UnsafeRawBufferPointer(start: b.baseAddress, count: end - b.baseAddress!))
        }
    }

    /// Writes the size line of a chunk of `count` bytes (hexadecimal, CRLF; at most 18 bytes) at
    /// `p`; returns its end. For writers that fill their own buffer (``appendHead(_:to:)``, the
    /// server's batched stream chunks).
    @inlinable
    public static func writeHead(_ count: Int, at p: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer {
        var q = p
        var shift = max(0, (Int.bitWidth - count.leadingZeroBitCount + 3) / 4 * 4 - 4)
        while shift >= 0 {
            q.storeBytes(of: hexDigit(UInt8((count >> shift) & 0xF)), as: UInt8.self)
            q += 1
            shift -= 4
        }
        q.storeBytes(of: 0x0D, as: UInt8.self)
        (q + 1).storeBytes(of: 0x0A, as: UInt8.self)
        return q + 2
    }

    /// The line end after a chunk's payload.
    public static func appendTail(to out: inout [UInt8]) {
        out.append(0x0D); out.append(0x0A)
    }

    /// The last-chunk and empty trailer section that end a chunked body.
    public static let end: [UInt8] = Array("0\r\n\r\n".utf8)
}

/// Server-sent events framing (`field: value` lines, a blank line ends the event).
public enum SSE {
    /// `event: <name>\ndata: <data>\n\n`; multi-line data is split into several `data:` lines.
    public static func event(_ name: String?, data: [UInt8], id: String? = nil) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(data.count + 32)
        if let id { out += Array("id: \(id)\n".utf8) }
        if let name { out += Array("event: \(name)\n".utf8) }
        let hasNewline = data.withUnsafeBufferPointer { b in b.count > 0 && memchr(b.baseAddress!, 0x0A, b.count) != nil }
        if !hasNewline {  // the usual case: compact JSON has no raw newline
            out.appendLiteral("data: ")
            out.append(contentsOf: data)
            out.appendLiteral("\n\n")
            return out
        }
        for line in data.split(separator: 0x0A, omittingEmptySubsequences: false) {
            out += Array("data: ".utf8)
            out.append(contentsOf: line)
            out.append(0x0A)
        }
        out.append(0x0A)
        return out
    }

    /// One event whose `data:` is the JSON `write` produces, built in a single buffer (no copy of
    /// the JSON). Compact JSON has no raw newline; should `write` insert one (through `raw`), the
    /// data is split into several `data:` lines like ``event(_:data:id:)`` does.
    public static func jsonEvent(_ name: String? = nil, capacity: Int = 256, _ write: (inout JSONWriter) -> Void) -> [UInt8] {
        var w = JSONWriter(capacity: capacity)
        if let name { w.framing("event: "); w.framing(name); w.framing("\n") }
        w.framing("data: ")
        let start = w.count
        write(&w)
        let hasNewline = w.withBytes { b in memchr(b.baseAddress! + start, 0x0A, b.count - start) != nil }
        if hasNewline { return w.withBytes { event(name, data: Array($0[start...])) } }
        w.framing("\n\n")
        return w.bytes
    }

    /// A comment line, used as a heartbeat: `: <text>\n\n`.
    public static func comment(_ text: String) -> [UInt8] { Array(": \(text)\n\n".utf8) }
}

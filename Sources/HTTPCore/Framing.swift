import Glibc

/// `Transfer-Encoding: chunked` framing for response bodies.
public enum Chunked {
    /// Appends one chunk holding `payload` (nothing for an empty payload, which would end the body).
    public static func append(_ payload: [UInt8], to out: inout [UInt8]) {
        let n = payload.count
        guard n > 0 else { return }
        appendHex(n, to: &out)
        out.append(contentsOf: crlf)
        out.append(contentsOf: payload)
        out.append(contentsOf: crlf)
    }

    /// The last-chunk and empty trailer section that end a chunked body.
    public static let end: [UInt8] = Array("0\r\n\r\n".utf8)

    static func appendHex(_ value: Int, to out: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        var shift = (Int.bitWidth - value.leadingZeroBitCount + 3) / 4 * 4 - 4
        if shift < 0 { shift = 0 }
        while shift >= 0 {
            out.append(hex[(value >> shift) & 0xF])
            shift -= 4
        }
    }
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

    /// A comment line, used as a heartbeat: `: <text>\n\n`.
    public static func comment(_ text: String) -> [UInt8] { Array(": \(text)\n\n".utf8) }
}

import CNghttp2
import HTTPCore

/// A response head as HTTP/2 header fields, built from the same `Name: value\r\n` lines an
/// HTTP/1.1 head is written with: names lower-cased, connection-specific fields (RFC 9113
/// §8.2.2) and the handler's own framing fields dropped, `:status`, `date` and (for a complete
/// body) `content-length` added. Values first: the bytes and their field ranges; the `nghttp2_nv`
/// array is made only inside ``withFields(_:)``.
///
/// A plain value, built and used on one loop thread.
struct H2ResponseHead {
    /// Names and values, back to back.
    private(set) var bytes: [UInt8] = []
    /// (name start, name end, value end) into `bytes`; the value starts at the name's end.
    private(set) var ranges: [(Int, Int, Int)] = []

    /// Fields no HTTP/2 message may carry, and the ones the HTTP/2 framing replaces.
    static let dropped: Set<String> = ["connection", "keep-alive", "proxy-connection", "transfer-encoding",
                                       "upgrade", "content-length", "date"]

    init(status: Status, contentLength: Int?, date: [UInt8], lines: [UInt8]) {
        add(name: ":status".utf8, value: String(status.code).utf8)
        parse(lines: date, dropping: [])
        parse(lines: lines, dropping: Self.dropped)
        if let contentLength { add(name: "content-length".utf8, value: String(contentLength).utf8) }
    }

    private mutating func add(name: some Sequence<UInt8>, value: some Sequence<UInt8>) {
        let start = bytes.count
        bytes.append(contentsOf: name)
        let nameEnd = bytes.count
        bytes.append(contentsOf: value)
        ranges.append((start, nameEnd, bytes.count))
    }

    /// Reads `Name: value\r\n` lines; a line without a colon is skipped.
    private mutating func parse(lines: [UInt8], dropping: Set<String>) {
        var i = 0
        while i < lines.count {
            var end = i
            while end < lines.count, lines[end] != 0x0A { end += 1 }
            var lineEnd = end
            if lineEnd > i, lines[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            if let colon = lines[i..<lineEnd].firstIndex(of: 0x3A) {
                let name = lines[i..<colon].map { ($0 >= 0x41 && $0 <= 0x5A) ? $0 + 0x20 : $0 }
                var v = colon + 1
                while v < lineEnd, lines[v] == 0x20 || lines[v] == 0x09 { v += 1 }
                var ve = lineEnd
                while ve > v, lines[ve - 1] == 0x20 || lines[ve - 1] == 0x09 { ve -= 1 }
                if !name.isEmpty, !dropping.contains(String(decoding: name, as: UTF8.self)) {
                    add(name: name, value: lines[v..<ve])
                }
            }
            i = end + 1
        }
    }

    /// Calls `body` with the fields as an `nghttp2_nv` array (valid only inside `body`; the
    /// library copies them when a frame is submitted).
    func withFields<R>(_ body: (UnsafePointer<nghttp2_nv>, Int) -> R) -> R {
        var copy = bytes
        return copy.withUnsafeMutableBufferPointer { b in
            let base = b.baseAddress ?? UnsafeMutablePointer<UInt8>.allocate(capacity: 0)
            let nva = ranges.map { r in
                nghttp2_nv(name: base + r.0, value: base + r.1, namelen: r.1 - r.0, valuelen: r.2 - r.1,
                           flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue))
            }
            return nva.withUnsafeBufferPointer { body($0.baseAddress!, $0.count) }
        }
    }
}

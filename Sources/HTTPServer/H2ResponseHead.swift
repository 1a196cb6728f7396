import CNghttp2
import Glibc
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

    /// Fields no HTTP/2 message may carry, and the ones the HTTP/2 framing replaces (lower-case).
    static let dropped: [[UInt8]] = ["connection", "keep-alive", "proxy-connection", "transfer-encoding",
                                     "upgrade", "content-length", "date"].map { Array($0.utf8) }

    init(status: Status, contentLength: Int?, date: [UInt8], lines: [UInt8]) {
        bytes.reserveCapacity(date.count + lines.count + 32)
        ranges.reserveCapacity(16)
        add(name: ":status".utf8, value: String(status.code).utf8)
        parse(lines: date, dropFraming: false)
        parse(lines: lines, dropFraming: true)
        if let contentLength { add(name: "content-length".utf8, value: String(contentLength).utf8) }
    }

    private mutating func add(name: some Sequence<UInt8>, value: some Sequence<UInt8>) {
        let start = bytes.count
        bytes.append(contentsOf: name)
        let nameEnd = bytes.count
        bytes.append(contentsOf: value)
        ranges.append((start, nameEnd, bytes.count))
    }

    /// Reads `Name: value\r\n` lines; a line without a colon is skipped. The name is copied into
    /// `bytes`, lower-cased there, and taken back when the field is dropped: this runs once per
    /// HTTP/2 response, and a `Set<String>` lookup per line cost more than the rest of the head.
    private mutating func parse(lines: [UInt8], dropFraming: Bool) {
        lines.withUnsafeBufferPointer { l in
            var i = 0
            while i < l.count {
                let end = Self.find(0x0A, in: l, from: i, to: l.count)
                var lineEnd = end
                if lineEnd > i, l[lineEnd - 1] == 0x0D { lineEnd -= 1 }
                let colon = Self.find(0x3A, in: l, from: i, to: lineEnd)
                if colon < lineEnd, colon > i {
                    let start = bytes.count
                    bytes.append(contentsOf: UnsafeBufferPointer(rebasing: l[i..<colon]))
                    let nameEnd = bytes.count
                    let drop = bytes.withUnsafeMutableBufferPointer { b in
                        for k in start..<nameEnd where b[k] >= 0x41 && b[k] <= 0x5A { b[k] |= 0x20 }
                        return dropFraming && Self.isDropped(UnsafeBufferPointer(rebasing: b[start..<nameEnd]))
                    }
                    if drop {
                        bytes.removeLast(nameEnd - start)
                    } else {
                        var v = colon + 1
                        while v < lineEnd, l[v] == 0x20 || l[v] == 0x09 { v += 1 }
                        var ve = lineEnd
                        while ve > v, l[ve - 1] == 0x20 || l[ve - 1] == 0x09 { ve -= 1 }
                        bytes.append(contentsOf: UnsafeBufferPointer(rebasing: l[v..<ve]))
                        ranges.append((start, nameEnd, bytes.count))
                    }
                }
                i = end + 1
            }
        }
    }

    /// The index of the first `byte` in `l[from..<to]`, or `to`.
    private static func find(_ byte: UInt8, in l: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> Int {
        guard from < to, let base = l.baseAddress, let hit = memchr(base + from, Int32(byte), to - from) else { return to }
        return UnsafeRawPointer(hit) - UnsafeRawPointer(base)
    }

    private static func isDropped(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        for d in dropped where d.count == name.count {
            if d.withUnsafeBufferPointer({ memcmp($0.baseAddress!, name.baseAddress!, name.count) }) == 0 { return true }
        }
        return false
    }

    /// Calls `body` with the fields as an `nghttp2_nv` array (valid only inside `body`; the
    /// library copies them when a frame is submitted).
    /// `mutating` only so the bytes are lent without a copy; they do not change.
    mutating func withFields<R>(_ body: (UnsafePointer<nghttp2_nv>, Int) -> R) -> R {
        let ranges = self.ranges
        return bytes.withUnsafeMutableBufferPointer { b in
            let base = b.baseAddress ?? UnsafeMutablePointer<UInt8>.allocate(capacity: 0)
            let nva = ranges.map { r in
                nghttp2_nv(name: base + r.0, value: base + r.1, namelen: r.1 - r.0, valuelen: r.2 - r.1,
                           flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue))
            }
            return nva.withUnsafeBufferPointer { body($0.baseAddress!, $0.count) }
        }
    }
}

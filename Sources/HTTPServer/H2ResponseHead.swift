import CNghttp2
import Glibc
import HTTPCore

/// A response head as HTTP/2 header fields, built from the same `Name: value\r\n` lines an
/// HTTP/1.1 head is written with: names lower-cased, connection-specific fields (RFC 9113
/// §8.2.2) and the handler's own framing fields dropped, `:status`, `date` and (for a complete
/// body) `content-length` added. Values first: the bytes and their field ranges, written in one
/// pass into one allocation; the `nghttp2_nv` array is made only inside ``withFields(_:)``.
///
/// A plain value, built and used on one loop thread.
struct H2ResponseHead {
    /// Names and values, back to back.
    private(set) var bytes: [UInt8] = []
    /// (name start, name end, value end) into `bytes`; the value starts at the name's end.
    private(set) var ranges: [(Int, Int, Int)] = []

    init(status: Status, contentLength: Int?, date: [UInt8], lines: [UInt8]) {
        // One pass into one allocation: every field is at most as long as its line, and the
        // added ones (`:status`, `content-length`) fit in the 64 spare bytes.
        var ranges: [(Int, Int, Int)] = []
        ranges.reserveCapacity(16)
        bytes = [UInt8](unsafeUninitializedCapacity: date.count + lines.count + 64) { out, count in
            var at = 0
            Self.addNumber(name: ":status", status.code, to: out, at: &at, ranges: &ranges)
            date.withUnsafeBufferPointer { Self.parse(lines: $0, dropFraming: false, to: out, at: &at, ranges: &ranges) }
            lines.withUnsafeBufferPointer { Self.parse(lines: $0, dropFraming: true, to: out, at: &at, ranges: &ranges) }
            if let contentLength { Self.addNumber(name: "content-length", contentLength, to: out, at: &at, ranges: &ranges) }
            count = at
        }
        self.ranges = ranges
    }

    /// Writes `name` and the decimal digits of `n` (not negative) at `at`.
    private static func addNumber(name: StaticString, _ n: Int, to out: UnsafeMutableBufferPointer<UInt8>, at: inout Int,
                                  ranges: inout [(Int, Int, Int)]) {
        let start = at
        for k in 0..<name.utf8CodeUnitCount { out[at + k] = name.utf8Start[k] }
        at += name.utf8CodeUnitCount
        let nameEnd = at
        var digits = 1
        var rest = max(n, 0)
        while rest >= 10 { rest /= 10; digits += 1 }
        rest = max(n, 0)
        for k in stride(from: digits - 1, through: 0, by: -1) {
            out[at + k] = UInt8(truncatingIfNeeded: 0x30 + rest % 10)
            rest /= 10
        }
        at += digits
        ranges.append((start, nameEnd, at))
    }

    /// Reads `Name: value\r\n` lines into `out` from `at`: the name lower-cased, the value without
    /// surrounding blanks; a line without a colon is skipped, a dropped field is not written.
    private static func parse(lines l: UnsafeBufferPointer<UInt8>, dropFraming: Bool, to out: UnsafeMutableBufferPointer<UInt8>,
                              at: inout Int, ranges: inout [(Int, Int, Int)]) {
        var i = 0
        while i < l.count {
            let end = find(0x0A, in: l, from: i, to: l.count)
            var lineEnd = end
            if lineEnd > i, l[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            let colon = find(0x3A, in: l, from: i, to: lineEnd)
            if colon < lineEnd, colon > i {
                let start = at
                copyLowercased(l.baseAddress! + i, to: out.baseAddress! + at, count: colon - i)
                at += colon - i
                let nameEnd = at
                if dropFraming, isDropped(UnsafeBufferPointer(rebasing: out[start..<nameEnd])) {
                    at = start
                } else {
                    var v = colon + 1
                    while v < lineEnd, l[v] == 0x20 || l[v] == 0x09 { v += 1 }
                    var ve = lineEnd
                    while ve > v, l[ve - 1] == 0x20 || l[ve - 1] == 0x09 { ve -= 1 }
                    if ve > v { (out.baseAddress! + at).update(from: l.baseAddress! + v, count: ve - v) }
                    at += ve - v
                    ranges.append((start, nameEnd, at))
                }
            }
            i = end + 1
        }
    }

    /// Copies `count` bytes, `A`-`Z` lower-cased, eight at a time: per byte of the low seven
    /// bits, adding 0x3F sets the top bit from `A` up and adding 0x25 from `[` up (no carry
    /// leaves a byte); the difference, for bytes below 0x80, marks the capitals.
    static func copyLowercased(_ src: UnsafePointer<UInt8>, to dst: UnsafeMutablePointer<UInt8>, count: Int) {
        var k = 0
        while k + 8 <= count {
            let w = UnsafeRawPointer(src + k).loadUnaligned(as: UInt64.self)
            let low = w & 0x7F7F_7F7F_7F7F_7F7F
            let capitals = (low &+ 0x3F3F_3F3F_3F3F_3F3F) & ~(low &+ 0x2525_2525_2525_2525) & ~w & 0x8080_8080_8080_8080
            UnsafeMutableRawPointer(dst + k).storeBytes(of: w | capitals >> 2, as: UInt64.self)
            k += 8
        }
        while k < count {
            let b = src[k]
            dst[k] = b >= 0x41 && b <= 0x5A ? b | 0x20 : b
            k += 1
        }
    }

    /// The index of the first `byte` in `l[from..<to]`, or `to`.
    private static func find(_ byte: UInt8, in l: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> Int {
        guard from < to, let base = l.baseAddress, let hit = memchr(base + from, Int32(byte), to - from) else { return to }
        return UnsafeRawPointer(hit) - UnsafeRawPointer(base)
    }

    /// Fields no HTTP/2 message may carry (RFC 9113 §8.2.2), and the ones the HTTP/2 framing
    /// replaces: `connection`, `keep-alive`, `proxy-connection`, `transfer-encoding`, `upgrade`,
    /// `content-length`, `date`. `name` is lower-case; told apart by length and first byte first,
    /// as nearly every name a handler writes differs from all of them there.
    static func isDropped(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = name.first else { return false }
        let candidate: StaticString
        switch (name.count, first) {
        case (4, 0x64): candidate = "date"
        case (7, 0x75): candidate = "upgrade"
        case (10, 0x63): candidate = "connection"
        case (10, 0x6B): candidate = "keep-alive"
        case (14, 0x63): candidate = "content-length"
        case (16, 0x70): candidate = "proxy-connection"
        case (17, 0x74): candidate = "transfer-encoding"
        default: return false
        }
        return memcmp(candidate.utf8Start, name.baseAddress!, name.count) == 0
    }

    /// Calls `body` with the fields as an `nghttp2_nv` array (valid only inside `body`; the
    /// library copies them when a frame is submitted).
    /// `mutating` only so the bytes are lent without a copy; they do not change.
    mutating func withFields<R>(_ body: (UnsafePointer<nghttp2_nv>, Int) -> R) -> R {
        let ranges = self.ranges
        return bytes.withUnsafeMutableBufferPointer { b in
            // `:status` is always there, so the bytes are never empty.
            let base = b.baseAddress!
            return withUnsafeTemporaryAllocation(of: nghttp2_nv.self, capacity: ranges.count) { nva in
                for (i, r) in ranges.enumerated() {
                    nva[i] = nghttp2_nv(name: base + r.0, value: base + r.1, namelen: r.1 - r.0, valuelen: r.2 - r.1,
                                        flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue))
                }
                return body(UnsafePointer(nva.baseAddress!), ranges.count)
            }
        }
    }
}

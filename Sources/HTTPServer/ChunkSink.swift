import HTTPCore

/// Where ``ResponseStream/writeChunks(flush:_:)`` lets a producer append several chunks in one
/// call: each ``chunk(count:_:)`` frames its payload as the body's framing wants it (a size
/// line and a line end for a chunked body, nothing for a close-delimited one) and appends it
/// straight to the connection's output. Inlinable, so a producer's per-chunk closure costs no
/// call.
///
/// Concurrency: a value, lent to the producer for one call on the connection's loop thread.
public struct ChunkSink {
    @usableFromInline var out: [UInt8]
    @usableFromInline let chunked: Bool

    @usableFromInline init(out: [UInt8], chunked: Bool) {
        self.out = out
        self.chunked = chunked
    }

    /// Appends one chunk of exactly `count` bytes, which `fill` appends; nothing for `count` 0
    /// (an empty chunk would end the body).
    @inlinable
    public mutating func chunk(count: Int, _ fill: (inout [UInt8]) -> Void) {
        guard count > 0 else { return }
        if chunked { Self.appendSize(count, to: &out) }
        let start = out.count
        fill(&out)
        precondition(out.count - start == count, "a stream chunk wrote \(out.count - start) bytes, announced \(count)")
        if chunked {
            out.append(0x0D)
            out.append(0x0A)
        }
    }

    /// The chunk's size line: `count` in hexadecimal, CRLF.
    @inlinable
    static func appendSize(_ count: Int, to out: inout [UInt8]) {
        var shift = (Int.bitWidth - count.leadingZeroBitCount + 3) / 4 * 4 - 4
        while shift >= 0 {
            out.append(hexDigit(UInt8((count >> shift) & 0xF)))
            shift -= 4
        }
        out.append(0x0D)
        out.append(0x0A)
    }
}

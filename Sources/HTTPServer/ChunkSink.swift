import HTTPCore

/// Where ``ResponseStream/writeChunks(flush:_:)`` lets a producer append several chunks in one
/// call, framed as the body's framing wants them (a size line and a line end for a chunked
/// body, nothing for a close-delimited one). ``chunk(_:_:_:)`` copies a chunk made of three
/// parts into a scratch area on the stack, and the scratch goes to the connection's output in
/// one append when full or at the end of the call: no array append per part or per chunk.
/// Inlinable, so the producer's loop calls nothing per chunk but `memcpy`.
///
/// Concurrency: a value, lent to the producer for one call on the connection's loop thread
/// (its scratch lives only for that call).
public struct ChunkSink {
    @usableFromInline var out: [UInt8]
    @usableFromInline let chunked: Bool
    @usableFromInline let scratch: UnsafeMutableRawBufferPointer
    @usableFromInline var used = 0

    @usableFromInline init(out: [UInt8], chunked: Bool, scratch: UnsafeMutableRawBufferPointer) {
        self.out = out
        self.chunked = chunked
        self.scratch = scratch
    }

    /// Appends one chunk whose payload is `a`, `b` and `c` one after the other (nothing when
    /// all three are empty: an empty chunk would end the body).
    @inlinable
    public mutating func chunk(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer, _ c: UnsafeRawBufferPointer) {
        let count = a.count + b.count + c.count
        guard count > 0 else { return }
        let need = count + 20  // at most 16 hex digits and two line ends
        if used + need > scratch.count {
            if need > scratch.count {  // larger than the scratch: straight to the output
                chunk(count: count) { out in
                    out.append(contentsOf: a)
                    out.append(contentsOf: b)
                    out.append(contentsOf: c)
                }
                return
            }
            drain()
        }
        let base = scratch.baseAddress!
        var p = base + used
        if chunked { p = Chunked.writeHead(count, at: p) }
        p = Self.copy(a, to: p)
        p = Self.copy(b, to: p)
        p = Self.copy(c, to: p)
        if chunked {
            p.storeBytes(of: 0x0D, as: UInt8.self)
            (p + 1).storeBytes(of: 0x0A, as: UInt8.self)
            p += 2
        }
        used = p - base
    }

    /// Appends one chunk of exactly `count` bytes, which `fill` appends; nothing for `count` 0.
    @inlinable
    public mutating func chunk(count: Int, _ fill: (inout [UInt8]) -> Void) {
        guard count > 0 else { return }
        if chunked {
            if used + 20 > scratch.count { drain() }
            used = Chunked.writeHead(count, at: scratch.baseAddress! + used) - scratch.baseAddress!
        }
        drain()
        let start = out.count
        fill(&out)
        precondition(out.count - start == count, "a stream chunk wrote \(out.count - start) bytes, announced \(count)")
        if chunked {  // the line end waits in the scratch for what follows
            scratch.storeBytes(of: 0x0D, toByteOffset: 0, as: UInt8.self)
            scratch.storeBytes(of: 0x0A, toByteOffset: 1, as: UInt8.self)
            used = 2
        }
    }

    /// Moves what the scratch holds to the output.
    @inlinable
    mutating func drain() {
        guard used > 0 else { return }
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch[..<used]))
        used = 0
    }

    @inlinable
    static func copy(_ part: UnsafeRawBufferPointer, to p: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer {
        guard let from = part.baseAddress, part.count > 0 else { return p }
        p.copyMemory(from: from, byteCount: part.count)
        return p + part.count
    }
}

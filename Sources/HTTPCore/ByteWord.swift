/// Tests on eight bytes at once (a little-endian word loaded from a buffer), for the scanners
/// that skip runs of ordinary bytes: the request head, field values, JSON strings.
///
/// These are the usual zero-byte tricks. Each result is nonzero exactly when some byte matches;
/// a borrow can mark a byte above a real match as well, so the result says "somewhere in this
/// word", and the caller looks byte by byte from the word's start.
enum ByteWord {
    static let ones: UInt64 = 0x0101_0101_0101_0101
    static let highs: UInt64 = 0x8080_8080_8080_8080

    /// Nonzero when some byte of `w` is below `n` (`n` at most 0x80).
    @inline(__always)
    static func below(_ w: UInt64, _ n: UInt8) -> UInt64 { (w &- ones &* UInt64(n)) & ~w & highs }

    /// Nonzero when some byte of `w` equals `b`.
    @inline(__always)
    static func equal(_ w: UInt64, _ b: UInt8) -> UInt64 { below(w ^ (ones &* UInt64(b)), 1) }
}

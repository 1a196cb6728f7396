/// An MSB-first bit writer for H.264 RBSPs, with the exp-Golomb codes (ue/se) the syntax uses.
/// Sendable value; one instance is owned by one encoder and reused across NAL units.
struct H264BitWriter: Sendable {
    /// Completed bytes; the pending partial byte is not included until `alignZero`/`trailingBits`.
    private(set) var bytes: [UInt8] = []
    /// Pending bits, right-aligned; only the low `pending` bits matter.
    private var accumulator: UInt64 = 0
    private var pending = 0

    init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    /// True when the next bit starts a byte (the syntax's `byte_aligned()`).
    var isByteAligned: Bool { pending == 0 }

    /// Empties the writer but keeps its storage, so the next NAL unit does not allocate.
    mutating func reset() {
        bytes.removeAll(keepingCapacity: true)
        accumulator = 0
        pending = 0
    }

    /// Writes the low `count` bits of `value` (count ≤ 32), most significant first: u(n).
    @inline(__always)
    mutating func bits(_ value: UInt32, _ count: Int) {
        guard count > 0 else { return }
        // pending < 8 here, so at most 39 meaningful bits: no loss in 64.
        accumulator = (accumulator << UInt64(count)) | UInt64(value & (count == 32 ? ~0 : (1 << UInt32(count)) - 1))
        pending += count
        while pending >= 8 {
            pending -= 8
            bytes.append(UInt8(truncatingIfNeeded: accumulator >> UInt64(pending)))
        }
    }

    /// One flag bit: u(1).
    @inline(__always)
    mutating func flag(_ on: Bool) { bits(on ? 1 : 0, 1) }

    /// Unsigned exp-Golomb: ue(v).
    mutating func ue(_ value: Int) {
        precondition(value >= 0 && value < Int(UInt32.max), "ue(v) out of range")
        let codeNum = UInt64(value) + 1
        let length = 64 - codeNum.leadingZeroBitCount
        bits(0, length - 1)
        if length > 32 {
            bits(UInt32(truncatingIfNeeded: codeNum >> 32), length - 32)
            bits(UInt32(truncatingIfNeeded: codeNum), 32)
        } else {
            bits(UInt32(truncatingIfNeeded: codeNum), length)
        }
    }

    /// Signed exp-Golomb: se(v), mapping k > 0 to 2k−1 and k ≤ 0 to −2k.
    mutating func se(_ value: Int) { ue(value > 0 ? 2 * value - 1 : -2 * value) }

    /// Pads with zero bits to the next byte boundary.
    mutating func alignZero() {
        if pending > 0 { bits(0, 8 - pending) }
    }

    /// `rbsp_trailing_bits()`: a stop bit, then zero bits to the byte boundary.
    mutating func trailingBits() {
        bits(1, 1)
        alignZero()
    }
}

extension H264BitWriter {
    /// Appends a NAL unit (header byte, then `rbsp` with emulation prevention) to `out`: wherever two
    /// zero bytes are followed by a byte ≤ 3, a 0x03 is inserted so no start code can appear inside.
    static func appendNAL(header: UInt8, rbsp: [UInt8], to out: inout [UInt8]) {
        out.append(header)
        var zeros = 0
        rbsp.withUnsafeBufferPointer { src in
            for byte in src {
                if zeros >= 2 && byte <= 3 {
                    out.append(3)
                    zeros = 0
                }
                out.append(byte)
                zeros = byte == 0 ? zeros + 1 : 0
            }
        }
    }
}

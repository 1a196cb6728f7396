/// CRC-32 (ISO-HDLC: reflected polynomial 0xEDB88320, init and final XOR 0xFFFFFFFF), as PNG chunks
/// and gzip use it. `crc32(Array("123456789".utf8)) == 0xCBF43926`.
public func crc32(_ bytes: some Collection<UInt8>) -> UInt32 {
    var crc = CRC32()
    crc.update(bytes)
    return crc.value
}

/// Adler-32 (RFC 1950), the checksum that closes a zlib stream. `adler32(Array("123456789".utf8)) == 0x091E01DE`.
public func adler32(_ bytes: some Collection<UInt8>) -> UInt32 {
    var adler = Adler32()
    adler.update(bytes)
    return adler.value
}

/// A running CRC-32 that can be fed in pieces; Sendable value.
struct CRC32: Sendable {
    private var state: UInt32 = 0xFFFF_FFFF

    /// The checksum of everything fed so far.
    var value: UInt32 { state ^ 0xFFFF_FFFF }

    mutating func update(_ bytes: some Collection<UInt8>) {
        // Contiguous storage (arrays, slices) skips the generic iterator: the loop then compiles to plain loads.
        let done: Void? = bytes.withContiguousStorageIfAvailable { update(buffer: $0) }
        if done == nil {
            let table = crc32Table
            var c = state
            for b in bytes { c = table[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
            state = c
        }
    }

    mutating func update(buffer: UnsafeBufferPointer<UInt8>) {
        crc32Table.withUnsafeBufferPointer { table in
            var c = state
            for b in buffer { c = table[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
            state = c
        }
    }
}

/// The byte-at-a-time table for the reflected CRC-32 polynomial, built once.
let crc32Table: [UInt32] = (0..<256).map { n in
    var c = UInt32(n)
    for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    return c
}

/// A running Adler-32 that can be fed in pieces, including long runs of zeros in O(1); Sendable value.
struct Adler32: Sendable {
    private static let modulus: UInt32 = 65521
    /// Bytes that can be summed before `b` could overflow 32 bits (zlib's NMAX).
    private static let chunk = 5552
    private var a: UInt32 = 1
    private var b: UInt32 = 0

    /// The checksum of everything fed so far.
    var value: UInt32 { b << 16 | a }

    mutating func update(_ bytes: some Collection<UInt8>) {
        let done: Void? = bytes.withContiguousStorageIfAvailable { update(buffer: $0) }
        if done == nil { for byte in bytes { update(byte) } }
    }

    mutating func update(_ byte: UInt8) {
        a = (a + UInt32(byte)) % Self.modulus
        b = (b + a) % Self.modulus
    }

    mutating func update(buffer: UnsafeBufferPointer<UInt8>) {
        var i = 0
        let n = buffer.count
        while i < n {
            // Reduce once per chunk instead of once per byte: the sums cannot overflow within `chunk` bytes.
            let end = min(n, i + Self.chunk)
            var sa = a, sb = b
            while i < end { sa &+= UInt32(buffer[i]); sb &+= sa; i += 1 }
            a = sa % Self.modulus
            b = sb % Self.modulus
        }
    }

    /// Feeds `count` zero bytes: `a` stays, `b` grows by `count * a` (why a PNG row equal to the one above is free).
    mutating func updateZeros(count: Int) {
        precondition(count >= 0)
        b = UInt32((UInt64(b) + UInt64(count % Int(Self.modulus)) * UInt64(a)) % UInt64(Self.modulus))
    }
}

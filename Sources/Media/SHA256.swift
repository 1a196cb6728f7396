// SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104), for signing task callbacks.

extension Media {
    /// The SHA-256 digest of `bytes` (32 bytes).
    public static func sha256(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var hasher = SHA256Hasher()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// HMAC-SHA256 of `message` under `key` (32 bytes); keys longer than the 64-byte block are hashed first.
    public static func hmacSHA256(key: some Collection<UInt8>, message: some Collection<UInt8>) -> [UInt8] {
        var block = key.count > SHA256Hasher.blockSize ? sha256(key) : Array(key)
        block.append(contentsOf: repeatElement(0, count: SHA256Hasher.blockSize - block.count))
        var inner = SHA256Hasher()
        var pad = block
        for i in pad.indices { pad[i] ^= 0x36 }
        inner.update(pad)
        inner.update(message)
        let innerDigest = inner.finalize()
        var outer = SHA256Hasher()
        for i in pad.indices { pad[i] = block[i] ^ 0x5C }
        outer.update(pad)
        outer.update(innerDigest)
        return outer.finalize()
    }

    /// `bytes` as lowercase hexadecimal, two digits per byte.
    public static func hex(_ bytes: some Collection<UInt8>) -> String {
        let digits: StaticString = "0123456789abcdef"
        return String(unsafeUninitializedCapacity: bytes.count * 2) { out in
            let d = digits.utf8Start
            var i = 0
            for b in bytes {
                out[i] = d[Int(b >> 4)]
                out[i + 1] = d[Int(b & 0x0F)]
                i += 2
            }
            return i
        }
    }
}

/// An incremental SHA-256 computation: feed bytes with `update`, then take the digest once.
/// Sendable value; a copy continues independently from the same point.
struct SHA256Hasher: Sendable {
    static let blockSize = 64

    private var state = State()
    /// Bytes of an incomplete block; a tuple so that the hasher allocates nothing until `finalize`.
    private var pending: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
    private var pendingCount = 0
    private var totalBytes: UInt64 = 0

    /// The eight working hash words H0…H7, initially the fractional parts of the square roots of the first 8 primes.
    private struct State: Sendable {
        var h0: UInt32 = 0x6a09_e667, h1: UInt32 = 0xbb67_ae85, h2: UInt32 = 0x3c6e_f372, h3: UInt32 = 0xa54f_f53a
        var h4: UInt32 = 0x510e_527f, h5: UInt32 = 0x9b05_688c, h6: UInt32 = 0x1f83_d9ab, h7: UInt32 = 0x5be0_cd19
    }

    init() {}

    mutating func update(_ bytes: some Collection<UInt8>) {
        let done: Void? = bytes.withContiguousStorageIfAvailable { update(UnsafeRawBufferPointer($0)) }
        if done == nil { Array(bytes).withUnsafeBytes { update($0) } }
    }

    mutating func update(_ input: UnsafeRawBufferPointer) {
        guard let base = input.baseAddress, input.count > 0 else { return }
        totalBytes &+= UInt64(input.count)
        var offset = 0
        let count = input.count
        if pendingCount > 0 {
            let take = min(Self.blockSize - pendingCount, count)
            let filled = pendingCount
            withUnsafeMutableBytes(of: &pending) { $0.baseAddress!.advanced(by: filled).copyMemory(from: base, byteCount: take) }
            pendingCount += take
            offset = take
            guard pendingCount == Self.blockSize else { return }
            let block = pending
            withUnsafeBytes(of: block) { Self.compress(&state, $0.baseAddress!, blocks: 1) }
            pendingCount = 0
        }
        let whole = (count - offset) / Self.blockSize
        if whole > 0 {
            // Full blocks are hashed straight from the caller's memory: no copy, no allocation.
            Self.compress(&state, base + offset, blocks: whole)
            offset += whole * Self.blockSize
        }
        if offset < count {
            let rest = count - offset
            withUnsafeMutableBytes(of: &pending) { $0.baseAddress!.copyMemory(from: base + offset, byteCount: rest) }
            pendingCount = rest
        }
    }

    /// Pads (0x80, zeros, 64-bit big-endian bit length) and returns the digest.
    consuming func finalize() -> [UInt8] {
        let bitLength = totalBytes &* 8
        // One or two final blocks: two when fewer than 9 bytes remain after the pending data.
        var tail: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                   UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        let n = pendingCount
        let blocks = n < 56 ? 1 : 2
        let block = pending
        withUnsafeMutableBytes(of: &tail) { t in
            withUnsafeBytes(of: block) { t.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: n) }
            t[n] = 0x80
            t.storeBytes(of: bitLength.bigEndian, toByteOffset: blocks * Self.blockSize - 8, as: UInt64.self)
        }
        withUnsafeBytes(of: tail) { Self.compress(&state, $0.baseAddress!, blocks: blocks) }
        let s = state
        return [UInt8](unsafeUninitializedCapacity: 32) { out, count in
            let raw = UnsafeMutableRawBufferPointer(out)
            raw.storeBytes(of: s.h0.bigEndian, toByteOffset: 0, as: UInt32.self)
            raw.storeBytes(of: s.h1.bigEndian, toByteOffset: 4, as: UInt32.self)
            raw.storeBytes(of: s.h2.bigEndian, toByteOffset: 8, as: UInt32.self)
            raw.storeBytes(of: s.h3.bigEndian, toByteOffset: 12, as: UInt32.self)
            raw.storeBytes(of: s.h4.bigEndian, toByteOffset: 16, as: UInt32.self)
            raw.storeBytes(of: s.h5.bigEndian, toByteOffset: 20, as: UInt32.self)
            raw.storeBytes(of: s.h6.bigEndian, toByteOffset: 24, as: UInt32.self)
            raw.storeBytes(of: s.h7.bigEndian, toByteOffset: 28, as: UInt32.self)
            count = 32
        }
    }

    /// Runs the compression function over `blocks` consecutive 64-byte blocks at `p`.
    private static func compress(_ state: inout State, _ p: UnsafeRawPointer, blocks: Int) {
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { wBuffer in
            roundConstants.withUnsafeBufferPointer { kBuffer in
                let w = wBuffer.baseAddress!, k = kBuffer.baseAddress!
                var h0 = state.h0, h1 = state.h1, h2 = state.h2, h3 = state.h3
                var h4 = state.h4, h5 = state.h5, h6 = state.h6, h7 = state.h7
                for block in 0..<blocks {
                    let m = p + block &* 64
                    for t in 0..<16 {
                        w[t] = UInt32(bigEndian: m.loadUnaligned(fromByteOffset: t &* 4, as: UInt32.self))
                    }
                    var a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7
                    // Eight rounds per iteration with the working variables rotated through the
                    // argument list instead of shuffled, so no register moves between rounds. From
                    // round 16 on, each schedule word is computed just before its round, which lets
                    // the CPU overlap the schedule with the round chain.
                    var t = 0
                    while t < 64 {
                        if t >= 16 { for j in t..<(t &+ 8) { w[j] = schedule(w, j) } }
                        round(a, b, c, &d, e, f, g, &h, k[t] &+ w[t])
                        round(h, a, b, &c, d, e, f, &g, k[t &+ 1] &+ w[t &+ 1])
                        round(g, h, a, &b, c, d, e, &f, k[t &+ 2] &+ w[t &+ 2])
                        round(f, g, h, &a, b, c, d, &e, k[t &+ 3] &+ w[t &+ 3])
                        round(e, f, g, &h, a, b, c, &d, k[t &+ 4] &+ w[t &+ 4])
                        round(d, e, f, &g, h, a, b, &c, k[t &+ 5] &+ w[t &+ 5])
                        round(c, d, e, &f, g, h, a, &b, k[t &+ 6] &+ w[t &+ 6])
                        round(b, c, d, &e, f, g, h, &a, k[t &+ 7] &+ w[t &+ 7])
                        t &+= 8
                    }
                    h0 &+= a; h1 &+= b; h2 &+= c; h3 &+= d
                    h4 &+= e; h5 &+= f; h6 &+= g; h7 &+= h
                }
                state = State(h0: h0, h1: h1, h2: h2, h3: h3, h4: h4, h5: h5, h6: h6, h7: h7)
            }
        }
    }

    /// One SHA-256 round: `d += T1`, `h = T1 + T2`; the caller renames the other six variables.
    @inline(__always)
    private static func round(_ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: inout UInt32,
                              _ e: UInt32, _ f: UInt32, _ g: UInt32, _ h: inout UInt32, _ kw: UInt32) {
        let t1 = h &+ (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) &+ (g ^ (e & (f ^ g))) &+ kw
        let t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) &+ ((a & b) | (c & (a | b)))
        d &+= t1
        h = t1 &+ t2
    }

    /// Message schedule word `t` (16 ≤ t < 64) from the words before it.
    @inline(__always)
    private static func schedule(_ w: UnsafeMutablePointer<UInt32>, _ t: Int) -> UInt32 {
        let a = w[t &- 15], b = w[t &- 2]
        let s0 = rotr(a, 7) ^ rotr(a, 18) ^ (a &>> 3)
        let s1 = rotr(b, 17) ^ rotr(b, 19) ^ (b &>> 10)
        return w[t &- 16] &+ s0 &+ w[t &- 7] &+ s1
    }

    @inline(__always)
    private static func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x &>> n) | (x &<< (32 &- n)) }

    /// K: the fractional parts of the cube roots of the first 64 primes.
    private static let roundConstants: [UInt32] = [
        0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
        0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
        0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
        0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
        0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
        0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
        0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
        0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
    ]
}

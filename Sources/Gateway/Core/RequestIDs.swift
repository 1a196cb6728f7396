import Synchronization

/// Deterministic request ids: `req_` + 16 hex digits mixed from the seed and a counter + the
/// counter in 8 hex digits. Same seed and same request order give the same ids.
final class RequestIDs: Sendable {
    private let seed: UInt64
    private let counter = Atomic<UInt64>(0)

    init(seed: UInt64) { self.seed = seed }

    func next() -> String {
        let n = counter.add(1, ordering: .relaxed).newValue
        var z = seed &+ n &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return "req_" + hex(z, 16) + hex(n & 0xFFFF_FFFF, 8)
    }

    private func hex(_ v: UInt64, _ width: Int) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8](repeating: 0x30, count: width)
        var x = v
        for i in stride(from: width - 1, through: 0, by: -1) { out[i] = digits[Int(x & 0xF)]; x >>= 4 }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Deterministic new key secrets: `sk-byts-` + 32 hex digits from the seed and a counter.
final class SecretGenerator: Sendable {
    private let seed: UInt64
    private let counter = Atomic<UInt64>(0)

    init(seed: UInt64) { self.seed = seed ^ 0x5EC2_E7AA_11CE_0001 }

    func next() -> String {
        let n = counter.add(1, ordering: .relaxed).newValue
        func mix(_ x: UInt64) -> UInt64 {
            var z = x &* 0x9E37_79B9_7F4A_7C15
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        let digits = Array("0123456789abcdef".utf8)
        var out = Array("sk-byts-".utf8)
        for part in [mix(seed &+ n), mix(seed &+ n &+ 0xABCDEF)] {
            for shift in stride(from: 60, through: 0, by: -4) { out.append(digits[Int((part >> UInt64(shift)) & 0xF)]) }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

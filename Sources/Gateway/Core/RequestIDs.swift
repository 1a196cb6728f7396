import HTTPCore
import Synchronization

/// Deterministic request ids: `req_` + 16 hex digits mixed from the seed and a counter + the
/// counter in 8 hex digits. Same seed and same request order give the same ids.
final class RequestIDs: Sendable {
    private let seed: UInt64
    private let counter = Atomic<UInt64>(0)

    init(seed: UInt64) { self.seed = seed }

    func next() -> String {
        let n = counter.add(1, ordering: .relaxed).newValue
        let z = mix64(seed &+ n &* golden64)
        return String(unsafeUninitializedCapacity: 28) { out in
            out[0] = 0x72; out[1] = 0x65; out[2] = 0x71; out[3] = 0x5F  // "req_"
            for i in 0..<16 { out[4 + i] = hexDigit(UInt8((z >> UInt64(60 - 4 * i)) & 0xF)) }
            for i in 0..<8 { out[20 + i] = hexDigit(UInt8((n >> UInt64(28 - 4 * i)) & 0xF)) }
            return 28
        }
    }
}

/// Deterministic new key secrets: `sk-byts-` + 32 hex digits from the seed and a counter.
final class SecretGenerator: Sendable {
    private let seed: UInt64
    private let counter = Atomic<UInt64>(0)

    init(seed: UInt64) { self.seed = seed ^ 0x5EC2_E7AA_11CE_0001 }

    func next() -> String {
        let n = counter.add(1, ordering: .relaxed).newValue
        func mix(_ x: UInt64) -> UInt64 { mix64(x &* golden64) }
        let digits = Array("0123456789abcdef".utf8)
        var out = Array("sk-byts-".utf8)
        for part in [mix(seed &+ n), mix(seed &+ n &+ 0xABCDEF)] {
            for shift in stride(from: 60, through: 0, by: -4) { out.append(digits[Int((part >> UInt64(shift)) & 0xF)]) }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// The 64-bit golden-ratio increment of SplitMix64.
let golden64: UInt64 = 0x9E37_79B9_7F4A_7C15

/// SplitMix64's finaliser: a bijective mix in which every input bit affects every output bit.
/// The one mixing function behind the mock's deterministic ids.
func mix64(_ x: UInt64) -> UInt64 {
    var z = x
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

/// A deterministic id token: `length` base-62 characters for item `index` under `seed`. The
/// index is mixed before the character stream starts, so tokens of neighbouring indices are
/// unrelated (not shifted copies of each other).
func idToken(seed: UInt64, index: Int, length: Int = 24) -> String {
    let alphabet: StaticString = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    var state = seed ^ mix64(UInt64(truncatingIfNeeded: index) &+ golden64)
    let length = max(0, length)
    // The buffer may be larger than asked for: exactly `length` bytes are written and kept.
    return String(unsafeUninitializedCapacity: length) { out in
        for i in 0..<length {
            state = state &+ golden64
            out[i] = alphabet.utf8Start[Int(mix64(state) % 62)]
        }
        return length
    }
}

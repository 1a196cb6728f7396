/// Strict UTF-8 well-formedness (RFC 3629, Unicode table 3-7): what `String(decoding:)` would
/// silently repair with U+FFFD, found and located instead, so a parser can reject it.
///
/// Ill-formed: a continuation byte with no lead (stray), a lead byte without all its
/// continuations (truncated), an overlong form (`C0 80` for U+0000, `E0 80 80`), an encoded
/// surrogate (`ED A0 80` = U+D800), a code point above U+10FFFF (`F4 90 80 80`), and the bytes
/// that never occur (`C0`, `C1`, `F5`–`FF`).
///
/// ```swift
/// UTF8Validation.firstInvalid(in: Array("héllo".utf8))   // nil
/// UTF8Validation.firstInvalid(in: [0x61, 0xC3])          // 1 (truncated)
/// ```
/// Pure functions over their input: Sendable by construction.
public enum UTF8Validation {
    /// The offset of the first byte that does not start a well-formed sequence, or nil when
    /// all of `bytes` is well-formed.
    public static func firstInvalid(in bytes: UnsafeRawBufferPointer) -> Int? {
        var i = 0
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            if b < 0x80 { i += 1; continue }
            // The allowed range of the second byte and the sequence length, by lead byte.
            let second: ClosedRange<UInt8>
            let length: Int
            switch b {
            case 0xC2...0xDF: second = 0x80...0xBF; length = 2
            case 0xE0: second = 0xA0...0xBF; length = 3          // no overlong 3-byte forms
            case 0xE1...0xEC, 0xEE...0xEF: second = 0x80...0xBF; length = 3
            case 0xED: second = 0x80...0x9F; length = 3          // no surrogates (U+D800–DFFF)
            case 0xF0: second = 0x90...0xBF; length = 4          // no overlong 4-byte forms
            case 0xF1...0xF3: second = 0x80...0xBF; length = 4
            case 0xF4: second = 0x80...0x8F; length = 4          // nothing above U+10FFFF
            default: return i                                    // stray continuation, C0, C1, F5–FF
            }
            guard i + length <= n, second.contains(bytes[i + 1]) else { return i }
            for k in 2..<max(2, length) where !(0x80...0xBF).contains(bytes[i + k]) { return i }
            i += length
        }
        return nil
    }

    /// ``firstInvalid(in:)`` over an array.
    public static func firstInvalid(in bytes: [UInt8]) -> Int? {
        bytes.withUnsafeBytes { firstInvalid(in: $0) }
    }
}

/// Standard base64 (RFC 4648 §4, padded): `b64_json` image results.
func base64(_ bytes: [UInt8]) -> [UInt8] {
    let table = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    var out: [UInt8] = []
    out.reserveCapacity((bytes.count + 2) / 3 * 4)
    var i = 0
    while i + 3 <= bytes.count {
        let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
        out.append(table[Int(n >> 18 & 63)]); out.append(table[Int(n >> 12 & 63)])
        out.append(table[Int(n >> 6 & 63)]); out.append(table[Int(n & 63)])
        i += 3
    }
    let rest = bytes.count - i
    if rest > 0 {
        let n = UInt32(bytes[i]) << 16 | (rest == 2 ? UInt32(bytes[i + 1]) << 8 : 0)
        out.append(table[Int(n >> 18 & 63)]); out.append(table[Int(n >> 12 & 63)])
        out.append(rest == 2 ? table[Int(n >> 6 & 63)] : 0x3D)
        out.append(0x3D)
    }
    return out
}

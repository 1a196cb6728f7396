import Glibc

/// An IPv4 or IPv6 network in CIDR notation (`10.0.0.0/8`, `2001:db8::/32`). A bare address
/// means a single host. IPv4-mapped IPv6 peers (`::ffff:10.1.2.3`) match IPv4 networks.
public struct CIDR: Sendable, Equatable, CustomStringConvertible {
    let bytes: [UInt8]  // 4 or 16
    let prefix: Int
    public let description: String

    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let addr = CIDR.parseAddress(String(parts[0])) else { return nil }
        let maxPrefix = addr.count * 8
        if parts.count == 2 {
            guard let p = Int(parts[1]), (0...maxPrefix).contains(p) else { return nil }
            prefix = p
        } else {
            prefix = maxPrefix
        }
        bytes = addr
        description = text
    }

    /// Whether `address` (textual IPv4 or IPv6) lies in this network.
    public func contains(_ address: String) -> Bool {
        guard var a = CIDR.parseAddress(address) else { return false }
        if a.count == 16, bytes.count == 4, a[0..<10].allSatisfy({ $0 == 0 }), a[10] == 0xFF, a[11] == 0xFF {
            a = Array(a[12..<16])
        }
        guard a.count == bytes.count else { return false }
        var remaining = prefix
        for i in 0..<a.count where remaining > 0 {
            let bits = min(8, remaining)
            let mask: UInt8 = bits == 8 ? 0xFF : ~(0xFF >> UInt8(bits))
            if a[i] & mask != bytes[i] & mask { return false }
            remaining -= bits
        }
        return true
    }

    static func parseAddress(_ s: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, s, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, s, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }
}

/// A parsed query string: ordered name/value pairs, percent-decoded, `+` read as a space.
struct Query: Sendable {
    private(set) var items: [(name: String, value: String)] = []

    init(_ raw: String?) {
        guard let raw, !raw.isEmpty else { return }
        for part in raw.split(separator: "&", omittingEmptySubsequences: true) {
            let kv = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            items.append((Query.decode(kv[0]), kv.count > 1 ? Query.decode(kv[1]) : ""))
        }
    }

    /// Every value of `name`, in order.
    func values(_ name: String) -> [String] { items.filter { $0.name == name }.map(\.value) }

    /// The first value of `name`.
    func first(_ name: String) -> String? { items.first { $0.name == name }?.value }

    static func decode(_ s: Substring) -> String {
        var out: [UInt8] = []
        let b = Array(s.utf8)
        var i = 0
        while i < b.count {
            if b[i] == 0x2B { out.append(0x20); i += 1; continue }
            if b[i] == 0x25, i + 2 < b.count, let h = hex(b[i + 1]), let l = hex(b[i + 2]) {
                out.append(h << 4 | l)
                i += 3
                continue
            }
            out.append(b[i])
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hex(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x41...0x46: c - 0x41 + 10
        case 0x61...0x66: c - 0x61 + 10
        default: nil
        }
    }
}

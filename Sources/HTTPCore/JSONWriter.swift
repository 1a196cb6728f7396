/// A small streaming JSON writer for hot, fixed-shape responses. Strings are escaped per
/// RFC 8259 (quote, backslash, control bytes); valid UTF-8 passes through unchanged.
///
/// ```swift
/// var w = JSONWriter()
/// w.objectStart(); w.key("object"); w.string("list"); w.key("data"); w.arrayStart(); w.arrayEnd(); w.objectEnd()
/// // {"object":"list","data":[]}
/// ```
public struct JSONWriter: Sendable {
    public private(set) var bytes: [UInt8] = []
    private var needsComma: [Bool] = []
    private var afterKey = false

    public init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    public mutating func objectStart() { separate(); bytes.append(0x7B); needsComma.append(false) }
    public mutating func objectEnd() { needsComma.removeLast(); bytes.append(0x7D) }
    public mutating func arrayStart() { separate(); bytes.append(0x5B); needsComma.append(false) }
    public mutating func arrayEnd() { needsComma.removeLast(); bytes.append(0x5D) }

    public mutating func key(_ k: String) {
        separate()
        appendEscaped(k)
        bytes.append(0x3A)
        afterKey = true
    }

    public mutating func string(_ s: String) { separate(); appendEscaped(s) }
    public mutating func int(_ v: Int) { separate(); appendDecimal(v, to: &bytes) }
    public mutating func bool(_ v: Bool) { separate(); bytes += v ? Array("true".utf8) : Array("false".utf8) }
    public mutating func null() { separate(); bytes += Array("null".utf8) }
    /// A number written with a fixed count of decimals from an integer of `10^decimals` units,
    /// e.g. `fixed(1_500_000, decimals: 6)` writes `1.500000`. No floating point involved.
    public mutating func fixed(_ units: Int, decimals: Int) { separate(); appendFixed(units, decimals: decimals, to: &bytes) }
    /// Already-encoded JSON, inserted as one value.
    public mutating func raw(_ json: [UInt8]) { separate(); bytes += json }

    public mutating func strings(_ values: [String]) {
        arrayStart()
        for v in values { string(v) }
        arrayEnd()
    }

    private mutating func separate() {
        if afterKey { afterKey = false; return }
        if let last = needsComma.last {
            if last { bytes.append(0x2C) } else { needsComma[needsComma.count - 1] = true }
        }
    }

    private mutating func appendEscaped(_ s: String) {
        bytes.append(0x22)
        // Fast path: nothing to escape (the usual case), one bulk copy.
        var plain = true
        for b in s.utf8 where b < 0x20 || b == 0x22 || b == 0x5C { plain = false; break }
        if plain {
            bytes.append(contentsOf: s.utf8)
            bytes.append(0x22)
            return
        }
        for b in s.utf8 {
            switch b {
            case 0x22: bytes += [0x5C, 0x22]
            case 0x5C: bytes += [0x5C, 0x5C]
            case 0x0A: bytes += [0x5C, 0x6E]
            case 0x0D: bytes += [0x5C, 0x72]
            case 0x09: bytes += [0x5C, 0x74]
            case 0x08: bytes += [0x5C, 0x62]
            case 0x0C: bytes += [0x5C, 0x66]
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes += [0x5C, 0x75, 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 0xF)]]
            default: bytes.append(b)
            }
        }
        bytes.append(0x22)
    }
}

/// Appends `units / 10^decimals` with exactly `decimals` digits after the point.
public func appendFixed(_ units: Int, decimals: Int, to out: inout [UInt8]) {
    var scale = 1
    for _ in 0..<decimals { scale *= 10 }
    var v = units
    if v < 0 { out.append(0x2D); v = 0 &- v }
    appendDecimal(v / scale, to: &out)
    guard decimals > 0 else { return }
    out.append(0x2E)
    var frac = v % scale
    var digits = [UInt8](repeating: 0x30, count: decimals)
    var k = decimals - 1
    while frac > 0 { digits[k] = 0x30 + UInt8(frac % 10); frac /= 10; k -= 1 }
    out += digits
}

extension JSONWriter {
    /// Any parsed JSON value, compactly, keys in document order.
    public mutating func value(_ v: JSONValue) {
        switch v {
        case .null: null()
        case .bool(let b): bool(b)
        case .int(let i): int(i)
        case .double(let d): raw(Array(JSONWriter.format(d).utf8))
        case .string(let s): string(s)
        case .array(let a):
            arrayStart()
            for e in a { value(e) }
            arrayEnd()
        case .object(let o):
            objectStart()
            for (k, e) in zip(o.keys, o.values) { key(k); value(e) }
            objectEnd()
        }
    }

    /// A double as a JSON number: integral values keep one decimal (`1.0`), others the
    /// shortest round-trip form.
    public static func format(_ d: Double) -> String {
        guard d.isFinite else { return "0" }
        return "\(d)"
    }
}

extension JSONValue {
    /// The value encoded as compact JSON.
    public var encoded: [UInt8] {
        var w = JSONWriter(capacity: 64)
        w.value(self)
        return w.bytes
    }
}

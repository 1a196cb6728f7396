/// A small streaming JSON writer for hot, fixed-shape responses. Strings are escaped per
/// RFC 8259 (quote, backslash, control bytes); valid UTF-8 passes through unchanged.
///
/// ```swift
/// var w = JSONWriter()
/// w.objectStart(); w.key("object"); w.string("list"); w.key("data"); w.arrayStart(); w.arrayEnd(); w.objectEnd()
/// // {"object":"list","data":[]}
/// ```
///
/// The writer owns a plain byte buffer (so it is noncopyable): a byte written is a bounds check
/// and a store, where appending to an `[UInt8]` costs several out-of-line calls (uniqueness,
/// capacity, end of mutation). ``bytes`` copies the result out once.
public struct JSONWriter: ~Copyable {
    @usableFromInline var base: UnsafeMutablePointer<UInt8>
    @usableFromInline var used = 0
    @usableFromInline var capacity: Int
    /// Open containers.
    @usableFromInline var depth = 0
    /// Bit `d` set: the container at depth `d` (< 64) already holds a member.
    @usableFromInline var commas: UInt64 = 0
    /// The same for containers nested 64 and more deep.
    @usableFromInline var deepCommas: [Bool] = []
    @usableFromInline var afterKey = false

    public init(capacity: Int = 256) {
        self.capacity = Swift.max(32, capacity)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    /// The bytes written so far.
    public var bytes: [UInt8] { [UInt8](UnsafeBufferPointer(start: base, count: used)) }
    /// How many bytes are written so far.
    public var count: Int { used }

    /// Calls `body` with the bytes written so far (valid only inside `body`).
    public func withBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: base, count: used))
    }

    @inlinable public mutating func objectStart() { open(0x7B) }
    @inlinable public mutating func objectEnd() { close(0x7D) }
    @inlinable public mutating func arrayStart() { open(0x5B) }
    @inlinable public mutating func arrayEnd() { close(0x5D) }

    /// A member name written in code: copied as it is, without escaping (names in code are
    /// plain ASCII; a debug build checks).
    @inlinable @inline(__always)
    public mutating func key(_ k: StaticString) {
        separate()
        assert(k.hasPointerRepresentation && UnsafeBufferPointer(start: k.utf8Start, count: k.utf8CodeUnitCount)
            .allSatisfy { $0 >= 0x20 && $0 < 0x80 && $0 != 0x22 && $0 != 0x5C }, "key needs escaping: \(k)")
        let n = k.utf8CodeUnitCount
        reserve(n + 3)
        base[used] = 0x22
        (base + used + 1).update(from: k.utf8Start, count: n)
        base[used + n + 1] = 0x22
        base[used + n + 2] = 0x3A
        used += n + 3
        afterKey = true
    }

    /// A member name from data (a parsed object's key, a header name): escaped like any string.
    @inlinable
    public mutating func key(escaping k: String) {
        separate()
        appendEscaped(k)
        put(0x3A)
        afterKey = true
    }

    @inlinable public mutating func string(_ s: String) { separate(); appendEscaped(s) }
    @inlinable public mutating func string(_ s: Substring) { separate(); appendEscaped(s) }
    @inlinable
    public mutating func string(_ s: some StringProtocol) {
        separate()
        if s.utf8.withContiguousStorageIfAvailable({ appendEscaped($0) }) == nil { appendEscaped(String(s)) }
    }
    @inlinable public mutating func int(_ v: Int) { separate(); withDecimalDigits(v) { put($0) } }
    @inlinable
    public mutating func bool(_ v: Bool) {
        separate()
        if v { put("true") } else { put("false") }
    }
    @inlinable public mutating func null() { separate(); put("null") }
    /// A number written with a fixed count of decimals from an integer of `10^decimals` units,
    /// e.g. `fixed(1_500_000, decimals: 6)` writes `1.500000`. No floating point involved.
    public mutating func fixed(_ units: Int, decimals: Int) {
        separate()
        withFixedDigits(units, decimals: decimals) { put($0) }
    }
    /// Already-encoded JSON, inserted as one value.
    @inlinable public mutating func raw(_ json: [UInt8]) { separate(); json.withUnsafeBufferPointer { put($0) } }

    /// Already-encoded members (`"a":1,"b":2`, see ``encodeMembers(_:)``) inserted into the
    /// object being written, as if written one by one.
    @inlinable public mutating func members(_ encoded: [UInt8]) { separate(); encoded.withUnsafeBufferPointer { put($0) } }

    /// The members `write` produces inside an object, without the braces: a fixed run of members
    /// encoded once and inserted into many objects with ``members(_:)``.
    public static func encodeMembers(_ write: (inout JSONWriter) -> Void) -> [UInt8] {
        var w = JSONWriter(capacity: 128)
        w.objectStart()
        write(&w)
        w.objectEnd()
        return w.withBytes { Array($0.dropFirst().dropLast()) }
    }

    /// Bytes around the JSON text (a stream's framing, such as `data: ` and the blank line after
    /// it): appended as they are, outside the JSON structure.
    @inlinable public mutating func framing(_ s: StaticString) { put(s) }
    @inlinable
    public mutating func framing(_ s: String) {
        var s = s
        s.withUTF8 { put($0) }
    }

    public mutating func strings(_ values: [String]) {
        arrayStart()
        for v in values { string(v) }
        arrayEnd()
    }

    // MARK: the buffer

    /// Room for `n` more bytes.
    @inlinable @inline(__always)
    mutating func reserve(_ n: Int) {
        if used + n > capacity { grow(n) }
    }

    @usableFromInline
    mutating func grow(_ n: Int) {
        let newCapacity = Swift.max(capacity * 2, used + n)
        let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        bigger.moveInitialize(from: base, count: used)
        base.deallocate()
        base = bigger
        capacity = newCapacity
    }

    @inlinable @inline(__always)
    mutating func put(_ b: UInt8) {
        reserve(1)
        base[used] = b
        used += 1
    }

    @inlinable
    mutating func put(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let src = bytes.baseAddress, !bytes.isEmpty else { return }
        reserve(bytes.count)
        (base + used).update(from: src, count: bytes.count)
        used += bytes.count
    }

    @inlinable
    mutating func put(_ s: StaticString) { put(UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount)) }

    // MARK: structure

    @inlinable
    mutating func open(_ bracket: UInt8) {
        separate()
        put(bracket)
        if depth < 64 { commas &= ~(1 << UInt64(depth)) } else { deepCommas.append(false) }
        depth += 1
    }

    @inlinable
    mutating func close(_ bracket: UInt8) {
        depth -= 1
        if depth >= 64 { deepCommas.removeLast() }
        put(bracket)
    }

    @inlinable @inline(__always)
    mutating func separate() {
        if afterKey { afterKey = false; return }
        guard depth > 0 else { return }
        let d = depth - 1
        if d < 64 {
            let bit: UInt64 = 1 << UInt64(d)
            if commas & bit != 0 { put(0x2C) } else { commas |= bit }
        } else if deepCommas[d - 64] {
            put(0x2C)
        } else {
            deepCommas[d - 64] = true
        }
    }

    // MARK: strings

    @usableFromInline
    mutating func appendEscaped(_ s: String) {
        var s = s
        s.withUTF8 { appendEscaped($0) }
    }

    @usableFromInline
    mutating func appendEscaped(_ s: Substring) {
        var s = s
        s.withUTF8 { appendEscaped($0) }
    }

    /// `utf8` as a quoted JSON string. Room is made once (for a short string the bound of 6
    /// bytes per input byte, for a long one its exact length) and the bytes are stored without
    /// further checks.
    @usableFromInline
    mutating func appendEscaped(_ utf8: UnsafeBufferPointer<UInt8>) {
        reserve(utf8.count <= 1024 ? utf8.count * 6 + 2 : Self.stringLength(utf8))
        let start = used
        used += Self.writeString(utf8, to: base + used)
        assert(used <= capacity && used - start == Self.stringLength(utf8))
    }

    /// Appends `utf8` as a quoted JSON string: runs that need no escape are copied in bulk.
    public static func appendString(_ utf8: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        let n = stringLength(utf8)
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: n))
        out.withUnsafeMutableBufferPointer { b in _ = writeString(utf8, to: b.baseAddress! + start) }
    }

    /// Writes `utf8` as a quoted JSON string at `out` (which has room for ``stringLength(_:)``
    /// bytes); returns the count written. Runs that need no escape are copied in bulk, found
    /// eight bytes at a time.
    @usableFromInline
    static func writeString(_ utf8: UnsafeBufferPointer<UInt8>, to out: UnsafeMutablePointer<UInt8>) -> Int {
        var o = 0
        out[o] = 0x22; o += 1
        var run = 0
        var i = 0
        let n = utf8.count
        guard let src = utf8.baseAddress else { out[o] = 0x22; return o + 1 }
        while i < n {
            while i + 8 <= n, !needsEscape(UnsafeRawPointer(src + i).loadUnaligned(as: UInt64.self)) { i += 8 }
            if i == n { break }
            let b = src[i]
            if b >= 0x20, b != 0x22, b != 0x5C { i += 1; continue }
            if i > run { (out + o).update(from: src + run, count: i - run); o += i - run }
            out[o] = 0x5C; o += 1
            switch b {
            case 0x22: out[o] = 0x22; o += 1
            case 0x5C: out[o] = 0x5C; o += 1
            case 0x0A: out[o] = 0x6E; o += 1
            case 0x0D: out[o] = 0x72; o += 1
            case 0x09: out[o] = 0x74; o += 1
            case 0x08: out[o] = 0x62; o += 1
            case 0x0C: out[o] = 0x66; o += 1
            default:
                out[o] = 0x75; out[o + 1] = 0x30; out[o + 2] = 0x30
                out[o + 3] = hexDigit(b >> 4); out[o + 4] = hexDigit(b & 0xF)
                o += 5
            }
            i += 1
            run = i
        }
        if n > run { (out + o).update(from: src + run, count: n - run); o += n - run }
        out[o] = 0x22
        return o + 1
    }

    /// Whether any of the eight bytes in `word` is a control byte, a quote or a backslash.
    @inline(__always)
    static func needsEscape(_ word: UInt64) -> Bool {
        ByteWord.below(word, 0x20) | ByteWord.equal(word, 0x22) | ByteWord.equal(word, 0x5C) != 0
    }

    /// The length of `utf8` as a quoted JSON string (what ``appendString(_:to:)`` appends).
    public static func stringLength(_ utf8: UnsafeBufferPointer<UInt8>) -> Int {
        var n = utf8.count + 2
        for b in utf8 where b < 0x20 || b == 0x22 || b == 0x5C {
            switch b {
            case 0x22, 0x5C, 0x0A, 0x0D, 0x09, 0x08, 0x0C: n += 1
            default: n += 5
            }
        }
        return n
    }
}

/// Calls `body` with the decimal digits of `value` (and its sign), from a stack buffer.
@inlinable
public func withDecimalDigits<R>(_ value: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
    withFixedDigits(value, decimals: 0, body)
}

/// The lowercase hex digit for `v` (0...15).
@inlinable
public func hexDigit(_ v: UInt8) -> UInt8 { v < 10 ? 0x30 + v : 0x57 + v }

/// The value of the hex digit `c` (either case), or nil: the inverse of ``hexDigit(_:)``.
@inlinable
public func hexValue(_ c: UInt8) -> UInt8? {
    switch c {
    case 0x30...0x39: c - 0x30
    case 0x41...0x46: c - 0x41 + 10
    case 0x61...0x66: c - 0x61 + 10
    default: nil
    }
}

/// Appends `units / 10^decimals` with exactly `decimals` digits after the point.
public func appendFixed(_ units: Int, decimals: Int, to out: inout [UInt8]) {
    withFixedDigits(units, decimals: decimals) { out.append(contentsOf: $0) }
}

/// Calls `body` with `units` written as a decimal number with `decimals` (0...18) digits after
/// the point (`1500000`, 6 → `1.500000`), from a stack buffer: no floating point, no array.
@inlinable
public func withFixedDigits<R>(_ units: Int, decimals: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
    precondition((0...18).contains(decimals), "decimals out of range")
    var buffer: (UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0)  // 40 bytes: sign, 19 digits, point, 18 decimals
    return withUnsafeMutableBytes(of: &buffer) { raw in
        let d = raw.bindMemory(to: UInt8.self)
        var i = d.count
        var v = units.magnitude
        // Right to left: the decimals (zero-padded), the point, then the integer part.
        for _ in 0..<decimals {
            i -= 1
            d[i] = 0x30 + UInt8(v % 10)
            v /= 10
        }
        if decimals > 0 { i -= 1; d[i] = 0x2E }
        repeat {
            i -= 1
            d[i] = 0x30 + UInt8(v % 10)
            v /= 10
        } while v > 0
        if units < 0 { i -= 1; d[i] = 0x2D }
        return body(UnsafeBufferPointer(rebasing: d[i...]))
    }
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
            for m in o.members { key(escaping: m.key); value(m.value) }
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

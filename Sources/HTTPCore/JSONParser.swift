/// A strict RFC 8259 JSON parser over bytes: no trailing commas, no comments, no leading zeros,
/// control characters escaped in strings, nesting bounded (so hostile input cannot exhaust the
/// stack). Errors carry the line and column.
///
/// ```swift
/// let value = try JSONParser.parse(Array(#"{"a":[1,2.5,"x"]}"#.utf8))
/// value["a"]   // .array([.int(1), .double(2.5), .string("x")])
/// ```
public struct JSONParser {
    public struct Error: Swift.Error, Sendable, Equatable, CustomStringConvertible {
        public let message: String
        public let line: Int
        public let column: Int
        public var description: String { "line \(line), column \(column): \(message)" }
    }

    public static let defaultMaxDepth = 128

    private let bytes: UnsafeRawBufferPointer
    private var i = 0
    private let maxDepth: Int

    private init(_ bytes: UnsafeRawBufferPointer, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    /// Parses one JSON document (surrounding whitespace allowed).
    public static func parse(_ input: [UInt8], maxDepth: Int = defaultMaxDepth) throws(Error) -> JSONValue {
        let result: Result<JSONValue, Error> = input.withUnsafeBytes { buf in
            do throws(Error) { return .success(try parse(buf, maxDepth: maxDepth)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    public static func parse(_ buf: UnsafeRawBufferPointer, maxDepth: Int = defaultMaxDepth) throws(Error) -> JSONValue {
        var p = JSONParser(buf, maxDepth: maxDepth)
        p.skipWhitespace()
        let v = try p.value(depth: 0)
        p.skipWhitespace()
        guard p.i == buf.count else { throw p.error("unexpected data after the JSON value") }
        return v
    }

    private func error(_ message: String) -> Error {
        var line = 1, col = 1
        for k in 0..<min(i, bytes.count) {
            if bytes[k] == 0x0A { line += 1; col = 1 } else { col += 1 }
        }
        return Error(message: message, line: line, column: col)
    }

    private mutating func skipWhitespace() {
        while i < bytes.count {
            let b = bytes[i]
            guard b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 else { return }
            i += 1
        }
    }

    private mutating func value(depth: Int) throws(Error) -> JSONValue {
        guard i < bytes.count else { throw error("unexpected end of input") }
        switch bytes[i] {
        case 0x7B: return try object(depth: depth + 1)
        case 0x5B: return try array(depth: depth + 1)
        case 0x22: return .string(try string())
        case 0x74: try literal("true"); return .bool(true)
        case 0x66: try literal("false"); return .bool(false)
        case 0x6E: try literal("null"); return .null
        case 0x2D, 0x30...0x39: return try number()
        default: throw error("unexpected character '\(Character(Unicode.Scalar(bytes[i])))'")
        }
    }

    private mutating func literal(_ word: StaticString) throws(Error) {
        let n = word.utf8CodeUnitCount
        guard i + n <= bytes.count else { throw error("unexpected end of input") }
        for k in 0..<n where bytes[i + k] != word.utf8Start[k] { throw error("invalid literal") }
        i += n
    }

    private mutating func object(depth: Int) throws(Error) -> JSONValue {
        guard depth <= maxDepth else { throw error("nesting deeper than \(maxDepth) levels") }
        i += 1
        skipWhitespace()
        if i < bytes.count, bytes[i] == 0x7D { i += 1; return .object(JSONObject()) }
        var o = JSONObject(capacity: 6)  // most request objects are small: no regrowth
        while true {
            skipWhitespace()
            guard i < bytes.count, bytes[i] == 0x22 else { throw error("expected a string key") }
            let key = try string()
            skipWhitespace()
            guard i < bytes.count, bytes[i] == 0x3A else { throw error("expected ':' after key") }
            i += 1
            skipWhitespace()
            o.append(key, try value(depth: depth))
            skipWhitespace()
            guard i < bytes.count else { throw error("unexpected end of input in object") }
            if bytes[i] == 0x2C { i += 1; continue }
            if bytes[i] == 0x7D { i += 1; return .object(o) }
            throw error("expected ',' or '}'")
        }
    }

    private mutating func array(depth: Int) throws(Error) -> JSONValue {
        guard depth <= maxDepth else { throw error("nesting deeper than \(maxDepth) levels") }
        i += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if i < bytes.count, bytes[i] == 0x5D { i += 1; return .array(items) }
        while true {
            skipWhitespace()
            items.append(try value(depth: depth))
            skipWhitespace()
            guard i < bytes.count else { throw error("unexpected end of input in array") }
            if bytes[i] == 0x2C { i += 1; continue }
            if bytes[i] == 0x5D { i += 1; return .array(items) }
            throw error("expected ',' or ']'")
        }
    }

    /// A string's contents. Raw bytes must be well-formed UTF-8 (checked only when a string has
    /// a byte above 0x7F, over the raw input: escapes are ASCII there, and what they decode to is
    /// well-formed by construction).
    private mutating func string() throws(Error) -> String {
        i += 1
        let start = i
        var high: UInt8 = 0
        // Fast path: no escapes.
        while i < bytes.count {
            let b = bytes[i]
            if b == 0x22 {
                try checkUTF8(from: start, high: high)
                let s = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
                i += 1
                return s
            }
            if b == 0x5C { break }
            if b < 0x20 { throw error("control character in string") }
            high |= b
            i += 1
        }
        var out = Array(UnsafeRawBufferPointer(rebasing: bytes[start..<min(i, bytes.count)]))
        while i < bytes.count {
            let b = bytes[i]
            if b == 0x22 {
                try checkUTF8(from: start, high: high)
                i += 1
                return String(decoding: out, as: UTF8.self)
            }
            if b < 0x20 { throw error("control character in string") }
            if b != 0x5C { high |= b; out.append(b); i += 1; continue }
            i += 1
            guard i < bytes.count else { break }
            let e = bytes[i]
            i += 1
            switch e {
            case 0x22: out.append(0x22)
            case 0x5C: out.append(0x5C)
            case 0x2F: out.append(0x2F)
            case 0x62: out.append(0x08)
            case 0x66: out.append(0x0C)
            case 0x6E: out.append(0x0A)
            case 0x72: out.append(0x0D)
            case 0x74: out.append(0x09)
            case 0x75:
                var scalar = try hex4()
                if (0xD800...0xDBFF).contains(scalar) {
                    guard i + 1 < bytes.count, bytes[i] == 0x5C, bytes[i + 1] == 0x75 else { throw error("unpaired surrogate") }
                    i += 2
                    let low = try hex4()
                    guard (0xDC00...0xDFFF).contains(low) else { throw error("invalid surrogate pair") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(scalar) {
                    throw error("unpaired surrogate")
                }
                guard let u = Unicode.Scalar(scalar) else { throw error("invalid \\u escape") }
                out.append(contentsOf: Array(String(Character(u)).utf8))
            default:
                throw error("invalid escape '\\\(Character(Unicode.Scalar(e)))'")
            }
        }
        throw error("unterminated string")
    }

    /// Throws, pointing at the offending byte, when the raw string bytes from `start` to the
    /// closing quote at `i` are not well-formed UTF-8; `high` (every raw byte OR-ed) skips ASCII.
    private mutating func checkUTF8(from start: Int, high: UInt8) throws(Error) {
        guard high >= 0x80 else { return }
        let end = i
        guard let bad = UTF8Validation.firstInvalid(in: UnsafeRawBufferPointer(rebasing: bytes[start..<end])) else { return }
        i = start + bad
        let e = error("invalid UTF-8 in string (byte 0x\(String(bytes[i], radix: 16, uppercase: true)))")
        i = end
        throw e
    }

    private mutating func hex4() throws(Error) -> UInt32 {
        guard i + 4 <= bytes.count else { throw error("truncated \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            guard let d = hexValue(bytes[i]) else { throw error("invalid hex digit in \\u escape") }
            v = v << 4 | UInt32(d)
            i += 1
        }
        return v
    }

    private mutating func number() throws(Error) -> JSONValue {
        let start = i
        if bytes[i] == 0x2D { i += 1 }
        guard i < bytes.count, isDigit(bytes[i]) else { throw error("invalid number") }
        if bytes[i] == 0x30 {
            i += 1
            if i < bytes.count, isDigit(bytes[i]) { throw error("leading zeros are not allowed") }
        } else {
            while i < bytes.count, isDigit(bytes[i]) { i += 1 }
        }
        var integral = true
        if i < bytes.count, bytes[i] == 0x2E {
            integral = false
            i += 1
            guard i < bytes.count, isDigit(bytes[i]) else { throw error("expected digits after '.'") }
            while i < bytes.count, isDigit(bytes[i]) { i += 1 }
        }
        if i < bytes.count, bytes[i] == 0x65 || bytes[i] == 0x45 {
            integral = false
            i += 1
            if i < bytes.count, bytes[i] == 0x2B || bytes[i] == 0x2D { i += 1 }
            guard i < bytes.count, isDigit(bytes[i]) else { throw error("expected digits in exponent") }
            while i < bytes.count, isDigit(bytes[i]) { i += 1 }
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
        if integral, let n = Int(text) { return .int(n) }
        guard let d = Double(text), d.isFinite else { throw error("number out of range") }
        return .double(d)
    }
}

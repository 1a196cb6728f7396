// fuzz-modules: HTTPCore
// fuzz-max-len: 2048
// The JSON parser: any bytes parse or fail with an error inside the input; a parsed value respects
// the nesting limit, and written back out (as compact JSON) it parses to the same value.
@testable import HTTPCore

/// Compact JSON for `value`: the harness's own small writer, so the round trip does not depend on
/// the code under test.
func render(_ value: JSONValue, into out: inout [UInt8]) {
    switch value {
    case .null: out += Array("null".utf8)
    case .bool(let b): out += Array((b ? "true" : "false").utf8)
    case .int(let i): out += Array(String(i).utf8)
    case .double(let d): out += Array("\(d)".utf8)
    case .string(let s): renderString(s, into: &out)
    case .array(let items):
        out.append(0x5B)
        for (k, item) in items.enumerated() {
            if k > 0 { out.append(0x2C) }
            render(item, into: &out)
        }
        out.append(0x5D)
    case .object(let o):
        out.append(0x7B)
        for (k, m) in o.members.enumerated() {
            if k > 0 { out.append(0x2C) }
            renderString(m.key, into: &out)
            out.append(0x3A)
            render(m.value, into: &out)
        }
        out.append(0x7D)
    }
}

func renderString(_ s: String, into out: inout [UInt8]) {
    out.append(0x22)
    for b in s.utf8 {
        switch b {
        case 0x22: out += [0x5C, 0x22]
        case 0x5C: out += [0x5C, 0x5C]
        case 0..<0x20: out += Array("\\u00".utf8) + [hexDigit(b >> 4), hexDigit(b & 15)]
        default: out.append(b)
        }
    }
    out.append(0x22)
}

func hexDigit(_ v: UInt8) -> UInt8 { v < 10 ? 0x30 + v : 0x61 + v - 10 }

func depth(_ value: JSONValue) -> Int {
    switch value {
    case .array(let items): 1 + (items.map(depth).max() ?? 0)
    case .object(let o): 1 + (o.values.map(depth).max() ?? 0)
    default: 0
    }
}

/// Whether every number in `value` is finite (a non-finite double cannot be written as JSON).
func allFinite(_ value: JSONValue) -> Bool {
    switch value {
    case .double(let d): d.isFinite
    case .array(let items): items.allSatisfy(allFinite)
    case .object(let o): o.values.allSatisfy(allFinite)
    default: true
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSONParser(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let maxDepth = 16
    let value: JSONValue
    do {
        value = try JSONParser.parse(bytes, maxDepth: maxDepth)
    } catch {
        let lines = bytes.reduce(1) { $0 + ($1 == 0x0A ? 1 : 0) }
        guard error.line >= 1, error.line <= lines, error.column >= 1, error.column <= bytes.count + 1 else {
            fuzzFailure("error position \(error) outside an input of \(bytes.count) bytes, \(lines) lines")
        }
        return 0
    }
    guard depth(value) <= maxDepth + 1 else { fuzzFailure("nesting \(depth(value)) passed the limit \(maxDepth)") }
    guard allFinite(value) else { return 0 }
    var out: [UInt8] = []
    render(value, into: &out)
    let again: JSONValue
    do { again = try JSONParser.parse(out, maxDepth: maxDepth) } catch {
        fuzzFailure("the value written back does not parse: \(error)\n\(String(decoding: out, as: UTF8.self))")
    }
    guard again == value else {
        fuzzFailure("round trip changed the value:\n\(value)\n\(again)")
    }
    return 0
}

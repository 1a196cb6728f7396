#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Any JSON value, decoded generically. Used to check fixture files for unknown or misspelt
/// fields before typed decoding, and (later) for free-form request parts.
public enum JSONValue: Sendable, Equatable, Decodable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    public subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }
}

/// A JSON path such as `keys[3].ip_whitelist[0]`, for error messages.
func jsonPath(_ path: [any CodingKey]) -> String {
    var out = ""
    for k in path {
        if let i = k.intValue { out += "[\(i)]" } else { out += out.isEmpty ? k.stringValue : ".\(k.stringValue)" }
    }
    return out.isEmpty ? "(top level)" : out
}

/// Describes a decoding failure as `path: problem`.
func describe(_ error: DecodingError) -> String {
    switch error {
    case .typeMismatch(let type, let ctx):
        return "\(jsonPath(ctx.codingPath)): expected \(typeName(type))"
    case .valueNotFound(let type, let ctx):
        return "\(jsonPath(ctx.codingPath)): expected \(typeName(type)), found null"
    case .keyNotFound(let key, let ctx):
        return "\(jsonPath(ctx.codingPath + [key])): required field is missing"
    case .dataCorrupted(let ctx):
        let detail = (ctx.underlyingError.map { "\($0)" } ?? ctx.debugDescription)
        return "\(jsonPath(ctx.codingPath)): \(ctx.codingPath.isEmpty ? "not valid JSON: " : "")\(detail)"
    @unknown default:
        return "\(error)"
    }
}

private func typeName(_ t: Any.Type) -> String {
    switch t {
    case is String.Type: "a string"
    case is Int.Type, is Int64.Type: "an integer"
    case is Double.Type: "a number"
    case is Bool.Type: "true or false"
    case is [String].Type: "an array of strings"
    default: "\(t)"
    }
}

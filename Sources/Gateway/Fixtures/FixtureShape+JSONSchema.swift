/// Rendering the fixture shapes as JSON Schema (draft 2020-12) for editors: field completion,
/// descriptions on hover, enumerations, ranges, and `additionalProperties: false` wherever the
/// loader rejects unknown fields. `Fixtures/schema/<file>.schema.json` are these renderings; a
/// golden test keeps the files and the shapes equal (`RECORD_GOLDEN=1` rewrites them).
extension FixtureShape {
    /// A JSON value for the schema, members in a fixed order.
    indirect enum Node {
        case object([(String, Node)])
        case array([Node])
        case string(String)
        case number(Double)
        case bool(Bool)
        case null
    }

    /// The schema of this shape (nullable: `null` is accepted, as the loader reads it as absent).
    func node(nullable: Bool = false) -> [(String, Node)] {
        func type(_ name: String) -> (String, Node) {
            nullable ? ("type", .array([.string(name), .string("null")])) : ("type", .string(name))
        }
        switch self {
        case .string(let values, let format):
            if let values {
                return [("enum", .array(values.map(Node.string) + (nullable ? [.null] : [])))]
            }
            var out = [type("string")]
            switch format {
            case "date-time"?: out.append(("format", .string("date-time")))
            case "slug"?: out.append(("pattern", .string("^[!-\"$&-.0->@-~]+$")))  // printable ASCII but / ? # %
            case "secret"?: out += [("minLength", .number(8)), ("pattern", .string("^[^ \\t,]+$"))]
            case "size"?: out.append(("pattern", .string("^[0-9]{1,4}x[0-9]{1,4}$")))
            default: break
            }
            return out
        case .integer(let range):
            var out = [type("integer")]
            if let range {
                out.append(("minimum", .number(Double(range.lowerBound))))
                if range.upperBound != .max { out.append(("maximum", .number(Double(range.upperBound)))) }
            }
            return out
        case .number(let lo, let hi):
            var out = [type("number")]
            if let lo { out.append(("minimum", .number(lo))) }
            if let hi { out.append(("maximum", .number(hi))) }
            return out
        case .bool:
            return [type("boolean")]
        case .array(let items):
            return [type("array"), ("items", .object(items.node()))]
        case .object(let o):
            return o.node(nullable: nullable)
        case .map(let values):
            return [type("object"), ("additionalProperties", .object(values.node()))]
        case .anyOf(let options, let description):
            return [("description", .string(description)), ("anyOf", .array(options.map { .object($0.node()) }))]
        case .any(let description):
            return [("description", .string(description))]
        }
    }
}

extension FixtureObject {
    func node(nullable: Bool = false) -> [(String, FixtureShape.Node)] {
        let properties = fields.map { f -> (String, FixtureShape.Node) in
            (f.name, .object([("description", .string(f.doc))] + f.shape.node(nullable: !f.required && f.shape.isScalar)))
        }
        var out: [(String, FixtureShape.Node)] = [("type", .string("object")), ("properties", .object(properties))]
        let required = fields.filter(\.required).map { FixtureShape.Node.string($0.name) }
        if !required.isEmpty { out.append(("required", .array(required))) }
        out.append(("additionalProperties", .bool(false)))
        return out
    }

    /// The whole schema document of a fixture file.
    func jsonSchema(file: String) -> String {
        let head: [(String, FixtureShape.Node)] = [
            ("$schema", .string("https://json-schema.org/draft/2020-12/schema")),
            ("$id", .string("https://bytespike.ai/mock/schema/\(file.dropLast(5) + ".schema.json")")),
            ("title", .string("bytespike-mock \(file)")),
            ("description", .string("A fixture file of bytespike-mock (docs/fixtures.md). Generated from Sources/Gateway/Fixtures/FixtureSchema.swift.")),
        ]
        var text = ""
        FixtureShape.Node.object(head + node()).write(to: &text, indent: "")
        return text + "\n"
    }
}

extension FixtureShape {
    /// Strings, numbers and booleans: an optional one may be written as `null`.
    var isScalar: Bool {
        switch self {
        case .string, .integer, .number, .bool: true
        default: false
        }
    }
}

extension FixtureShape.Node {
    /// Two-space indented JSON; arrays of scalars stay on one line.
    func write(to out: inout String, indent: String) {
        switch self {
        case .object(let members):
            guard !members.isEmpty else { return out += "{}" }
            out += "{\n"
            for (i, (key, value)) in members.enumerated() {
                out += indent + "  " + Self.quote(key) + ": "
                value.write(to: &out, indent: indent + "  ")
                out += i == members.count - 1 ? "\n" : ",\n"
            }
            out += indent + "}"
        case .array(let items):
            if items.allSatisfy({ if case .object = $0 { false } else { true } }) {
                var parts: [String] = []
                for item in items {
                    var s = ""
                    item.write(to: &s, indent: indent)
                    parts.append(s)
                }
                out += "[" + parts.joined(separator: ", ") + "]"
                return
            }
            out += "[\n"
            for (i, item) in items.enumerated() {
                out += indent + "  "
                item.write(to: &out, indent: indent + "  ")
                out += i == items.count - 1 ? "\n" : ",\n"
            }
            out += indent + "]"
        case .string(let s): out += Self.quote(s)
        case .number(let d): out += FixtureShape.format(d)
        case .bool(let b): out += b ? "true" : "false"
        case .null: out += "null"
        }
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 { out += "\\u" + String(repeating: "0", count: 4 - String(u.value, radix: 16).count) + String(u.value, radix: 16) } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }
}

import HTTPCore

/// Builds one JSON value that satisfies a JSON Schema: the arguments of a default tool call and
/// the document of a `json_schema` structured output both come from here.
///
/// Supported: `$ref` into the same document (`#/$defs/…`, `#/definitions/…`, any `#/…` pointer),
/// `allOf` (merged), `anyOf`/`oneOf` (the first satisfiable branch that is not `null`), `enum`,
/// `const`, `type` as a string or list, `nullable`, Gemini's upper-case OpenAPI types, object
/// `properties`/`required`/`additionalProperties`/`minProperties`, array `items`/`prefixItems`/
/// `minItems`/`maxItems`/`uniqueItems`, numbers within `minimum`/`maximum`/`exclusive*`/
/// `multipleOf`, strings within `minLength`/`maxLength`, common `format`s and simple `pattern`s;
/// constraints the `anthropic` SDK moved into a `description` (`{minimum: 18}`) are read back from it.
///
/// Strings take `hint` (the last capitalised word of the user message) where the schema allows;
/// the seed picks the values that must look random (a `uuid`). The same schema, hint and seed give
/// the same value.
///
/// Every input is bounded: nesting depth, `$ref` recursion, values built, schema nodes visited and
/// array sizes all have fixed ceilings, past which the generator returns the smallest value of the
/// type; no schema can make it loop or grow without limit.
///
/// Concurrency: a value type used by one call at a time; `make` is a pure function.
struct SchemaInstance {
    /// Deepest schema nesting followed (past it, values are the smallest of their type).
    static let maxDepth = 24
    /// How many times one `$ref` may be open on the current path (a recursive model's depth).
    static let maxRefRepeat = 2
    /// Most values built in one instance.
    static let maxNodes = 2_000
    /// Most schema work in one instance, counted in members touched (a node visited costs its
    /// member count, as keyword look-ups scan it; a copy or merge costs the members copied).
    static let maxSteps = 1_000_000
    /// Most array items generated, whatever `minItems` asks.
    static let maxItems = 64
    /// Longest string generated, whatever `minLength` asks.
    static let maxString = 4_096
    /// Most padding characters in one instance (`minLength` stops being honoured past it).
    static let maxChars = 65_536

    let root: JSONValue
    let hint: String
    let seed: UInt64
    var nodes = 0
    var steps = 0
    /// Characters of the generated strings so far.
    var chars = 0
    /// The `$ref`s being expanded on the current path, innermost last.
    var refs: [String] = []

    /// A value valid against `schema` (as far as the supported keywords go).
    static func make(for schema: JSONValue, hint: String, seed: UInt64) -> JSONValue {
        var g = SchemaInstance(root: schema, hint: hint, seed: seed)
        return g.value(schema, depth: 0, variant: 0)
    }

    /// Whether the budgets are spent (then only minimal values are built).
    var exhausted: Bool { nodes >= Self.maxNodes || steps >= Self.maxSteps }

    /// Whether a recursive `$ref` is open: then only required members and `minItems` items are built.
    var lean: Bool { refs.count > Set(refs).count }

    /// The value for one schema node. `variant` (the index in a `uniqueItems` array) varies scalars.
    mutating func value(_ input: JSONValue, depth: Int, variant: Int) -> JSONValue {
        nodes += 1
        switch input {
        case .bool(false): return .null
        case .object: break
        default: return .string(hint)
        }
        let (schema, opened) = resolve(input, depth: depth)
        defer { refs.removeLast(opened) }
        guard case .object(let plain) = schema else { return .string(hint) }
        let s = Self.withDescriptionHints(plain)
        steps += s.count
        if let c = s["const"] { return c }
        if lean, Self.allowsNull(s) { return .null }
        if case .array(let options)? = s["enum"], let first = options.first(where: { $0 != .null }) ?? options.first {
            if variant > 0, options.count > variant { return options[variant] }
            return first
        }
        let type = Self.type(of: s)
        if depth >= Self.maxDepth || exhausted { return minimal(type) }
        switch type {
        case "object": return object(s, depth: depth, variant: variant)
        case "array": return array(s, depth: depth)
        case "integer", "number": return number(s, integer: type == "integer", variant: variant)
        case "boolean": return .bool(variant % 2 == 0)
        case "null": return .null
        default: return string(s, variant: variant)
        }
    }

    /// The smallest value of a type (what a spent budget or a too-deep path gets).
    func minimal(_ type: String) -> JSONValue {
        switch type {
        case "object": .object(JSONObject())
        case "array": .array([])
        case "integer": .int(0)
        case "number": .double(0)
        case "boolean": .bool(true)
        case "null": .null
        default: .string(hint)
        }
    }

    /// Required members always; optional ones unless a recursive `$ref` is open; then
    /// `additionalProperties` members up to `minProperties`. The variant reaches the members, so
    /// the objects of a `uniqueItems` array differ.
    mutating func object(_ s: JSONObject, depth: Int, variant: Int) -> JSONValue {
        let props: JSONObject = if case .object(let p)? = s["properties"] { p } else { JSONObject() }
        var required: [String] = []
        var requiredSet = Set<String>()
        if case .array(let names)? = s["required"] {
            for case .string(let n) in names.prefix(Self.maxNodes) where requiredSet.insert(n).inserted { required.append(n) }
        }
        let extra = s["additionalProperties"] ?? .bool(true)
        let minProps = min(Self.int(s["minProperties"]) ?? 0, Self.maxItems)
        var o = JSONObject(capacity: max(props.count, required.count))
        var seen = Set<String>()
        for m in props.members where !seen.contains(m.key) && (!lean || requiredSet.contains(m.key)) {
            seen.insert(m.key)
            o.append(m.key, value(m.value, depth: depth + 1, variant: variant))
        }
        for n in required where !seen.contains(n) {
            seen.insert(n)
            o.append(n, extra == .bool(false) ? .string(hint) : value(extra, depth: depth + 1, variant: variant))
        }
        let wantsExtra = props.count == 0 && required.isEmpty && !lean && Self.isSchemaObject(extra)
        var i = 0
        while (o.count < minProps || (wantsExtra && i == 0)) && extra != .bool(false) && i < Self.maxItems && !exhausted {
            i += 1
            let key = i == 1 ? "key" : "key\(i)"
            guard !seen.contains(key) else { continue }
            seen.insert(key)
            o.append(key, value(extra, depth: depth + 1, variant: 0))
        }
        return .object(o)
    }

    /// `prefixItems` (or a draft-7 `items` array) first, then `items`; one item unless
    /// `minItems`/`maxItems` say otherwise (only `minItems` while a recursive `$ref` is open).
    mutating func array(_ s: JSONObject, depth: Int) -> JSONValue {
        var prefix: [JSONValue] = []
        var rest: JSONValue? = s["items"]
        if case .array(let p)? = s["prefixItems"] { prefix = p } else if case .array(let p)? = s["items"] {
            prefix = p; rest = s["additionalItems"]
        }
        let minItems = min(Self.int(s["minItems"]) ?? 0, Self.maxItems)
        let maxItems = min(Self.int(s["maxItems"]) ?? Self.maxItems, Self.maxItems)
        let closed = rest == .bool(false)
        var count = lean ? minItems : max(minItems, prefix.isEmpty ? 1 : prefix.count)
        if closed { count = min(count, prefix.count) }
        count = max(0, min(count, maxItems))
        let unique = s["uniqueItems"] == .bool(true)
        var out: [JSONValue] = []
        out.reserveCapacity(count)
        for i in 0..<count where !exhausted {
            let item = i < prefix.count ? prefix[i] : (rest ?? .object(JSONObject()))
            out.append(value(item, depth: depth + 1, variant: unique ? i : 0))
        }
        return .array(out)
    }

    /// A non-negative integer keyword, or nil (negative, fractional or absurd values are ignored).
    static func int(_ v: JSONValue?) -> Int? {
        switch v {
        case .int(let i)? where i >= 0: i
        case .double(let d)? where d >= 0 && d < 1e9 && d == d.rounded(): Int(d)
        default: nil
        }
    }

    /// Whether `v` is a schema that constrains its instances (an object with any keyword).
    static func isSchemaObject(_ v: JSONValue) -> Bool {
        if case .object(let o) = v { return o.count > 0 }
        return false
    }
}

import HTTPCore

/// Reducing a schema node to one plain schema before a value is built: `$ref` followed, `allOf`
/// merged, one `anyOf`/`oneOf` branch chosen, and the instance type read.
extension SchemaInstance {
    /// Most rewrites of one node (each `$ref`, `allOf` or `anyOf` step is one).
    static let maxHops = 32
    /// Keywords that only annotate (dropped when siblings are merged into a `$ref` target).
    static let annotations: Set<String> = ["$ref", "$defs", "definitions", "$schema", "$id", "$comment", "title",
                                           "description", "default", "examples", "propertyOrdering"]

    /// `input` with its `$ref`, `allOf` and `anyOf`/`oneOf` resolved, and how many `$ref`s it opened
    /// on `refs` (the caller closes them once the node's value is built).
    mutating func resolve(_ input: JSONValue, depth: Int) -> (JSONValue, Int) {
        var node = input
        var opened = 0
        for _ in 0..<Self.maxHops {
            steps += 1
            guard !exhausted, depth < Self.maxDepth, case .object(let s) = node else { break }
            steps += s.count
            if case .string(let ref)? = s["$ref"] {
                guard let target = pointer(ref) else { return (.object(Self.without(s, ["$ref"])), opened) }
                guard refs.filter({ $0 == ref }).count <= Self.maxRefRepeat else {
                    // Too deep into a recursive model: only the target's type is kept.
                    var o = JSONObject(capacity: 1)
                    if case .object(let t) = target { o.append("type", .string(Self.type(of: t))) }
                    return (.object(o), opened)
                }
                refs.append(ref)
                opened += 1
                let siblings = Self.without(s, Self.annotations)
                node = siblings.count == 0 ? target : merge(target, .object(siblings))
            } else if case .array(let parts)? = s["allOf"] {
                var merged: JSONValue = .object(Self.without(s, ["allOf"]))
                for part in parts.prefix(Self.maxItems) where !exhausted {
                    let (resolved, n) = resolve(part, depth: depth + 1)
                    opened += n
                    merged = merge(merged, resolved)
                }
                node = merged
            } else if let key = ["anyOf", "oneOf"].first(where: { s[$0] != nil }), case .array(let branches)? = s[key] {
                node = merge(choose(branches), .object(Self.without(s, [key])))
            } else {
                break
            }
        }
        return (node, opened)
    }

    /// The first branch that can hold a value other than `null`; `null` itself while a recursive
    /// `$ref` is open (that ends the recursion).
    func choose(_ branches: [JSONValue]) -> JSONValue {
        let isNull: (JSONValue) -> Bool = { b in
            if case .object(let o) = b { return Self.type(of: o) == "null" && o["$ref"] == nil }
            return false
        }
        let satisfiable: (JSONValue) -> Bool = { b in
            if b == .bool(false) { return false }
            if case .object(let o) = b, case .object(let n)? = o["not"], n.count == 0 { return false }
            return true
        }
        if lean, let n = branches.first(where: isNull) { return n }
        return branches.first { satisfiable($0) && !isNull($0) } ?? branches.first ?? .object(JSONObject())
    }

    /// The node a local `$ref` points to (`#`, `#/$defs/Name`, `#/definitions/Name`, any
    /// `#/…` JSON Pointer), or nil for remote or anchor references.
    func pointer(_ ref: String) -> JSONValue? {
        guard ref.hasPrefix("#") else { return nil }
        let path = ref.dropFirst()
        if path.isEmpty { return root }
        guard path.hasPrefix("/") else { return nil }
        var node = root
        for raw in path.dropFirst().split(separator: "/", omittingEmptySubsequences: false).prefix(64) {
            let key = Self.unescape(raw)
            switch node {
            case .object(let o): guard let next = o[key] else { return nil }; node = next
            case .array(let a): guard let i = Int(key), a.indices.contains(i) else { return nil }; node = a[i]
            default: return nil
            }
        }
        return node
    }

    /// Two schemas as one (what `allOf` means for the keywords supported): properties united
    /// (a property in both becomes an `allOf` of the two), `required` united, lower bounds
    /// raised, upper bounds lowered, `type` and `enum` intersected; otherwise the first wins.
    mutating func merge(_ a: JSONValue, _ b: JSONValue) -> JSONValue {
        steps += 1
        guard case .object(let x) = a else { return b }
        guard case .object(let y) = b else { return a }
        steps += x.count + y.count
        var out = x
        for m in y.members {
            steps += 1
            guard let old = out[m.key] else { out.append(m.key, m.value); continue }
            // Replacing copies the members; a merge of two property maps compares them pairwise.
            steps += out.count
            if case .object(let p) = old, case .object(let q) = m.value, m.key == "properties" { steps += p.count * q.count }
            out = Self.replacing(out, m.key, with: Self.combine(m.key, old, m.value))
        }
        return .object(out)
    }

    /// One keyword present in both merged schemas.
    static func combine(_ key: String, _ old: JSONValue, _ new: JSONValue) -> JSONValue {
        switch key {
        case "properties":
            guard case .object(var p) = old, case .object(let q) = new else { return old }
            for m in q.members {
                if let prior = p[m.key] {
                    p = replacing(p, m.key, with: .object(allOf(prior, m.value)))
                } else {
                    p.append(m.key, m.value)
                }
            }
            return .object(p)
        case "required":
            guard case .array(let r) = old, case .array(let s) = new else { return old }
            return .array(r + s.filter { !r.contains($0) })
        case "minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties":
            guard let o = old.number, let n = new.number else { return old }
            return n > o ? new : old
        case "maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties":
            guard let o = old.number, let n = new.number else { return old }
            return n < o ? new : old
        case "type":
            let both = types(old).filter { t in types(new).contains(t) || (t == "integer" && types(new).contains("number")) }
                + (types(old).contains("number") && types(new).contains("integer") ? ["integer"] : [])
            return both.isEmpty ? old : .array(both.map { .string($0) })
        case "enum":
            guard case .array(let e) = old, case .array(let f) = new else { return old }
            let common = e.filter { f.contains($0) }
            return .array(common.isEmpty ? e : common)
        default:
            return old
        }
    }

    static func allOf(_ a: JSONValue, _ b: JSONValue) -> JSONObject {
        var o = JSONObject(capacity: 1)
        o.append("allOf", .array([a, b]))
        return o
    }

    /// The lower-cased type names of a `type` keyword (a string or a list).
    static func types(_ v: JSONValue?) -> [String] {
        switch v {
        case .string(let t)?: [t.lowercased()]
        case .array(let ts)?: ts.compactMap { if case .string(let t) = $0 { t.lowercased() } else { nil } }
        default: []
        }
    }

    /// The type to build: the first non-null `type` (upper-case OpenAPI names included), else
    /// the one the keywords imply, else `string`.
    static func type(of s: JSONObject) -> String {
        let listed = types(s["type"])
        if let t = listed.first(where: { $0 != "null" }) { return t }
        if !listed.isEmpty { return "null" }
        if s["properties"] != nil || s["required"] != nil || s["additionalProperties"] != nil || s["minProperties"] != nil {
            return "object"
        }
        if s["items"] != nil || s["prefixItems"] != nil || s["minItems"] != nil || s["maxItems"] != nil { return "array" }
        if s["minimum"] != nil || s["maximum"] != nil || s["multipleOf"] != nil
            || s["exclusiveMinimum"] != nil || s["exclusiveMaximum"] != nil { return "number" }
        return "string"
    }

    /// Whether the schema admits `null` (`nullable: true` or `null` in a `type` list).
    static func allowsNull(_ s: JSONObject) -> Bool {
        s["nullable"] == .bool(true) || types(s["type"]).contains("null")
    }

    /// A JSON Pointer segment with `~1` read as `/` and `~0` as `~`.
    static func unescape(_ raw: Substring) -> String {
        guard raw.contains("~") else { return String(raw) }
        var out = ""
        var tilde = false
        for c in raw {
            if tilde { out.append(c == "1" ? "/" : c == "0" ? "~" : c); tilde = false } else if c == "~" { tilde = true } else { out.append(c) }
        }
        return out
    }

    static func without(_ s: JSONObject, _ keys: Set<String>) -> JSONObject {
        var o = JSONObject(capacity: s.count)
        for m in s.members where !keys.contains(m.key) { o.append(m.key, m.value) }
        return o
    }

    static func replacing(_ s: JSONObject, _ key: String, with value: JSONValue) -> JSONObject {
        var o = JSONObject(capacity: s.count)
        for m in s.members { o.append(m.key, m.key == key ? value : m.value) }
        return o
    }
}

import HTTPCore

/// The request fields one endpoint defines: every member of the body, and of the nested objects
/// the provider validates as strictly, with whether the mock acts on it. The tables
/// (`RequestFields+Anthropic.swift`, `+OpenAI.swift`, `+Gemini.swift`) are the single source for
/// the strict-field check (``unknown(in:)``) and for the table in `docs/request-fields.md`
/// (``markdown``), so the two cannot drift.
///
/// ```swift
/// RequestFields.chat.unknown(in: ["model": "m", "bogus_field": 1])  // → one Unknown at top level
/// ```
///
/// Immutable values built once (static tables); `Sendable`.
struct RequestFields: Sendable {
    /// What the mock does with a known field.
    enum Use: String, Sendable {
        /// It changes the reply, its usage or its validation.
        case honoured
        /// Accepted (and, where the mock knows its type, type- and range-checked), without effect.
        case ignored
    }

    /// One known member.
    struct Field: Sendable {
        let name: String
        let use: Use
        let note: String

        static func honoured(_ name: String, _ note: String = "") -> Field { Field(name: name, use: .honoured, note: note) }
        static func ignored(_ name: String, _ note: String = "") -> Field { Field(name: name, use: .ignored, note: note) }
    }

    /// An object of the body whose members are checked. `path` is "" for the body itself, else
    /// dotted member names where `[]` means "each element of this array": `stream_options`,
    /// `contents[].parts[]`. Objects not listed (schemas, tool definitions, content blocks) are
    /// free-form for this check; their decoders validate what they use.
    struct Object: Sendable {
        let path: String
        let fields: [Field]
        /// False for a copy of another table's object (countTokens' wrapped request), which the
        /// docs list once, under its own endpoint.
        let inDocs: Bool
        /// The field names and the path's segments, precomputed: the check runs on every request.
        let names: Set<String>
        let segments: [String]

        init(_ path: String, _ fields: [Field], inDocs: Bool = true) {
            self.path = path
            self.fields = fields
            self.inDocs = inDocs
            names = Set(fields.map(\.name))
            segments = path.isEmpty ? [] : path.split(separator: ".").map(String.init)
        }
    }

    /// How the provider spells keys, which decides how a key is matched and an error worded.
    enum Dialect: Sendable {
        /// Anthropic: `messages.0.content`, pydantic's "Extra inputs are not permitted".
        case anthropic
        /// OpenAI Chat Completions: "Unrecognized request argument supplied" at the top level.
        case chat
        /// OpenAI Responses: "Unknown parameter: 'x'." everywhere.
        case responses
        /// Gemini proto3 JSON: a key matches in lowerCamel or snake_case; errors name the snake path.
        case gemini
    }

    /// Endpoint title for the docs (`Anthropic Messages`).
    let title: String
    /// The routes the table applies to, for the docs.
    let routes: String
    let dialect: Dialect
    let objects: [Object]

    /// One unknown member: where it sits (each step a member name and, inside arrays, the
    /// element index) and its key as the client spelled it.
    struct Unknown: Sendable, Equatable {
        var container: [Step]
        var key: String

        struct Step: Sendable, Equatable {
            var name: String
            var index: Int?
        }
    }

    /// Every unknown member of `body`, in table order and then body order. Objects are walked
    /// only where they exist and are JSON objects: a wrong type is the decoder's error.
    func unknown(in body: JSONObject) -> [Unknown] {
        var out: [Unknown] = []
        for object in objects {
            walk(body, object.segments[...], at: [], known: object.names, into: &out)
        }
        return out
    }

    private func walk(_ o: JSONObject, _ rest: ArraySlice<String>, at path: [Unknown.Step], known: Set<String>,
                      into out: inout [Unknown]) {
        guard let segment = rest.first else {
            for key in o.keys where !isKnown(key, known) {
                out.append(Unknown(container: path, key: key))
            }
            return
        }
        let each = segment.hasSuffix("[]")
        let name = each ? String(segment.dropLast(2)) : segment
        guard let (key, value) = member(o, name) else { return }
        switch (value, each) {
        case (.object(let inner), false):
            walk(inner, rest.dropFirst(), at: path + [.init(name: key)], known: known, into: &out)
        case (.array(let items), true):
            for (i, item) in items.enumerated() {
                guard case .object(let inner) = item else { continue }
                walk(inner, rest.dropFirst(), at: path + [.init(name: key, index: i)], known: known, into: &out)
            }
        default:
            return
        }
    }

    private func isKnown(_ key: String, _ known: Set<String>) -> Bool {
        if known.contains(key) { return true }
        return dialect == .gemini && known.contains(Self.lowerCamel(key))
    }

    /// The member `name` (Gemini: also its snake_case spelling) and the key it was found under.
    private func member(_ o: JSONObject, _ name: String) -> (String, JSONValue)? {
        if let v = o[name] { return (name, v) }
        guard dialect == .gemini else { return nil }
        let snake = Self.snakeCase(name)
        return o[snake].map { (snake, $0) }
    }

    /// `generationConfig` → `generation_config`. ASCII keys (all of the API's) by bytes; any
    /// other by Characters, with Unicode's idea of upper case.
    static func snakeCase(_ s: String) -> String {
        var uppers = 0
        var ascii = true
        for b in s.utf8 {
            if b >= 0x80 { ascii = false; break }
            if b &- 0x41 < 26 { uppers += 1 }
        }
        if ascii {
            if uppers == 0 { return s }
            let n = s.utf8.count + uppers
            return String(unsafeUninitializedCapacity: n) { out in
                var i = 0
                for b in s.utf8 {
                    if b &- 0x41 < 26 { out[i] = 0x5F; out[i + 1] = b | 0x20; i += 2 } else { out[i] = b; i += 1 }
                }
                return i
            }
        }
        var out = ""
        for c in s {
            if c.isUppercase { out.append("_"); out.append(contentsOf: c.lowercased()) } else { out.append(c) }
        }
        return out
    }

    /// `generation_config` → `generationConfig`.
    static func lowerCamel(_ s: String) -> String {
        if !s.utf8.contains(0x5F) { return s }  // no underscore: nothing to change
        var out = ""
        var upper = false
        for c in s {
            if c == "_" { upper = true; continue }
            out.append(contentsOf: upper ? c.uppercased() : String(c))
            upper = false
        }
        return out
    }
}

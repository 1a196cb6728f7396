import HTTPCore

/// Which entries a journal query, a wait or a verify selects (the matcher): every given
/// condition must hold. Summary conditions (surface, path, status, …) read the entry's fields;
/// content conditions (`bodyContains`, `body`, `json`, `headers`, `query`) read its captured
/// request, parsing the body only when one of them needs it.
///
/// ``differences(_:stopAtFirst:)`` says, field by field, why an entry does not match: the same
/// code decides a match and explains a near miss.
///
/// Concurrency: an immutable value once built (Sendable).
struct JournalFilter: Sendable {
    var session: String?
    var method: String?
    var surface: String?
    var path: String?
    var model: String?
    var key: String?
    var status: [ClosedRange<Int>] = []
    var faulted: Bool?
    var rule: String?
    var stream: Bool?
    /// Only entries after this journal index.
    var since = 0
    /// Texts the raw request body must contain (each of them).
    var bodyContains: [String] = []
    /// A JSON value the request body must contain: objects member by member (extra members
    /// allowed), arrays element by element (same length), scalars equal.
    var body: JSONValue?
    var json: [JSONCondition] = []
    var headers: [HeaderCondition] = []

    /// One condition on the values a path reaches in the request body.
    struct JSONCondition: Sendable {
        enum Test: Sendable {
            /// Some value equals this (through a wildcard, an array equals the list of values).
            case equals(JSONValue)
            /// Some value matches (strings as they are, other values as compact JSON).
            case matches(TextPattern)
            /// The path reaches a value (true) or none (false).
            case present(Bool)
        }
        var path: JSONPath
        var test: Test
    }

    /// One condition on a request header (name case-insensitive).
    struct HeaderCondition: Sendable {
        enum Test: Sendable {
            case present(Bool)
            case equals(String)
            case matches(TextPattern)
        }
        var name: String
        var test: Test
    }

    /// One way an entry differs from the filter.
    struct Difference: Sendable {
        var field: String
        var expected: String
        var actual: String
    }

    /// Whether any condition reads the captured request.
    var readsContent: Bool { !bodyContains.isEmpty || body != nil || !json.isEmpty || !headers.isEmpty }

    func matches(_ e: JournalEntry) -> Bool {
        if e.index <= since { return false }
        if let session, e.session != session { return false }
        return differences(e, stopAtFirst: true).isEmpty
    }

    /// The conditions `e` fails (session and `since` aside), in the order they are listed above.
    func differences(_ e: JournalEntry, stopAtFirst: Bool = false) -> [Difference] {
        var out: [Difference] = []
        func miss(_ field: String, _ expected: String, _ actual: String) -> Bool {
            out.append(Difference(field: field, expected: expected, actual: actual))
            return stopAtFirst
        }
        if let method, method.uppercased() != e.method, miss("method", method.uppercased(), e.method) { return out }
        if let surface, e.surface != surface, miss("surface", surface, e.surface) { return out }
        if let path, !glob(path, e.path), miss("path", path, e.path) { return out }
        if let model, !(e.model.map { glob(model, $0) } ?? false), miss("model", model, e.model ?? "none") { return out }
        if let key, e.keyID != key, miss("key", key, e.keyID ?? "none") { return out }
        if !status.isEmpty, !status.contains(where: { $0.contains(e.status) }),
           miss("status", status.map(Self.describe).joined(separator: " or "), String(e.status)) { return out }
        if let faulted, faulted == e.faults.isEmpty,
           miss("faulted", String(faulted), e.faults.isEmpty ? "no fault" : e.faults.map(\.ruleID).joined(separator: ", ")) { return out }
        if let rule, !e.faults.contains(where: { $0.ruleID == rule }),
           miss("rule", rule, e.faults.isEmpty ? "no fault" : e.faults.map(\.ruleID).joined(separator: ", ")) { return out }
        if let stream, e.stream != stream, miss("stream", String(stream), String(e.stream)) { return out }
        guard readsContent else { return out }
        let request = e.request
        let raw = request?.body ?? []
        for text in bodyContains where !Self.contains(raw, text) {
            if miss("body_contains", Self.quote(text), Self.excerpt(raw)) { return out }
        }
        if body != nil || !json.isEmpty {
            let parsed = try? JSONParser.parse(raw)
            if let body {
                if let parsed {
                    for d in Self.contained(body, in: parsed, at: "body") where miss(d.field, d.expected, d.actual) { return out }
                } else if miss("body", body.compact, "not JSON: " + Self.excerpt(raw)) { return out }
            }
            for c in json {
                let values = parsed.map { c.path.evaluate($0) } ?? []
                if !c.holds(values), miss("json " + c.path.description, c.expectation, c.describe(values)) { return out }
            }
        }
        for h in headers {
            let value = request?.header(h.name)
            if !h.holds(value), miss("header " + h.name.lowercased(), h.expectation, value.map { Redactor.header(h.name, $0) } ?? "absent") {
                return out
            }
        }
        return out
    }

    static func describe(_ r: ClosedRange<Int>) -> String {
        r.count == 1 ? String(r.lowerBound) : r.count == 100 && r.lowerBound % 100 == 0 ? "\(r.lowerBound / 100)xx" : "\(r.lowerBound)-\(r.upperBound)"
    }

    static func contains(_ haystack: [UInt8], _ needle: String) -> Bool {
        let n = Array(needle.utf8)
        guard !n.isEmpty else { return true }
        guard haystack.count >= n.count else { return false }
        return haystack.firstRange(of: n) != nil
    }

    static func quote(_ s: String) -> String { JSONValue.string(s).compact }

    /// The first bytes of a body, as text, for messages.
    static func excerpt(_ body: [UInt8], limit: Int = 160) -> String {
        if body.isEmpty { return "empty body" }
        let text = String(decoding: body.prefix(limit), as: UTF8.self)
        return body.count > limit ? text + "… (\(body.count) bytes)" : text
    }

    /// Where `expected` is not contained in `actual`, as differences named by their path.
    static func contained(_ expected: JSONValue, in actual: JSONValue, at path: String) -> [Difference] {
        switch (expected, actual) {
        case (.object(let e), .object(let a)):
            var out: [Difference] = []
            for m in e.members {
                let p = path + "." + m.key
                if let v = a[m.key] { out += contained(m.value, in: v, at: p) } else {
                    out.append(Difference(field: p, expected: m.value.compact, actual: "absent"))
                }
            }
            return out
        case (.array(let e), .array(let a)) where e.count == a.count:
            return zip(e, a).enumerated().flatMap { contained($1.0, in: $1.1, at: "\(path)[\($0)]") }
        default:
            return jsonEqual(expected, actual) ? [] : [Difference(field: path, expected: expected.compact, actual: actual.compact)]
        }
    }

    /// JSON equality with numbers compared by value (`1` equals `1.0`).
    static func jsonEqual(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.int, .double), (.double, .int): a.number == b.number
        case (.array(let x), .array(let y)): x.count == y.count && zip(x, y).allSatisfy { jsonEqual($0, $1) }
        case (.object(let x), .object(let y)):
            x.count == y.count && x.members.allSatisfy { m in y[m.key].map { jsonEqual(m.value, $0) } ?? false }
        default: a == b
        }
    }
}

extension JSONValue {
    /// Compact JSON text.
    var compact: String { String(decoding: encoded, as: UTF8.self) }

    /// A string's own text; any other value as compact JSON.
    var text: String {
        if case .string(let s) = self { return s }
        return compact
    }
}

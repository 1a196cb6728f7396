import HTTPCore

/// Evaluating and describing the content conditions (for near-miss messages).
extension JournalFilter.JSONCondition {
    func holds(_ values: [JSONValue]) -> Bool {
        switch test {
        case .present(let want): return values.isEmpty != want
        case .equals(let v):
            if path.hasWildcard, case .array(let list) = v, JournalFilter.jsonEqual(.array(values), .array(list)) { return true }
            return values.contains { JournalFilter.jsonEqual($0, v) }
        case .matches(let p): return values.contains { p.matches($0.text) }
        }
    }

    var expectation: String {
        switch test {
        case .present(let want): want ? "present" : "absent"
        case .equals(let v): v.compact
        case .matches(let p): "matches /\(p)/"
        }
    }

    func describe(_ values: [JSONValue]) -> String {
        switch values.count {
        case 0: "absent"
        case 1: JournalFilter.clip(values[0].compact)
        default: JournalFilter.clip(JSONValue.array(values).compact)
        }
    }
}

extension JournalFilter.HeaderCondition {
    func holds(_ value: String?) -> Bool {
        switch test {
        case .present(let want): (value != nil) == want
        case .equals(let v): value == v
        case .matches(let p): value.map { p.matches($0) } ?? false
        }
    }

    var expectation: String {
        switch test {
        case .present(let want): want ? "present" : "absent"
        case .equals(let v): JournalFilter.quote(Redactor.header(name, v))
        case .matches(let p): "matches /\(p)/"
        }
    }
}

extension JournalFilter {
    static func clip(_ s: String, limit: Int = 160) -> String {
        s.count > limit ? String(s.prefix(limit)) + "…" : s
    }
}

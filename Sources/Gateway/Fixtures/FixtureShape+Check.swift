import HTTPCore

extension FixtureShape {
    /// Checks `value` against the shape and records every problem found (not just the first):
    /// unknown fields (with the closest known name and the full list), missing required fields,
    /// wrong types, values outside an enumeration or a range. `null` counts as absent, as in the
    /// decoders.
    func check(_ value: JSONValue, file: String, path: String, into problems: FixtureProblems) {
        func report(_ problem: String) { problems.add(FixtureError(file: file, field: path.isEmpty ? "(top level)" : path, problem: problem)) }
        switch self {
        case .string(let values, let noun):
            guard case .string(let s) = value else { return report("expected \(expectation), found \(value.typeDescription)") }
            if let values, !values.contains(s) { report(Self.notOneOf(s, values, noun: noun ?? "value")) }
        case .integer(let range):
            guard case .int(let n) = value else { return report("expected \(expectation), found \(value.typeDescription)") }
            if let range, !range.contains(n) { report("must be \(expectation), found \(n)") }
        case .number(let lo, let hi):
            guard let d = value.number else { return report("expected \(expectation), found \(value.typeDescription)") }
            if let lo, d < lo { report("must be \(expectation), found \(Self.format(d))") }
            else if let hi, d > hi { report("must be \(expectation), found \(Self.format(d))") }
        case .bool:
            guard case .bool = value else { return report("expected true or false, found \(value.typeDescription)") }
        case .array(let items):
            guard case .array(let list) = value else { return report("expected \(expectation), found \(value.typeDescription)") }
            for (i, item) in list.enumerated() { items.check(item, file: file, path: "\(path)[\(i)]", into: problems) }
        case .map(let values):
            guard case .object(let o) = value else { return report("expected an object, found \(value.typeDescription)") }
            for m in o.members { values.check(m.value, file: file, path: Self.join(path, m.key), into: problems) }
        case .object(let shape):
            guard case .object(let o) = value else { return report("expected an object, found \(value.typeDescription)") }
            shape.check(o, file: file, path: path, into: problems)
        case .anyOf(let options, _):
            // The one option of the value's own JSON type explains best what is wrong (`unknown
            // surface`); among several (0, or 0.1 to 1000000), the value must satisfy one.
            let typed = options.filter { $0.admitsType(of: value) }
            if typed.count == 1 {
                typed[0].check(value, file: file, path: path, into: problems)
            } else if !typed.contains(where: { option in
                let trial = FixtureProblems()
                option.check(value, file: file, path: path, into: trial)
                return trial.isEmpty
            }) {
                report(typed.isEmpty ? "expected \(expectation), found \(value.typeDescription)"
                                     : "must be \(expectation), found \(value.number.map(Self.format) ?? value.typeDescription)")
            }
        case .any:
            break
        }
    }

    /// Whether `value` has this shape's JSON type (its contents aside).
    func admitsType(of value: JSONValue) -> Bool {
        switch (self, value) {
        case (.string, .string), (.integer, .int), (.bool, .bool), (.array, .array), (.object, .object), (.map, .object), (.any, _):
            true
        case (.number, _): value.number != nil
        case (.anyOf(let options, _), _): options.contains { $0.admitsType(of: value) }
        default: false
        }
    }

    static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// `unknown capability tag 'vison' (did you mean 'vision'?). Valid values: audio, cache_control, …`
    static func notOneOf(_ value: String, _ valid: [String], noun: String) -> String {
        let hint = FixtureShape.didYouMean(value, valid)
        return "unknown \(noun) '\(shown(value))'\(hint). Valid values: \(valid.joined(separator: ", "))"
    }

    /// ` (did you mean 'vision'?)` when a candidate is close to `word`, else empty.
    static func didYouMean(_ word: String, _ candidates: [String]) -> String {
        closest(to: word, in: candidates).map { " (did you mean '\($0)'?)" } ?? ""
    }

    /// `text` for a message: at most 60 characters, so a runaway value cannot flood the log.
    static func shown(_ text: String) -> String {
        text.count <= 60 ? text : String(text.prefix(57)) + "…"
    }

    /// The candidate nearest to `word` by edit distance, when near enough to be a typo (words
    /// longer than 64 bytes are no typo of a field name and get no suggestion).
    static func closest(to word: String, in candidates: [String]) -> String? {
        guard word.utf8.count <= 64 else { return nil }
        let w = Array(word.lowercased().utf8)
        var best: (String, Int)?
        for c in candidates {
            let d = editDistance(w, Array(c.lowercased().utf8))
            if d < (best?.1 ?? .max) { best = (c, d) }
        }
        guard let (name, d) = best else { return nil }
        return d <= max(2, min(w.count, name.utf8.count) / 3) ? name : nil
    }

    /// Levenshtein distance over bytes (names are ASCII).
    static func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        if a.isEmpty { return b.count }
        var previous = Array(0...b.count)
        var current = previous
        for i in 1...a.count {
            current[0] = i
            for j in stride(from: 1, through: b.count, by: 1) {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}

extension FixtureObject {
    /// Every unknown, missing or ill-shaped field of `object`.
    func check(_ object: JSONObject, file: String, path: String, into problems: FixtureProblems) {
        let known = fields.map(\.name)
        for m in object.members where field(m.key) == nil {
            let hint = FixtureShape.didYouMean(m.key, known)
            problems.add(FixtureError(file: file, field: FixtureShape.join(path, m.key),
                                      problem: "unknown field\(hint). Known fields of \(title): \(known.joined(separator: ", "))"))
        }
        for f in fields {
            let at = FixtureShape.join(path, f.name)
            guard let v = object[f.name], v != .null else {
                if f.required { problems.add(FixtureError(file: file, field: at, problem: "required field is missing (\(f.shape.expectation))")) }
                continue
            }
            f.shape.check(v, file: file, path: at, into: problems)
        }
    }
}

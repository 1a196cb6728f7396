import HTTPCore

/// Type and range checks for the request fields a surface accepts but does not act on
/// (`temperature`, `top_p`, `metadata`, …): each is still checked, so a wrong JSON type or a
/// value outside the provider's range is the provider's 400 naming the field, as the real API
/// would answer, instead of a 200 that hides a client bug.
///
/// ```swift
/// try r.check([("temperature", .number(0...2)), ("user", .string)])
/// // {"temperature": "hot"} → 400 "temperature: expected a number, found a string"
/// ```
extension BodyReader {
    /// What a field must hold.
    enum Field: Sendable {
        case string, bool, object, array
        /// An array of strings.
        case strings
        /// A number (integer or not) within the range.
        case number(ClosedRange<Double>)
        /// A whole number within the range (`100.0` counts as whole).
        case integer(ClosedRange<Int>)
        /// An object whose members are all strings (OpenAI `metadata`, Gemini `labels`).
        case stringMap
        /// An object whose members are all numbers within the range (OpenAI `logit_bias`).
        case numberMap(ClosedRange<Double>)
    }

    /// The integers a 32-bit protobuf field takes (Gemini's `int32` fields).
    static let int32 = Int(Int32.min)...Int(Int32.max)

    /// Checks every listed member that is present (null counts as absent); `key` maps a name to
    /// the spelling the body uses (Gemini's lowerCamel or snake_case).
    func check(_ fields: [(String, Field)], key: (String) -> String = { $0 }) throws(GatewayError) {
        for (name, field) in fields { try check(key(name), field) }
    }

    /// Checks one member against `field`, when present.
    func check(_ key: String, _ field: Field) throws(GatewayError) {
        guard let v = value(key) else { return }
        switch field {
        case .string: _ = try string(key)
        case .bool: _ = try bool(key)
        case .object: _ = try object(key)
        case .array: _ = try array(key)
        case .strings:
            guard case .array(let items) = v else { throw fail(key, "expected an array of strings, found \(v.typeDescription)") }
            for (i, item) in items.enumerated() {
                guard case .string = item else { throw fail("\(key)[\(i)]", "expected a string, found \(item.typeDescription)") }
            }
        case .number(let range):
            guard let d = try double(key) else { return }
            try within(key, d, range)
        case .integer(let range):
            guard let n = try int(key) else { return }
            guard range.contains(n) else { throw fail(key, "expected an integer \(Self.describe(range)), found \(n)") }
        case .stringMap, .numberMap:
            guard case .object(let o) = v else { throw fail(key, "expected an object, found \(v.typeDescription)") }
            for (k, member) in zip(o.keys, o.values) {
                if case .numberMap(let range) = field {
                    guard let d = member.number else { throw fail("\(key).\(k)", "expected a number, found \(member.typeDescription)") }
                    try within("\(key).\(k)", d, range)
                } else {
                    guard case .string = member else { throw fail("\(key).\(k)", "expected a string, found \(member.typeDescription)") }
                }
            }
        }
    }

    private func within(_ key: String, _ d: Double, _ range: ClosedRange<Double>) throws(GatewayError) {
        guard range.contains(d) else {
            throw fail(key, "expected a number from \(Self.plain(range.lowerBound)) to \(Self.plain(range.upperBound)), found \(Self.plain(d))")
        }
    }

    /// `2`, `0.5`, `1e+300`: whole numbers without a trailing `.0`.
    static func plain(_ d: Double) -> String {
        d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : JSONWriter.format(d)
    }

    /// `from 0 to 20`, `of at least 1`: an open end (`Int.max`, `Int.min`) is left unsaid.
    static func describe(_ range: ClosedRange<Int>) -> String {
        switch (range.lowerBound == Int.min, range.upperBound == Int.max) {
        case (false, false): "from \(range.lowerBound) to \(range.upperBound)"
        case (false, true): "of at least \(range.lowerBound)"
        case (true, false): "of at most \(range.upperBound)"
        case (true, true): ""
        }
    }
}

import HTTPCore

/// Reads one JSON object of a fixture file, field by field, reporting any problem as a
/// ``FixtureError`` that names the file and the field's path (`keys[3].ip_whitelist[0]`).
struct FixtureReader {
    let file: String
    let path: String
    let object: JSONObject

    /// The top-level object of `bytes`.
    static func root(_ bytes: [UInt8], file: String) throws(FixtureError) -> FixtureReader {
        let value: JSONValue
        do { value = try JSONParser.parse(bytes) } catch {
            throw FixtureError(file: file, field: "(top level)", problem: "not valid JSON: \(error)")
        }
        guard case .object(let o) = value else {
            throw FixtureError(file: file, field: "(top level)", problem: "expected a JSON object")
        }
        return FixtureReader(file: file, path: "", object: o)
    }

    func at(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func fail(_ key: String, _ problem: String) -> FixtureError {
        FixtureError(file: file, field: at(key), problem: problem)
    }

    /// Rejects members not in `known` (a misspelt field would otherwise be silently ignored).
    func allowOnly(_ known: Set<String>) throws(FixtureError) {
        for k in object.keys where !known.contains(k) {
            let hint = FixtureShape.didYouMean(k, known.sorted())
            throw fail(k, "unknown field\(hint). Known fields: \(known.sorted().joined(separator: ", "))")
        }
    }

    private func value(_ key: String) -> JSONValue? {
        guard let v = object[key], v != .null else { return nil }
        return v
    }

    private func required<T>(_ key: String, _ read: (String) throws(FixtureError) -> T?) throws(FixtureError) -> T {
        guard let v = try read(key) else { throw fail(key, "required field is missing") }
        return v
    }

    func optionalString(_ key: String) throws(FixtureError) -> String? {
        guard let v = value(key) else { return nil }
        guard case .string(let s) = v else { throw fail(key, "expected a string, found \(v.typeDescription)") }
        return s
    }

    func string(_ key: String) throws(FixtureError) -> String { try required(key, optionalString) }

    func optionalInt(_ key: String) throws(FixtureError) -> Int? {
        guard let v = value(key) else { return nil }
        guard case .int(let n) = v else { throw fail(key, "expected an integer, found \(v.typeDescription)") }
        return n
    }

    func int(_ key: String) throws(FixtureError) -> Int { try required(key, optionalInt) }

    func optionalDouble(_ key: String) throws(FixtureError) -> Double? {
        guard let v = value(key) else { return nil }
        guard let d = v.number else { throw fail(key, "expected a number, found \(v.typeDescription)") }
        return d
    }

    func double(_ key: String) throws(FixtureError) -> Double { try required(key, optionalDouble) }

    func optionalBool(_ key: String) throws(FixtureError) -> Bool? {
        guard let v = value(key) else { return nil }
        guard case .bool(let b) = v else { throw fail(key, "expected true or false, found \(v.typeDescription)") }
        return b
    }

    func optionalStrings(_ key: String) throws(FixtureError) -> [String]? {
        guard let v = value(key) else { return nil }
        guard case .array(let items) = v else { throw fail(key, "expected an array of strings, found \(v.typeDescription)") }
        var out: [String] = []
        for (i, item) in items.enumerated() {
            guard case .string(let s) = item else { throw fail("\(key)[\(i)]", "expected a string, found \(item.typeDescription)") }
            out.append(s)
        }
        return out
    }

    func strings(_ key: String) throws(FixtureError) -> [String] { try required(key, optionalStrings) }

    /// An object whose members are all strings, in document order.
    func optionalStringMap(_ key: String) throws(FixtureError) -> [(String, String)]? {
        guard let o = try optionalObject(key) else { return nil }
        var out: [(String, String)] = []
        for name in o.object.keys { out.append((name, try o.string(name))) }
        return out
    }

    func optionalObject(_ key: String) throws(FixtureError) -> FixtureReader? {
        guard let v = value(key) else { return nil }
        guard case .object(let o) = v else { throw fail(key, "expected an object, found \(v.typeDescription)") }
        return FixtureReader(file: file, path: at(key), object: o)
    }

    /// The objects of the array `key`, each with its own path (`models[3]`); empty when absent.
    func objects(_ key: String) throws(FixtureError) -> [FixtureReader] {
        guard let v = value(key) else { return [] }
        guard case .array(let items) = v else { throw fail(key, "expected an array of objects, found \(v.typeDescription)") }
        var out: [FixtureReader] = []
        for (i, item) in items.enumerated() {
            guard case .object(let o) = item else { throw fail("\(key)[\(i)]", "expected an object, found \(item.typeDescription)") }
            out.append(FixtureReader(file: file, path: at("\(key)[\(i)]"), object: o))
        }
        return out
    }

    /// The entries of the array `key`, each decoded on its own: a broken entry is recorded in
    /// `problems` (its `id` or `name` remembered as broken) and left out, and the rest go on.
    func entries<T>(_ key: String, _ problems: FixtureProblems,
                    _ decode: (FixtureReader) throws(FixtureError) -> T) throws(FixtureError) -> [Sourced<T>] {
        var out: [Sourced<T>] = []
        for entry in try objects(key) {
            if let value = problems.collect(file: file, path: entry.path, { () throws(FixtureError) in try decode(entry) }) {
                out.append(Sourced(value, entry))
            } else {
                for name in ["id", "name", "model"] {
                    if case .string(let s)? = entry.object[name] { problems.brokenNames.insert(s) }
                }
            }
        }
        return out
    }

    /// `"mode": "extend" | "replace"`.
    func mode() throws(FixtureError) -> FixtureMode {
        guard let m = try optionalString("mode") else { return .extend }
        guard let mode = FixtureMode(rawValue: m) else { throw fail("mode", "must be extend or replace") }
        return mode
    }
}

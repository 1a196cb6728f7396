import HTTPCore

/// `faults.json`: `{"faults": [RULE, …]}`, each rule a spec string or an object of options
/// (the fault grammar either way). An exported plan (`GET /__mock/journal/plan`) has this shape.
enum FaultsFile {
    /// Top-level members: `faults`, plus what an exported plan adds for the reader.
    static let fields: Set = ["faults", "mode", "seed", "generated_at", "requests"]

    static func read(_ bytes: [UInt8], file: String) throws(FixtureError) -> [FaultRule] {
        let r = try FixtureReader.root(bytes, file: file)
        try r.allowOnly(fields)
        return try rules(r.object["faults"] ?? .array([]), origin: "fixture", now: 0, file: file)
    }

    /// The rules of a `faults` array; ids default to `fixture-N` (or `origin-N`).
    static func rules(_ value: JSONValue, origin: String, now: Int, file: String) throws(FixtureError) -> [FaultRule] {
        guard case .array(let items) = value else {
            throw FixtureError(file: file, field: "faults", problem: "expected an array of fault rules")
        }
        var out: [FaultRule] = []
        var ids = Set<String>()
        for (i, item) in items.enumerated() {
            do throws(FaultSpecError) {
                var rule = try FaultRule.parse(item, origin: origin, now: now)
                if rule.id.isEmpty, origin != "runtime" { rule.id = "\(origin)-\(i + 1)" }
                if !rule.id.isEmpty, !ids.insert(rule.id).inserted {
                    throw FaultSpecError(message: "id '\(rule.id)' is used twice")
                }
                out.append(rule)
            } catch {
                throw FixtureError(file: file, field: "faults[\(i)]", problem: error.message)
            }
        }
        return out
    }
}

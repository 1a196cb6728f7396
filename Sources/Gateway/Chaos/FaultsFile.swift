import HTTPCore

/// `faults.json`: `{"faults": [RULE, …]}`, each rule a spec string or an object of options
/// (the fault grammar either way). An exported plan (`GET /__mock/journal/plan`) has this shape.
enum FaultsFile {
    /// Top-level members: `faults`, plus what an exported plan adds for the reader (and `$schema`).
    static let fields: Set<String> = FixtureSchema.faults.names

    /// The rules of a fixture file's top-level object; every broken rule is recorded in `problems`.
    static func read(_ r: FixtureReader, problems: FixtureProblems) throws(FixtureError) -> [FaultRule] {
        try r.allowOnly(fields)
        let (out, bad) = collect(r.object["faults"] ?? .array([]), origin: "fixture", now: 0, file: r.file)
        for p in bad where !problems.has(file: p.file, under: p.field) { problems.add(p) }
        return out
    }

    /// The rules of a `faults` array; ids default to `fixture-N` (or `origin-N`). Throws the first problem.
    static func rules(_ value: JSONValue, origin: String, now: Int, file: String) throws(FixtureError) -> [FaultRule] {
        let (out, bad) = collect(value, origin: origin, now: now, file: file)
        if let first = bad.first { throw first }
        return out
    }

    /// The good rules of a `faults` array and a problem for each bad one.
    static func collect(_ value: JSONValue, origin: String, now: Int, file: String) -> ([FaultRule], [FixtureError]) {
        guard case .array(let items) = value else {
            return ([], [FixtureError(file: file, field: "faults", problem: "expected an array of fault rules")])
        }
        var bad: [FixtureError] = []
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
                bad.append(FixtureError(file: file, field: "faults[\(i)]", problem: error.message))
            }
        }
        return (out, bad)
    }
}

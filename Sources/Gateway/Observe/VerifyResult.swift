/// The outcome of a verification, as values: whether it held, the entries that matched (in
/// order), and when it failed, the closest near misses with what differed, field by field.
/// ``Verifier`` computes it from a list of entries; the control API renders it last.
///
/// Concurrency: a value (Sendable).
struct VerifyResult: Sendable {
    struct NearMiss: Sendable {
        var entry: JournalEntry
        var differences: [JournalFilter.Difference]
    }

    var passed: Bool
    var matched: [JournalEntry]
    var nearMisses: [NearMiss] = []
    /// Requests the verification looked at (the session's, or all).
    var considered: Int
    /// A sentence a person understands at a glance, then the near misses, one per line.
    var message: String
}

/// Runs a ``Verification`` over journal entries (oldest first).
///
/// Concurrency: stateless.
enum Verifier {
    /// Near misses reported at most.
    static let maxNearMisses = 3

    static func run(_ v: Verification, over entries: [JournalEntry]) -> VerifyResult {
        switch v.expectation {
        case .count(let filter, let count):
            let matched = entries.filter { filter.differences($0, stopAtFirst: true).isEmpty }
            if count.accepts(matched.count) {
                return VerifyResult(passed: true, matched: matched, considered: entries.count,
                                    message: "\(matched.count) request\(matched.count == 1 ? "" : "s") matched \(v.descriptions[0]), as expected (\(count.phrase))")
            }
            var message = "expected \(count.phrase) request\(plural(count)) matching \(v.descriptions[0]), but \(matched.count) matched (of \(entries.count) recorded)"
            var misses: [VerifyResult.NearMiss] = []
            if matched.count < minimum(count) {
                misses = nearMisses(filter, entries.filter { e in !matched.contains { $0.index == e.index } })
                message += misses.isEmpty ? "; no other request to compare" : ". Closest near misses:" + render(misses)
            } else {
                message += ": " + matched.map { "\($0.id) (\($0.method) \($0.path) \($0.status))" }.joined(separator: ", ")
            }
            return VerifyResult(passed: false, matched: matched, nearMisses: misses, considered: entries.count, message: message)
        case .sequence(let steps):
            var matched: [JournalEntry] = []
            var from = 0
            for (i, step) in steps.enumerated() {
                guard let at = entries[from...].firstIndex(where: { step.differences($0, stopAtFirst: true).isEmpty }) else {
                    let after = matched.last.map { " after \($0.id)" } ?? ""
                    var message = "expected \(steps.count) requests in order; step \(i + 1) of \(steps.count), \(v.descriptions[i]), matched no request\(after)"
                    if !matched.isEmpty { message += " (step\(i == 1 ? " 1" : "s 1-\(i)") matched \(matched.map(\.id).joined(separator: ", ")))" }
                    let misses = nearMisses(step, Array(entries[from...]))
                    message += misses.isEmpty ? "; no later request to compare" : ". Closest near misses:" + render(misses)
                    return VerifyResult(passed: false, matched: matched, nearMisses: misses, considered: entries.count, message: message)
                }
                matched.append(entries[at])
                from = at + 1
            }
            return VerifyResult(passed: true, matched: matched, considered: entries.count,
                                message: "\(steps.count) requests matched in order: \(matched.map(\.id).joined(separator: ", "))")
        }
    }

    private static func plural(_ c: Verification.Count) -> String {
        switch c { case .exactly(1), .atLeast(1), .atMost(1): "" default: "s" }
    }

    private static func minimum(_ c: Verification.Count) -> Int {
        switch c {
        case .exactly(let k), .atLeast(let k): k
        case .atMost: 0
        }
    }

    /// The entries that differ least (fewest failed conditions; the newest first among equals).
    static func nearMisses(_ filter: JournalFilter, _ candidates: [JournalEntry]) -> [VerifyResult.NearMiss] {
        var scored: [VerifyResult.NearMiss] = []
        for e in candidates.reversed() {
            let d = filter.differences(e)
            if !d.isEmpty { scored.append(VerifyResult.NearMiss(entry: e, differences: d)) }
        }
        // Stable: equal scores keep newest-first order.
        let ranked = scored.enumerated().sorted { ($0.element.differences.count, $0.offset) < ($1.element.differences.count, $1.offset) }
        return ranked.prefix(maxNearMisses).map(\.element)
    }

    static func render(_ misses: [VerifyResult.NearMiss]) -> String {
        var s = ""
        for (i, m) in misses.enumerated() {
            let e = m.entry
            s += "\n  \(i + 1). \(e.id) \(e.method) \(e.path) → \(e.status) (\(e.surface)\(e.model.map { ", " + $0 } ?? ""))"
            for d in m.differences {
                s += "\n       \(d.field): expected \(d.expected), was \(d.actual)"
            }
        }
        return s
    }
}

/// "Did you mean …?" for a mistyped name: the closest of the valid names by edit distance
/// (Levenshtein: insertions, deletions and substitutions, each costing 1), when it is close
/// enough to be a typo. Used by the fault grammar for fault kinds, options and surfaces.
///
/// ```swift
/// Suggestion.closest(to: "latancy", among: ["latency", "stall"])   // "latency"
/// Suggestion.closest(to: "zzz", among: ["latency", "stall"])       // nil
/// ```
/// A pure function over its arguments: Sendable by construction.
enum Suggestion {
    /// The valid name nearest `word` (case-insensitive), or nil when even the nearest needs more
    /// than a third of the word's letters changed (at least one, at most three edits).
    static func closest(to word: String, among names: some Sequence<String>) -> String? {
        let w = Array(word.lowercased().utf8)
        let budget = min(3, max(1, w.count / 3))
        var best: (name: String, distance: Int)?
        for name in names {
            let d = distance(w, Array(name.lowercased().utf8), limit: budget)
            if d <= budget, d < (best?.distance ?? Int.max) { best = (name, d) }
        }
        return best?.name
    }

    /// The edit distance between `a` and `b`, or a value above `limit` as soon as it is certain
    /// to exceed it (so a long unrelated name costs little). Inputs are short: one row of
    /// `b.count + 1` integers.
    static func distance(_ a: [UInt8], _ b: [UInt8], limit: Int) -> Int {
        if abs(a.count - b.count) > limit { return limit + 1 }
        var row = Array(0...b.count)
        for i in 1...max(1, a.count) where !a.isEmpty {
            var previous = row[0]
            row[0] = i
            var rowBest = row[0]
            for j in stride(from: 1, through: b.count, by: 1) {
                let substitute = previous + (a[i - 1] == b[j - 1] ? 0 : 1)
                previous = row[j]
                row[j] = min(substitute, row[j] + 1, row[j - 1] + 1)
                rowBest = min(rowBest, row[j])
            }
            if rowBest > limit { return limit + 1 }
        }
        return row[b.count]
    }
}

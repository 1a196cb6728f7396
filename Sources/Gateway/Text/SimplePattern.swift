/// A string that matches a simple regular expression, for the `pattern` keyword of a schema.
///
/// Simple means a sequence of literals, escapes (`\d`, `\w`, `\s`, `\.` …), `.` and character
/// classes (`[A-Z]`, `[a-z0-9_]`), each with an optional quantifier (`?`, `*`, `+`, `{n}`,
/// `{n,}`, `{n,m}`), optionally anchored by `^` and `$`. Groups, alternation, negated classes and
/// inner anchors are not simple: `sample` answers nil and the caller keeps its own string.
///
/// Concurrency: stateless; `sample` is a pure function. Bounded: patterns over 256 scalars are
/// refused and every repeat count is capped, so the result is at most a few kilobytes.
enum SimplePattern {
    static let maxSource = 256
    static let maxRepeat = 64

    static func sample(_ pattern: String) -> String? {
        var p = Array(pattern.unicodeScalars)
        guard p.count <= maxSource else { return nil }
        if p.first == "^" { p.removeFirst() }
        if p.last == "$", p.count < 2 || p[p.count - 2] != "\\" { p.removeLast() }
        var out = String.UnicodeScalarView()
        var i = 0
        while i < p.count {
            guard let (atom, next) = self.atom(p, i) else { return nil }
            i = next
            var reps = 1
            if i < p.count {
                switch p[i] {
                case "?", "*", "+": i += 1
                case "{":
                    guard let (n, after) = braces(p, i) else { return nil }
                    reps = n; i = after
                default: break
                }
                if i < p.count, p[i] == "?" { i += 1 }  // a lazy quantifier
            }
            for _ in 0..<reps { out.append(atom) }
        }
        return String(out)
    }

    /// One atom at `i` as the scalar chosen for it, and the index after it.
    static func atom(_ p: [Unicode.Scalar], _ i: Int) -> (Unicode.Scalar, Int)? {
        switch p[i] {
        case "(", ")", "|", "^", "$", "*", "+", "?", "{": return nil
        case ".": return ("a", i + 1)
        case "\\":
            guard i + 1 < p.count, let c = escape(p[i + 1]) else { return nil }
            return (c, i + 2)
        case "[":
            var j = i + 1
            guard j < p.count, p[j] != "^" else { return nil }
            var first: Unicode.Scalar?
            while j < p.count, p[j] != "]" || j == i + 1 {
                if first == nil { first = p[j] == "\\" && j + 1 < p.count ? escape(p[j + 1]) : p[j] }
                j += p[j] == "\\" ? 2 : 1
            }
            guard j < p.count, let c = first else { return nil }
            return (c, j + 1)
        default: return (p[i], i + 1)
        }
    }

    /// The scalar for an escape letter (`\d` → `0`), the letter itself for escaped punctuation,
    /// or nil for an anchor or an unknown letter.
    static func escape(_ c: Unicode.Scalar) -> Unicode.Scalar? {
        switch c {
        case "d": "0"
        case "w", "D", "S": "a"
        case "s": " "
        case "W": "-"
        case "n": "\n"
        case "t": "\t"
        default: c.properties.isAlphabetic || ("0"..."9").contains(c) ? nil : c
        }
    }

    /// `{n}`, `{n,}` or `{n,m}` at `i`: the repeat count used (n, or 1 when n is 0 and m allows it)
    /// and the index after the closing brace.
    static func braces(_ p: [Unicode.Scalar], _ i: Int) -> (Int, Int)? {
        guard let close = p[i...].firstIndex(of: "}") else { return nil }
        let body = String(String.UnicodeScalarView(p[(i + 1)..<close]))
        let parts = body.split(separator: ",", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let n = Int(parts[0]), n >= 0, n <= maxRepeat else { return nil }
        let m = parts.count == 2 && !parts[1].isEmpty ? Int(parts[1]) : nil
        if parts.count == 2, !parts[1].isEmpty, m == nil { return nil }
        return (n == 0 && (m ?? 1) >= 1 ? 1 : n, close + 1)
    }
}

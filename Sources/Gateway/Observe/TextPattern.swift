/// A small regular expression for journal matchers that cannot run away: compiled to a list of
/// atoms and matched by simulating the automaton over a set of states, so a match costs at most
/// text length × pattern length steps (no backtracking), and both are capped.
///
/// Syntax (on Unicode scalars): literals, `.`, classes `[a-z_]` and `[^…]`, escapes `\d \w \s
/// \D \W \S` and `\` before any other character for itself, quantifiers `*`, `+` and `?` after
/// one atom, `^` at the start and `$` at the end, `|` between whole alternatives, and a leading
/// `(?i)` for case-insensitive matching. No groups. It finds a match anywhere in the text
/// unless anchored. Texts longer than ``maxText`` scalars are matched on their first ``maxText``.
///
/// Concurrency: an immutable value (Sendable).
struct TextPattern: Sendable, CustomStringConvertible {
    static let maxSource = 512
    static let maxText = 1 << 20

    private enum Class: Sendable {
        case any
        case scalar(Unicode.Scalar)
        case set([ClosedRange<UInt32>], negated: Bool)
    }

    private struct Atom: Sendable {
        var what: Class
        /// May repeat (`*`, or the second half of `+`).
        var repeats = false
        /// May be skipped (`*`, `?`).
        var optional = false
    }

    private struct Alternative: Sendable {
        var atoms: [Atom] = []
        var anchoredStart = false
        var anchoredEnd = false
    }

    let description: String
    private let alternatives: [Alternative]
    private let caseless: Bool

    struct SyntaxError: Error { let message: String }

    init(_ source: String) throws(SyntaxError) {
        guard source.utf8.count <= Self.maxSource else { throw SyntaxError(message: "the pattern is longer than \(Self.maxSource) bytes") }
        description = source
        var scalars = Array(source.unicodeScalars)
        caseless = scalars.starts(with: Array("(?i)".unicodeScalars))
        if caseless { scalars.removeFirst(4) }
        var alts: [Alternative] = []
        var current = Alternative()
        var i = 0
        func fold(_ s: Unicode.Scalar) -> Unicode.Scalar { Self.lower(s) }
        while i < scalars.count {
            let c = scalars[i]
            i += 1
            switch c {
            case "|":
                alts.append(current); current = Alternative()
            case "^" where current.atoms.isEmpty && !current.anchoredStart:
                current.anchoredStart = true
            case "$" where i == scalars.count || scalars[i] == "|":
                current.anchoredEnd = true
            case "*", "+", "?":
                guard var last = current.atoms.last, !last.repeats, !last.optional else {
                    throw SyntaxError(message: "'\(c)' must follow a character, '.', a class or an escape")
                }
                if c == "+" {
                    last.repeats = true; last.optional = true
                    current.atoms.append(last)
                } else {
                    current.atoms[current.atoms.count - 1].optional = true
                    current.atoms[current.atoms.count - 1].repeats = c == "*"
                }
            case "(", ")", "{", "}":
                throw SyntaxError(message: "groups and counted repetition are not supported here; use * + ? | and classes")
            case ".": current.atoms.append(Atom(what: .any))
            case "\\":
                guard i < scalars.count else { throw SyntaxError(message: "the pattern ends with a lone backslash") }
                let e = scalars[i]
                i += 1
                current.atoms.append(Atom(what: Self.escape(e) ?? .scalar(caseless ? fold(e) : e)))
            case "[":
                var negated = false
                if i < scalars.count, scalars[i] == "^" { negated = true; i += 1 }
                var ranges: [ClosedRange<UInt32>] = []
                var first = true
                while true {
                    guard i < scalars.count else { throw SyntaxError(message: "a '[' class is not closed") }
                    var s = scalars[i]
                    i += 1
                    if s == "]", !first { break }
                    first = false
                    if s == "\\", i < scalars.count {
                        let e = scalars[i]
                        i += 1
                        if case .set(let r, false)? = Self.escape(e) { ranges += r; continue }
                        s = e
                    }
                    var hi = s
                    if i + 1 < scalars.count, scalars[i] == "-", scalars[i + 1] != "]" {
                        hi = scalars[i + 1]
                        i += 2
                        guard hi.value >= s.value else { throw SyntaxError(message: "a class range runs backwards") }
                    }
                    ranges.append(s.value...hi.value)
                }
                if caseless {
                    ranges += ranges.compactMap { r in
                        r.overlaps(0x41...0x5A) ? max(r.lowerBound, 0x41) + 32...min(r.upperBound, 0x5A) + 32 : nil
                    }
                }
                current.atoms.append(Atom(what: .set(ranges, negated: negated)))
            default:
                current.atoms.append(Atom(what: .scalar(caseless ? fold(c) : c)))
            }
        }
        alts.append(current)
        alternatives = alts
    }

    private static func escape(_ e: Unicode.Scalar) -> Class? {
        let digit: [ClosedRange<UInt32>] = [0x30...0x39]
        let word: [ClosedRange<UInt32>] = [0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x5F...0x5F]
        let space: [ClosedRange<UInt32>] = [0x09...0x0D, 0x20...0x20]
        switch e {
        case "d": return .set(digit, negated: false)
        case "D": return .set(digit, negated: true)
        case "w": return .set(word, negated: false)
        case "W": return .set(word, negated: true)
        case "s": return .set(space, negated: false)
        case "S": return .set(space, negated: true)
        case "n": return .scalar("\n")
        case "t": return .scalar("\t")
        default: return nil
        }
    }

    private static func lower(_ s: Unicode.Scalar) -> Unicode.Scalar {
        (0x41...0x5A).contains(s.value) ? Unicode.Scalar(s.value + 32)! : s
    }

    /// Whether the pattern matches somewhere in `text`.
    func matches(_ text: String) -> Bool {
        var scalars = Array(text.unicodeScalars.prefix(Self.maxText))
        if caseless { scalars = scalars.map(Self.lower) }
        return alternatives.contains { run($0, scalars) }
    }

    private func accepts(_ c: Class, _ s: Unicode.Scalar) -> Bool {
        switch c {
        case .any: s != "\n"
        case .scalar(let x): x == s
        case .set(let ranges, let negated): ranges.contains { $0.contains(s.value) } != negated
        }
    }

    private func run(_ alt: Alternative, _ text: [Unicode.Scalar]) -> Bool {
        let m = alt.atoms.count
        var states = [Bool](repeating: false, count: m + 1)
        var next = states
        func close(_ set: inout [Bool]) {
            for i in 0..<m where set[i] && alt.atoms[i].optional { set[i + 1] = true }
        }
        states[0] = true
        close(&states)
        if states[m], !alt.anchoredEnd { return true }
        for (pos, s) in text.enumerated() {
            for i in 0...m { next[i] = false }
            for i in 0..<m where states[i] && accepts(alt.atoms[i].what, s) {
                next[i + 1] = true
                if alt.atoms[i].repeats { next[i] = true }
            }
            if !alt.anchoredStart { next[0] = true }
            close(&next)
            swap(&states, &next)
            if states[m], !alt.anchoredEnd || pos == text.count - 1 { return true }
        }
        return states[m] && text.isEmpty
    }
}

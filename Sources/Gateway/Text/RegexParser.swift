/// A parsed ``BoundedRegex`` pattern, before compilation.
indirect enum RegexNode: Sendable, Equatable {
    case empty
    case char(Unicode.Scalar, fold: Bool)
    case any(newline: Bool)
    case set(ScalarSet)
    case assert(BoundedRegex.Assertion)
    case concat([RegexNode])
    case alt([RegexNode])
    /// `max` nil: unbounded.
    case repetition(RegexNode, min: Int, max: Int?)

    /// Whether every match must begin at the start of the text.
    var startsWithTextAnchor: Bool {
        switch self {
        case .assert(.textStart): true
        case .concat(let items): items.first?.startsWithTextAnchor ?? false
        case .alt(let branches): !branches.isEmpty && branches.allSatisfy(\.startsWithTextAnchor)
        default: false
        }
    }
}

/// Parses the syntax ``BoundedRegex`` documents, refusing what it does not support with a
/// message that names the construct and its position.
///
/// Concurrency: a value used by one caller.
struct RegexParser {
    struct Flags { var fold = false, dotAll = false, multiline = false }

    let s: [Unicode.Scalar]
    var i = 0

    init(_ source: String) { s = Array(source.unicodeScalars) }

    mutating func parseAll() throws(RegexSyntaxError) -> RegexNode {
        var flags = Flags()
        let node = try alternation(&flags)
        if i < s.count { throw failHere("unmatched ')'") }
        return node
    }

    /// An error naming the scalar offset reached.
    func failHere(_ what: String) -> RegexSyntaxError {
        RegexSyntaxError(message: "\(what) at offset \(i)")
    }

    var peekScalar: Unicode.Scalar? { i < s.count ? s[i] : nil }

    func peekScalar(_ ahead: Int) -> Unicode.Scalar? { i + ahead < s.count ? s[i + ahead] : nil }

    mutating func next() -> Unicode.Scalar? {
        guard i < s.count else { return nil }
        i += 1
        return s[i - 1]
    }

    private mutating func alternation(_ flags: inout Flags) throws(RegexSyntaxError) -> RegexNode {
        var branches = [try concatenation(&flags)]
        while peekScalar == "|" {
            i += 1
            branches.append(try concatenation(&flags))
        }
        return branches.count == 1 ? branches[0] : .alt(branches)
    }

    private mutating func concatenation(_ flags: inout Flags) throws(RegexSyntaxError) -> RegexNode {
        var items: [RegexNode] = []
        while let c = peekScalar, c != "|", c != ")" {
            guard let atom = try atom(&flags) else { continue }
            items.append(try quantified(atom))
        }
        return items.count == 1 ? items[0] : items.isEmpty ? .empty : .concat(items)
    }

    /// One atom, or nil for a flag group such as `(?i)` (which changes `flags` instead).
    private mutating func atom(_ flags: inout Flags) throws(RegexSyntaxError) -> RegexNode? {
        let c = s[i]
        switch c {
        case "(": return try group(&flags)
        case "[": i += 1; return .set(try bracket(flags))
        case ".": i += 1; return .any(newline: flags.dotAll)
        case "^": i += 1; return .assert(flags.multiline ? .lineStart : .textStart)
        case "$": i += 1; return .assert(flags.multiline ? .lineEnd : .textEnd)
        case "\\": i += 1; return try escape(flags)
        case "*", "+", "?": throw failHere("nothing to repeat before '\(c)'")
        case "{" where quantifierAhead(): throw failHere("nothing to repeat before '{'")
        default:
            i += 1
            return literal(c, flags)
        }
    }

    private func literal(_ c: Unicode.Scalar, _ flags: Flags) -> RegexNode {
        flags.fold ? .char(ScalarSet.fold(c), fold: true) : .char(c, fold: false)
    }

    private mutating func group(_ flags: inout Flags) throws(RegexSyntaxError) -> RegexNode? {
        i += 1
        var inner = flags
        if peekScalar == "?" {
            i += 1
            guard let k = peekScalar else { throw failHere("unterminated group") }
            switch k {
            case ":": i += 1
            case "=", "!": throw failHere("look-ahead is not supported")
            case ">": throw failHere("atomic groups are not supported")
            case "<" where i + 1 < s.count && (s[i + 1] == "=" || s[i + 1] == "!"): throw failHere("look-behind is not supported")
            case "<", "P", "'":
                if k == "P" { i += 1 }
                let close: Unicode.Scalar = peekScalar == "'" ? "'" : ">"
                i += 1
                while let n = peekScalar, n != close {
                    guard n == "_" || ScalarSet.Shorthand.word.contains(n) else { throw failHere("bad group name") }
                    i += 1
                }
                guard peekScalar == close else { throw failHere("unterminated group name") }
                i += 1
            default:
                var on = true
                var sawFlag = false
                while let f = peekScalar, f != ")", f != ":" {
                    switch f {
                    case "-": on = false
                    case "i": inner.fold = on
                    case "s": inner.dotAll = on
                    case "m": inner.multiline = on
                    default: throw failHere("unsupported group or flag '(?\(f)'; flags are i, s and m")
                    }
                    sawFlag = true
                    i += 1
                }
                guard sawFlag, let end = peekScalar else { throw failHere("unterminated flag group") }
                i += 1
                if end == ")" {
                    flags = inner  // (?i): the rest of the enclosing group
                    return nil
                }
            }
        }
        let node = try alternation(&inner)
        guard peekScalar == ")" else { throw failHere("missing ')'") }
        i += 1
        return node
    }

    private func quantifierAhead() -> Bool {
        var j = i + 1
        var digits = 0
        while j < s.count, s[j].properties.numericType == .decimal, s[j].isASCII { j += 1; digits += 1 }
        guard digits > 0, j < s.count else { return false }
        if s[j] == "}" { return true }
        guard s[j] == "," else { return false }
        j += 1
        while j < s.count, s[j].isASCII, s[j].properties.numericType == .decimal { j += 1 }
        return j < s.count && s[j] == "}"
    }

    private mutating func quantified(_ atom: RegexNode) throws(RegexSyntaxError) -> RegexNode {
        guard let c = peekScalar else { return atom }
        let (lo, hi): (Int, Int?)
        switch c {
        case "*": (lo, hi) = (0, nil); i += 1
        case "+": (lo, hi) = (1, nil); i += 1
        case "?": (lo, hi) = (0, 1); i += 1
        case "{" where quantifierAhead():
            i += 1
            let a = try number()
            var b: Int? = a
            if peekScalar == "," {
                i += 1
                b = peekScalar == "}" ? nil : try number()
            }
            i += 1  // "}"
            if let b, b < a { throw failHere("repetition {\(a),\(b)} has its bounds reversed") }
            (lo, hi) = (a, b)
        default: return atom
        }
        if peekScalar == "?" { i += 1 } else if peekScalar == "+" { throw failHere("possessive quantifiers are not supported") }
        if let n = peekScalar, n == "*" || n == "+" || n == "?" || n == "{" && quantifierAhead() {
            throw failHere("nothing to repeat before '\(n)'")
        }
        return .repetition(atom, min: lo, max: hi)
    }

    private mutating func number() throws(RegexSyntaxError) -> Int {
        var v = 0
        while let c = peekScalar, c.isASCII, c.properties.numericType == .decimal {
            v = v * 10 + Int(c.value - 0x30)
            guard v <= BoundedRegex.maxRepeat else { throw failHere("a repetition count is larger than \(BoundedRegex.maxRepeat)") }
            i += 1
        }
        return v
    }
}

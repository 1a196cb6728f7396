/// Escapes and bracket classes.
extension RegexParser {
    /// What follows a backslash outside a class (the backslash already consumed).
    mutating func escape(_ flags: Flags) throws(RegexSyntaxError) -> RegexNode {
        guard let c = next() else { throw failHere("a pattern cannot end with '\\'") }
        switch c {
        case "d", "D", "w", "W", "s", "S":
            var set = ScalarSet()
            set.shorthands = [Self.shorthand(c)]
            return .set(set)
        case "b": return .assert(.wordBoundary)
        case "B": return .assert(.notWordBoundary)
        case "A": return .assert(.textStart)
        case "z": return .assert(.textEnd)
        case "Z": return .assert(.textEndOrFinalNewline)
        default:
            let scalar = try scalarEscape(c)
            return flags.fold ? .char(ScalarSet.fold(scalar), fold: true) : .char(scalar, fold: false)
        }
    }

    static func shorthand(_ c: Unicode.Scalar) -> (ScalarSet.Shorthand, negated: Bool) {
        switch c {
        case "d": (.digit, false)
        case "D": (.digit, true)
        case "w": (.word, false)
        case "W": (.word, true)
        case "s": (.space, false)
        default: (.space, true)
        }
    }

    /// A backslash escape that stands for one scalar (`c` is the scalar after the backslash).
    private mutating func scalarEscape(_ c: Unicode.Scalar) throws(RegexSyntaxError) -> Unicode.Scalar {
        switch c {
        case "n": return "\n"
        case "t": return "\t"
        case "r": return "\r"
        case "f": return "\u{0C}"
        case "v": return "\u{0B}"
        case "a": return "\u{07}"
        case "e": return "\u{1B}"
        case "0": return "\u{0}"
        case "x", "u": return try hexScalar(fixed: c == "x" ? 2 : 4)
        case "1"..."9", "k", "g": throw failHere("back-references are not supported")
        case "p", "P": throw failHere("Unicode property classes (\\p{…}) are not supported")
        default:
            if c.isASCII, ScalarSet.Shorthand.word.contains(c) { throw failHere("unknown escape '\\\(c)'") }
            return c  // any other punctuation or non-ASCII scalar stands for itself
        }
    }

    /// `HH…` of a fixed width, or `{H…}` of one to eight digits.
    private mutating func hexScalar(fixed: Int) throws(RegexSyntaxError) -> Unicode.Scalar {
        var v: UInt32 = 0
        if peekScalar == "{" {
            _ = next()
            var digits = 0
            while let c = peekScalar, c != "}" {
                guard let d = Self.hex(c), digits < 8 else { throw failHere("bad hexadecimal escape") }
                v = v << 4 | d
                digits += 1
                _ = next()
            }
            guard digits > 0, next() == "}" else { throw failHere("bad hexadecimal escape") }
        } else {
            for _ in 0..<fixed {
                guard let c = next(), let d = Self.hex(c) else { throw failHere("bad hexadecimal escape") }
                v = v << 4 | d
            }
        }
        guard let scalar = Unicode.Scalar(v) else { throw failHere("escape names no Unicode scalar") }
        return scalar
    }

    private static func hex(_ c: Unicode.Scalar) -> UInt32? {
        switch c.value {
        case 0x30...0x39: c.value - 0x30
        case 0x41...0x46: c.value - 0x41 + 10
        case 0x61...0x66: c.value - 0x61 + 10
        default: nil
        }
    }

    /// A bracket class after its `[`.
    mutating func bracket(_ flags: Flags) throws(RegexSyntaxError) -> ScalarSet {
        var set = ScalarSet()
        set.fold = flags.fold
        if peekScalar == "^" { _ = next(); set.negated = true }
        var first = true
        while true {
            guard let c = next() else { throw failHere("unterminated character class") }
            if c == "]", !first { break }
            first = false
            if c == "[", peekScalar == ":" || peekScalar == "=" || peekScalar == "." {
                throw failHere("POSIX classes ([:alpha:]) are not supported")
            }
            var lo = c
            if c == "\\" {
                guard let e = next() else { throw failHere("unterminated character class") }
                if "dDwWsS".unicodeScalars.contains(e) {
                    set.shorthands.append(Self.shorthand(e))
                    continue
                }
                lo = e == "b" ? "\u{08}" : try scalarEscape(e)
            }
            var hi = lo
            if peekScalar == "-", let after = peekScalar(1), after != "]" {
                _ = next()
                var h = next()!
                if h == "\\" {
                    guard let e = next() else { throw failHere("unterminated character class") }
                    if "dDwWsS".unicodeScalars.contains(e) { throw failHere("a range cannot end with a class shorthand") }
                    h = e == "b" ? "\u{08}" : try scalarEscape(e)
                }
                hi = h
                guard lo.value <= hi.value else { throw failHere("range \(lo)-\(hi) is out of order") }
            }
            set.ranges.append(lo.value...hi.value)
        }
        return set
    }
}

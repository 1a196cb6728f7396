/// A bracket class or shorthand of a ``BoundedRegex``: ranges of scalars and shorthand classes,
/// possibly negated, possibly case-insensitive.
///
/// Concurrency: an immutable value (Sendable).
struct ScalarSet: Sendable, Equatable {
    /// `\d`, `\w`, `\s`: Unicode decimal digits; letters, digits and `_`; white space.
    enum Shorthand: Sendable, Equatable {
        case digit, word, space

        func contains(_ c: Unicode.Scalar) -> Bool {
            if c.isASCII {
                let v = c.value
                switch self {
                case .digit: return v >= 0x30 && v <= 0x39
                case .word: return v >= 0x30 && v <= 0x39 || v >= 0x41 && v <= 0x5A || v >= 0x61 && v <= 0x7A || v == 0x5F
                case .space: return v == 0x20 || v >= 0x09 && v <= 0x0D
                }
            }
            switch self {
            case .digit: return c.properties.numericType == .decimal
            case .word: return c.properties.isAlphabetic || c.properties.numericType == .decimal || c.properties.generalCategory == .connectorPunctuation
            case .space: return c.properties.isWhitespace
            }
        }
    }

    var ranges: [ClosedRange<UInt32>] = []
    /// Shorthands inside the class, each possibly negated (`\D` is `(.digit, true)`).
    var shorthands: [(Shorthand, negated: Bool)] = []
    var negated = false
    /// Case-insensitive: a scalar is in the set when it or its case variant is.
    var fold = false

    static func == (a: Self, b: Self) -> Bool {
        a.ranges == b.ranges && a.negated == b.negated && a.fold == b.fold
            && a.shorthands.elementsEqual(b.shorthands) { $0.0 == $1.0 && $0.negated == $1.negated }
    }

    /// Whether `c` is in the set. With ``fold``, `c` is the folded scalar from the text.
    func contains(_ c: Unicode.Scalar) -> Bool {
        var hit = containsExactly(c)
        if !hit, fold { hit = containsExactly(Self.upper(c)) || containsExactly(Self.fold(c)) }
        return hit != negated
    }

    private func containsExactly(_ c: Unicode.Scalar) -> Bool {
        for r in ranges where r.contains(c.value) { return true }
        for (s, neg) in shorthands where s.contains(c) != neg { return true }
        return false
    }

    /// The simple lowercase of a scalar (itself when it has no one-scalar lowercase).
    static func fold(_ c: Unicode.Scalar) -> Unicode.Scalar {
        if c.isASCII {
            return c.value >= 0x41 && c.value <= 0x5A ? Unicode.Scalar(UInt8(c.value + 0x20)) : c
        }
        guard c.properties.changesWhenLowercased else { return c }
        let lower = c.properties.lowercaseMapping.unicodeScalars
        return lower.count == 1 ? lower.first! : c
    }

    /// The simple uppercase of a scalar (itself when it has no one-scalar uppercase).
    static func upper(_ c: Unicode.Scalar) -> Unicode.Scalar {
        if c.isASCII {
            return c.value >= 0x61 && c.value <= 0x7A ? Unicode.Scalar(UInt8(c.value - 0x20)) : c
        }
        guard c.properties.changesWhenUppercased else { return c }
        let upper = c.properties.uppercaseMapping.unicodeScalars
        return upper.count == 1 ? upper.first! : c
    }

    /// Whether `c` counts as a word scalar for `\b`.
    static func isWord(_ c: Unicode.Scalar) -> Bool { Shorthand.word.contains(c) }
}

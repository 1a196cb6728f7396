/// The fault grammar's lexer: a spec split into tokens (`name=value` pairs and the fault), and a
/// header's rules split on `;`, both outside double quotes. Pure functions: Sendable by construction.
extension FaultRule {
    /// Splits on whitespace and commas outside double quotes and parentheses (inside
    /// parentheses commas are kept and whitespace dropped); quotes and escapes are removed.
    /// Works on Unicode scalars, so CR LF is two separators, not one character.
    static func tokenize(_ text: String) throws(FaultSpecError) -> [String] {
        var tokens: [String] = []
        var current = String.UnicodeScalarView()
        var inQuotes = false, escaped = false, depth = 0, hasToken = false
        for c in text.unicodeScalars {
            if inQuotes {
                if escaped { current.append(c); escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { inQuotes = false } else { current.append(c) }
                continue
            }
            switch c {
            case "\"": inQuotes = true; hasToken = true
            case "(": depth += 1; current.append(c); hasToken = true
            case ")": depth -= 1; current.append(c)
            case " ", "\t", ",", "\r", "\n":
                if depth > 0 {
                    if c == "," { current.append(c) }
                    continue
                }
                if hasToken { tokens.append(String(current)); current = String.UnicodeScalarView(); hasToken = false }
            default: current.append(c); hasToken = true
            }
        }
        if inQuotes { throw FaultSpecError(message: "unterminated quote in '\(text)'") }
        if depth != 0 { throw FaultSpecError(message: "unbalanced parentheses in '\(text)'") }
        if hasToken { tokens.append(String(current)) }
        return tokens
    }

    static func splitOutsideQuotes(_ text: String, on separator: UInt8) -> [String] {
        var parts: [String] = []
        var start = text.utf8.startIndex
        var inQuotes = false, escaped = false
        var i = start
        while i < text.utf8.endIndex {
            let b = text.utf8[i]
            if escaped { escaped = false } else if inQuotes, b == 0x5C { escaped = true } else if b == 0x22 { inQuotes.toggle() }
            if b == separator, !inQuotes {
                parts.append(String(text[start..<i]))
                start = text.utf8.index(after: i)
            }
            i = text.utf8.index(after: i)
        }
        parts.append(String(text[start...]))
        return parts
    }
}

/// The mock's one token approximation, used for every count it reports and bills, so the
/// numbers agree across surfaces, streams and count-tokens endpoints.
///
/// A token is: a run of letters or digits of at most 6 bytes together with the whitespace in
/// front of it; or a single other character (punctuation, symbol, emoji) with its leading
/// whitespace; trailing whitespace alone is one token. "Hello, world!" is 4 tokens
/// (`Hello` `,` ` world` `!`), about one token per 4 characters of English, like real tokenizers.
enum Tokens {
    /// The pieces of `text`, in order; joined they give back `text` exactly.
    static func pieces(_ text: String) -> [Substring] {
        var out: [Substring] = []
        var i = text.startIndex
        let end = text.endIndex
        while i < end {
            let start = i
            while i < end, text[i].isWhitespace { i = text.index(after: i) }
            if i == end { out.append(text[start..<end]); break }
            if isWordChar(text[i]) {
                var bytes = 0
                while i < end, isWordChar(text[i]), bytes == 0 || bytes + text[i].utf8.count <= 6 {
                    bytes += text[i].utf8.count
                    i = text.index(after: i)
                }
            } else {
                i = text.index(after: i)
            }
            out.append(text[start..<i])
        }
        return out
    }

    static func count(_ text: String) -> Int {
        var n = 0
        var inWord = 0
        var pendingSpace = false
        for ch in text {
            if ch.isWhitespace {
                if inWord > 0 { inWord = 0 }
                pendingSpace = true
                continue
            }
            if isWordChar(ch) {
                let b = ch.utf8.count
                if inWord == 0 || inWord + b > 6 { n += 1; inWord = b } else { inWord += b }
            } else {
                n += 1
                inWord = 0
            }
            pendingSpace = false
        }
        return n + (pendingSpace ? 1 : 0)
    }

    private static func isWordChar(_ c: Character) -> Bool {
        c.isASCII ? (c.isLetter || c.isNumber || c == "_") : c.isLetter
    }
}

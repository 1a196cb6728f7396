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
        if let ascii = asciiPieces(text) { return ascii }
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

    /// Where the pieces of the UTF-8 text `utf8` meet, as byte offsets: 0, each piece's end
    /// (the last is `utf8.count`); just `[0]` for an empty text. What ``pieces(_:)`` cuts.
    static func bounds(_ utf8: UnsafeBufferPointer<UInt8>) -> [UInt32] {
        var out: [UInt32] = [0]
        out.reserveCapacity(utf8.count / 3 + 2)
        if asciiScan(utf8, { out.append(UInt32(truncatingIfNeeded: $0)) }) { return out }
        out = [0]
        var end = 0
        for p in pieces(String(decoding: utf8, as: UTF8.self)) {
            end += p.utf8.count
            out.append(UInt32(truncatingIfNeeded: end))
        }
        return out
    }

    static func count(_ text: String) -> Int {
        if let n = asciiCount(text) { return n }
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

    // MARK: ASCII fast path (the common case; same rule on bytes, no Unicode property look-ups)

    /// Whether the byte (below 0x80) is a word byte (`0-9 A-Z _ a-z`) or whitespace (`\t` to
    /// `\r`, 0x1C-0x1F, space): bit masks over bytes 0-63 and 64-127, no table to initialise.
    @inline(__always)
    private static func isWordByte(_ b: UInt8) -> Bool {
        let low: UInt64 = 0x03FF_0000_0000_0000, high: UInt64 = 0x07FF_FFFE_87FF_FFFE
        return ((b < 64 ? low : high) >> UInt64(b & 63)) & 1 != 0
    }

    @inline(__always)
    private static func isSpaceByte(_ b: UInt8) -> Bool { b < 64 && (0x0000_0001_F000_3E00 as UInt64 >> UInt64(b)) & 1 != 0 }

    /// Walks the token boundaries of an all-ASCII text, calling `end` with each piece's end
    /// (a byte offset); false if the text is not ASCII (then `end` may have been called).
    @inline(__always)
    private static func asciiScan(_ buf: UnsafeBufferPointer<UInt8>, _ end: (Int) -> Void) -> Bool {
        var i = 0
        let n = buf.count
        while i < n {
            while i < n, isSpaceByte(buf[i]) { i += 1 }
            if i == n { end(n); break }
            let b = buf[i]
            if b >= 0x80 { return false }
            if isWordByte(b) {
                let start = i
                while i < n, i - start < 6, buf[i] < 0x80, isWordByte(buf[i]) { i += 1 }
                if i < n, buf[i] >= 0x80 { return false }
            } else {
                i += 1
            }
            end(i)
        }
        return true
    }

    /// Token boundaries of an all-ASCII text as byte offsets (piece ends), or nil if not ASCII.
    private static func asciiEnds(_ text: String) -> [Int]? {
        var text = text
        return text.withUTF8 { buf -> [Int]? in
            var ends: [Int] = []
            ends.reserveCapacity(buf.count / 3 + 1)
            return asciiScan(buf) { ends.append($0) } ? ends : nil
        }
    }

    private static func asciiPieces(_ text: String) -> [Substring]? {
        guard let ends = asciiEnds(text) else { return nil }
        let utf8 = text.utf8
        var out: [Substring] = []
        out.reserveCapacity(ends.count)
        var start = utf8.startIndex
        for e in ends {
            let end = utf8.index(utf8.startIndex, offsetBy: e)
            out.append(Substring(utf8[start..<end]))
            start = end
        }
        return out
    }

    /// The piece count of an all-ASCII text (``asciiScan(_:_:)`` counting instead of
    /// collecting), or nil if not ASCII.
    private static func asciiCount(_ text: String) -> Int? {
        var text = text
        return text.withUTF8 { buf -> Int? in
            var n = 0
            return asciiScan(buf) { _ in n += 1 } ? n : nil
        }
    }

    private static func isWordChar(_ c: Character) -> Bool {
        c.isASCII ? (c.isLetter || c.isNumber || c == "_") : c.isLetter
    }
}

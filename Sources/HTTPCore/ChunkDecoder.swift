/// A byte-driven decoder for `Transfer-Encoding: chunked` request bodies (RFC 9112 §7.1).
///
/// Strict: a chunk-size line is `1*HEXDIG [chunk-ext] CRLF` and nothing else. Whitespace may only
/// stand where the grammar puts BWS, inside chunk extensions (before `;` and around `=`), so
/// `1c 9` or `1c ` is an error, not the size 0x1c. Extensions (`;name`, `;name=token`,
/// `;name="quoted"`) are checked against the grammar and then ignored, as §7.1.1 asks of a
/// recipient that does not understand them. Leading zeros are allowed; at most 15 significant
/// digits. A size line (extensions included) may be 4 KiB long. Data ends in CRLF; trailer
/// fields must be `name: value` lines and are read and discarded.
///
/// Concurrency: a value owned by one parser, so by one connection's loop thread.
struct ChunkDecoder: Sendable {
    enum Outcome { case needMore, done(Int), error(ParseError) }

    private enum Phase {
        case size, sizeBWS, extNameStart, extName, extAfterName, extValueStart, extValue, extAfterValue
        case quoted, quotedEscape, afterQuoted
        case sizeLF, data, dataCR, dataLF, trailerStart, trailerName, trailer, trailerLF, endLF
    }

    private var phase = Phase.size
    private var cursor = -1
    private var size = 0
    private var digits = 0
    private var significant = 0
    private var lineBytes = 0
    private var trailerBytes = 0
    private static let maxLine = 4096

    mutating func decode(_ buf: UnsafeRawBufferPointer, from start: Int, into body: inout [UInt8], limits: ParserLimits) -> Outcome {
        if cursor < 0 { cursor = start }
        var i = cursor
        defer { cursor = i }
        let n = buf.count
        while i < n {
            let b = buf[i]
            switch phase {
            case .size, .sizeBWS, .extNameStart, .extName, .extAfterName, .extValueStart, .extValue, .extAfterValue,
                 .quoted, .quotedEscape, .afterQuoted:
                if b == 0x0A { return .error(.bareLineFeed) }
                lineBytes += 1
                guard lineBytes <= Self.maxLine else { return .error(.invalidChunk("chunk size line too long")) }
                if let e = sizeLine(b) { return .error(e) }
                i += 1
            case .sizeLF:
                guard b == 0x0A else { return .error(.bareCarriageReturn) }
                i += 1
                if size == 0 {
                    phase = .trailerStart
                } else {
                    guard body.count + size <= limits.maxBodyBytes else { return .error(.bodyTooLarge) }
                    body.reserveCapacity(body.count + size)
                    phase = .data
                }
            case .data:
                let take = min(size, n - i)
                body.append(contentsOf: UnsafeRawBufferPointer(rebasing: buf[i..<(i + take)]))
                i += take
                size -= take
                if size == 0 { phase = .dataCR }
            case .dataCR:
                guard b == 0x0D else { return .error(.invalidChunk("chunk data not followed by CRLF")) }
                phase = .dataLF
                i += 1
            case .dataLF:
                guard b == 0x0A else { return .error(.bareCarriageReturn) }
                phase = .size
                digits = 0
                significant = 0
                lineBytes = 0
                i += 1
            case .trailerStart:
                if b == 0x0D { phase = .endLF } else if b == 0x0A { return .error(.bareLineFeed) }
                else if b == 0x20 || b == 0x09 { return .error(.obsoleteLineFolding) }
                else if isTokenByte(b) { phase = .trailerName }
                else { return .error(.invalidHeader("invalid byte in trailer field name")) }
                trailerBytes += 1
                i += 1
            case .trailerName:
                if b == 0x3A { phase = .trailer }
                else if b == 0x0D || b == 0x0A { return .error(.invalidHeader("missing colon in trailer field")) }
                else if !isTokenByte(b) { return .error(.invalidHeader("invalid byte in trailer field name")) }
                trailerBytes += 1
                guard trailerBytes <= limits.maxHeaderBytes else { return .error(.headersTooLarge) }
                i += 1
            case .trailer:
                if b == 0x0D { phase = .trailerLF } else if b == 0x0A { return .error(.bareLineFeed) }
                else if (b < 0x20 && b != 0x09) || b == 0x7F { return .error(.invalidHeader("control character in trailer")) }
                trailerBytes += 1
                guard trailerBytes <= limits.maxHeaderBytes else { return .error(.headersTooLarge) }
                i += 1
            case .trailerLF:
                guard b == 0x0A else { return .error(.bareCarriageReturn) }
                phase = .trailerStart
                i += 1
            case .endLF:
                guard b == 0x0A else { return .error(.bareCarriageReturn) }
                i += 1
                return .done(i)
            }
        }
        return .needMore
    }

    /// One byte of a chunk-size line (not LF): `1*HEXDIG *( BWS ";" BWS name [ BWS "=" BWS value ] ) CR`.
    private mutating func sizeLine(_ b: UInt8) -> ParseError? {
        let ws = b == 0x20 || b == 0x09
        switch phase {
        case .size:
            if let d = hexValue(b) {
                digits += 1
                if size > 0 || d > 0 { significant += 1 }
                guard significant <= 15 else { return .invalidChunk("chunk size too large") }
                size = size << 4 | d
                return nil
            }
            guard digits > 0 else {
                return .invalidChunk(b == 0x0D || b == 0x3B || ws ? "missing chunk size" : "invalid chunk size")
            }
            if b == 0x0D { phase = .sizeLF } else if b == 0x3B { phase = .extNameStart }
            else if ws { phase = .sizeBWS } else { return .invalidChunk("invalid chunk size") }
        case .sizeBWS, .extAfterValue:  // only a further extension may follow whitespace
            if b == 0x3B { phase = .extNameStart } else if !ws { return .invalidChunk("invalid chunk size line") }
        case .extNameStart:
            if isTokenByte(b) { phase = .extName } else if !ws { return .invalidChunk("invalid chunk extension name") }
        case .extName:
            if b == 0x0D { phase = .sizeLF } else if b == 0x3B { phase = .extNameStart }
            else if b == 0x3D { phase = .extValueStart } else if ws { phase = .extAfterName }
            else if !isTokenByte(b) { return .invalidChunk("invalid chunk extension name") }
        case .extAfterName:
            if b == 0x3D { phase = .extValueStart } else if b == 0x3B { phase = .extNameStart }
            else if !ws { return .invalidChunk("invalid chunk extension") }
        case .extValueStart:
            if b == 0x22 { phase = .quoted } else if isTokenByte(b) { phase = .extValue }
            else if !ws { return .invalidChunk("invalid chunk extension value") }
        case .extValue:
            if b == 0x0D { phase = .sizeLF } else if b == 0x3B { phase = .extNameStart }
            else if ws { phase = .extAfterValue } else if !isTokenByte(b) { return .invalidChunk("invalid chunk extension value") }
        case .quoted:  // qdtext: HTAB, SP, VCHAR except `"` and `\`, obs-text
            if b == 0x22 { phase = .afterQuoted } else if b == 0x5C { phase = .quotedEscape }
            else if (b < 0x20 && b != 0x09) || b == 0x7F { return .invalidChunk("control character in chunk extension") }
        case .quotedEscape:
            if (b < 0x20 && b != 0x09) || b == 0x7F { return .invalidChunk("control character in chunk extension") }
            phase = .quoted
        case .afterQuoted:
            if b == 0x0D { phase = .sizeLF } else if b == 0x3B { phase = .extNameStart }
            else if ws { phase = .extAfterValue } else { return .invalidChunk("invalid chunk extension value") }
        default:
            break
        }
        return nil
    }

    private func hexValue(_ b: UInt8) -> Int? {
        switch b {
        case 0x30...0x39: Int(b - 0x30)
        case 0x41...0x46: Int(b - 0x41 + 10)
        case 0x61...0x66: Int(b - 0x61 + 10)
        default: nil
        }
    }
}

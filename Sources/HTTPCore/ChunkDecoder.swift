/// A byte-driven decoder for `Transfer-Encoding: chunked` request bodies (RFC 9112 §7.1).
///
/// Strict: chunk-size lines and data terminators must end in CRLF, sizes are hex with at most
/// 15 digits, chunk extensions are skipped, trailer fields are read and discarded.
struct ChunkDecoder: Sendable {
    enum Outcome { case needMore, done(Int), error(ParseError) }

    private enum Phase { case size, ext, sizeLF, data, dataCR, dataLF, trailerStart, trailer, trailerLF, endLF }

    private var phase = Phase.size
    private var cursor = -1
    private var size = 0
    private var digits = 0
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
            case .size:
                if let d = hexValue(b) {
                    digits += 1
                    guard digits <= 15 else { return .error(.invalidChunk("chunk size too large")) }
                    size = size << 4 | d
                } else if b == 0x3B || b == 0x20 || b == 0x09 {
                    guard digits > 0 else { return .error(.invalidChunk("missing chunk size")) }
                    phase = .ext
                } else if b == 0x0D {
                    guard digits > 0 else { return .error(.invalidChunk("missing chunk size")) }
                    phase = .sizeLF
                } else if b == 0x0A {
                    return .error(.bareLineFeed)
                } else {
                    return .error(.invalidChunk("invalid chunk size"))
                }
                i += 1
            case .ext:
                if b == 0x0D { phase = .sizeLF } else if b == 0x0A { return .error(.bareLineFeed) }
                else if (b < 0x20 && b != 0x09) || b == 0x7F { return .error(.invalidChunk("control character in chunk extension")) }
                lineBytes += 1
                guard lineBytes <= Self.maxLine else { return .error(.invalidChunk("chunk extension too long")) }
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
                lineBytes = 0
                i += 1
            case .trailerStart:
                if b == 0x0D { phase = .endLF } else if b == 0x0A { return .error(.bareLineFeed) }
                else if b == 0x20 || b == 0x09 { return .error(.obsoleteLineFolding) }
                else { phase = .trailer }
                trailerBytes += 1
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

    private func hexValue(_ b: UInt8) -> Int? {
        switch b {
        case 0x30...0x39: Int(b - 0x30)
        case 0x41...0x46: Int(b - 0x41 + 10)
        case 0x61...0x66: Int(b - 0x61 + 10)
        default: nil
        }
    }
}

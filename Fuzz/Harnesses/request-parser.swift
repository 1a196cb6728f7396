// fuzz-modules: HTTPCore
// fuzz-max-len: 1024
// Differential harness for the HTTP/1.1 request parser: the same bytes are delivered whole, byte
// by byte, and in two pieces split at a point derived from the input (the way a connection
// receives them), and the three outcomes (every request parsed, then needMore or the error)
// must be identical. Small limits put the 414/431/413 edges within reach of short inputs.
@testable import HTTPCore

/// What a caller can observe of one parsed request.
struct SeenRequest: Equatable, CustomStringConvertible {
    var method: String
    var version: Version
    var keepAlive: Bool
    var target: String
    var headers: [String]
    var body: [UInt8]
    var consumed: Int
    var description: String { "\(method) \(target) \(version) keepAlive=\(keepAlive) headers=\(headers) body=\(body.count)B consumed=\(consumed)" }
}

/// Everything the parser said about an input.
struct ParseOutcome: Equatable, CustomStringConvertible {
    enum End: Equatable { case needMore, error(ParseError) }
    var requests: [SeenRequest] = []
    var end = End.needMore
    var description: String { "\(requests) then \(end)" }
}

let fuzzLimits = ParserLimits(maxRequestLine: 64, maxHeaderBytes: 256, maxHeaderCount: 8, maxBodyBytes: 512)

/// Delivers `bytes` in pieces ending at each of `cuts` (ascending, the last one `bytes.count`),
/// parsing like a connection does: from the current message's first byte, requests taken off the
/// front as they complete, parsing stopped at the first error.
func parseDelivered(_ bytes: [UInt8], cuts: some Sequence<Int>) -> ParseOutcome {
    var outcome = ParseOutcome()
    var parser = RequestParser(limits: fuzzLimits)
    var start = 0
    for available in cuts {
        while start < available {
            let result = bytes.withUnsafeBytes { parser.parse(UnsafeRawBufferPointer(rebasing: $0[start..<available])) }
            switch result {
            case .needMore:
                break
            case .request(let r, let consumed):
                guard consumed > 0, consumed <= available - start else {
                    fuzzFailure("consumed \(consumed) of \(available - start) bytes")
                }
                guard r.body.count <= fuzzLimits.maxBodyBytes else { fuzzFailure("body of \(r.body.count) bytes passed the limit") }
                outcome.requests.append(SeenRequest(method: r.method.rawValue, version: r.version, keepAlive: r.keepAlive,
                                                    target: r.target, headers: r.headers.map { "\($0.name): \($0.value)" },
                                                    body: r.body, consumed: consumed))
                start += consumed
                continue
            case .error(let e):
                outcome.end = .error(e)
                return outcome
            }
            break
        }
    }
    return outcome
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRequestParser(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let n = bytes.count
    let whole = parseDelivered(bytes, cuts: [n])
    let split = n == 0 ? 0 : Int(fuzzHash(bytes) % UInt64(n + 1))
    let twoPieces = parseDelivered(bytes, cuts: [split, n])
    guard twoPieces == whole else {
        fuzzFailure("split at \(split) of \(n): \(twoPieces)\nwhole: \(whole)")
    }
    let byteByByte = parseDelivered(bytes, cuts: n == 0 ? [0] : Array(1...n))
    guard byteByByte == whole else {
        fuzzFailure("byte by byte: \(byteByByte)\nwhole: \(whole)")
    }
    // Requests taken off the front leave exactly what follows them.
    let consumed = whole.requests.reduce(0) { $0 + $1.consumed }
    guard consumed <= n else { fuzzFailure("consumed \(consumed) of \(n) bytes") }
    return 0
}

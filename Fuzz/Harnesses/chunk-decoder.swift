// fuzz-modules: HTTPCore
// fuzz-max-len: 1024
// The chunked-body decoder on its own: any bytes, delivered whole, byte by byte, and in two pieces
// split at a point derived from the input, must decode to the same body and stop at the same
// offset (or fail with the same error), and the body must stay within the limit.
@testable import HTTPCore

let chunkLimits = ParserLimits(maxRequestLine: 64, maxHeaderBytes: 128, maxHeaderCount: 8, maxBodyBytes: 1024)

/// What the decoder said about an input delivered in pieces ending at each of `cuts`.
struct ChunkOutcome: Equatable, CustomStringConvertible {
    enum End: Equatable { case needMore, done(Int), error(ParseError) }
    var end: End
    var body: [UInt8]
    var description: String { "\(end), body \(body.count) bytes" }
}

func decodeDelivered(_ bytes: [UInt8], from start: Int, cuts: some Sequence<Int>) -> ChunkOutcome {
    var decoder = ChunkDecoder()
    var body: [UInt8] = []
    for available in cuts where available >= start {
        let outcome = bytes.withUnsafeBytes { decoder.decode(UnsafeRawBufferPointer(rebasing: $0[0..<available]), from: start, into: &body, limits: chunkLimits) }
        guard body.count <= chunkLimits.maxBodyBytes else { fuzzFailure("body of \(body.count) bytes passed the limit") }
        switch outcome {
        case .needMore: continue
        case .done(let at):
            guard at > start, at <= available else { fuzzFailure("done at \(at) outside \(start)...\(available)") }
            return ChunkOutcome(end: .done(at), body: body)
        case .error(let e): return ChunkOutcome(end: .error(e), body: body)
        }
    }
    return ChunkOutcome(end: .needMore, body: body)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzChunkDecoder(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let n = bytes.count
    // The body usually starts after a head: start at an offset taken from the input's hash.
    let hash = fuzzHash(bytes)
    let start = n == 0 ? 0 : Int(hash % 4) % (n + 1)
    let whole = decodeDelivered(bytes, from: start, cuts: [n])
    let split = start + (n - start == 0 ? 0 : Int((hash >> 8) % UInt64(n - start + 1)))
    let twoPieces = decodeDelivered(bytes, from: start, cuts: [split, n])
    guard twoPieces == whole else { fuzzFailure("split at \(split) of \(n): \(twoPieces); whole: \(whole)") }
    let byteByByte = decodeDelivered(bytes, from: start, cuts: n == 0 ? [0] : Array(1...n))
    guard byteByByte == whole else { fuzzFailure("byte by byte: \(byteByByte); whole: \(whole)") }
    // A decoded body is never longer than the input that carried it.
    guard whole.body.count <= n else { fuzzFailure("body \(whole.body.count) bytes from \(n) input bytes") }
    return 0
}

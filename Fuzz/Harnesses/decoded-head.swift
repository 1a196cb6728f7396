// fuzz-modules: HTTPCore
// fuzz-max-len: 512
// Differential harness for the head of an HTTP/2 request (DecodedHead): the input is read as a
// list of decoded fields, pseudo-headers (method, target, authority) and regular ones, in any
// order and with any bytes, as HPACK hands them over. Whenever DecodedHead builds the Request
// itself, it must be exactly the request the HTTP/1.1 parser makes of the same head (bytes, field
// ranges, derived values); whenever it leaves the head to the parser, the parser must get the
// same HTTP/1.1 text DecodedHead shows. Small limits put the parser's 414/431 edges in reach.
@testable import HTTPCore

let headLimits = ParserLimits(maxRequestLine: 48, maxHeaderBytes: 160, maxHeaderCount: 6, maxBodyBytes: 64)

/// One field as the input spells it: a kind byte (method, target, authority or a regular field),
/// then the name (regular fields) and the value, each a length byte and that many bytes. Names and
/// values lean on a small alphabet so that hosts, framing fields and limits come up often.
func nextField(_ input: inout FuzzInput) -> (pseudo: DecodedHead.Pseudo?, name: [UInt8], value: [UInt8]) {
    let kind = input.below(6)
    func text(_ input: inout FuzzInput, max: Int) -> [UInt8] {
        if input.bool() { return input.chunk(max: max) }
        let words: [String] = ["host", "Host", "content-length", "transfer-encoding", "connection", "expect", "x", "a b",
                               "/", "/v1/models?q=1", "GET", "POST", " ", "\t", "\r\n", "h:1", "", "\u{7F}", "é"]
        var out: [UInt8] = []
        for _ in 0..<(1 + input.below(3)) { out += Array(input.pick(words).utf8) }
        return out
    }
    switch kind {
    case 0: return (.method, [], text(&input, max: 12))
    case 1: return (.target, [], text(&input, max: 40))
    case 2: return (.authority, [], text(&input, max: 24))
    default: return (nil, text(&input, max: 20), text(&input, max: 40))
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDecodedHead(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    var head = DecodedHead()
    var fields = 0
    while !input.isAtEnd, fields < 16 {
        let f = nextField(&input)
        f.value.withUnsafeBufferPointer { value in
            if let p = f.pseudo {
                head.set(p, value)
            } else {
                f.name.withUnsafeBufferPointer { head.add(name: $0, value: value) }
            }
        }
        fields += 1
    }
    let text = head.http1Head()
    var parser = RequestParser(limits: headLimits)
    let viaParser = parser.parse(text)
    guard let built = head.request(limits: headLimits) else { return 0 }
    guard case .request(let r, let consumed) = viaParser else {
        fuzzFailure("DecodedHead built a request the parser refuses: \(String(decoding: text, as: UTF8.self).debugDescription) -> \(viaParser)")
    }
    guard consumed == text.count, r.rawHead == built.rawHead, r.method == built.method, r.version == built.version,
          r.keepAlive == built.keepAlive, r.targetRange == built.targetRange, r.authorityRange == built.authorityRange,
          r.fieldRanges.count == built.fieldRanges.count, r.nameFilter == built.nameFilter,
          r.path == built.path, r.query == built.query, r.host == built.host, r.headBytes == built.headBytes
    else {
        fuzzFailure("DecodedHead and the parser differ on \(String(decoding: text, as: UTF8.self).debugDescription)")
    }
    for (x, y) in zip(r.fieldRanges, built.fieldRanges)
    where x.nameStart != y.nameStart || x.nameEnd != y.nameEnd || x.valueStart != y.valueStart || x.valueEnd != y.valueEnd {
        fuzzFailure("field ranges differ on \(String(decoding: text, as: UTF8.self).debugDescription)")
    }
    return 0
}

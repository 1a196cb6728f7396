import Testing
@testable import HTTPCore

/// The same bytes get the same answer however they arrive: every input of a corpus is fed whole,
/// byte by byte and cut in two at every offset, and every feeding must give the outcomes the
/// whole input gives (requests, the error, or where it was left incomplete).
@Suite struct SplitInvarianceTests {
    typealias D = ParserDriver

    /// Small limits, so the limit checks are reached within short inputs.
    static let small = ParserLimits(maxRequestLine: 32, maxHeaderBytes: 64, maxHeaderCount: 4, maxBodyBytes: 16)

    static func corpus() -> [(String, [UInt8])] {
        func b(_ s: String) -> [UInt8] { Array(s.utf8) }
        let get = "GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n"
        var c: [(String, [UInt8])] = [
            ("plain GET", b(get)),
            ("three pipelined", b(get + "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc" + get)),
            ("chunked with extension and trailer",
             b("POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3;a=\"q\"\r\nabc\r\n0\r\nT: 1\r\n\r\n" + get)),
            ("chunk size with junk after a space", b("POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1c 9\r\n")),
            ("absolute form", b("GET http://h:1/v1/models?x=1 HTTP/1.1\r\nHost: y\r\n\r\n")),
            ("request line of control bytes past the limit", [UInt8](repeating: 0x01, count: 40) + b("\r\n\r\n")),
            ("control bytes then a bare LF past the limit", [UInt8](repeating: 0x01, count: 34) + [0x0A]),
            ("control bytes then a bare LF at the limit", [UInt8](repeating: 0x01, count: 32) + [0x0A]),
            ("long request line", b("GET /" + String(repeating: "a", count: 40) + " HTTP/1.1\r\nHost: x\r\n\r\n")),
            ("request line exactly at the limit", b("GET /" + String(repeating: "a", count: 18) + " HTTP/1.1\r\nHost: x\r\n\r\n")),
            ("header block past the limit", b("GET / HTTP/1.1\r\nHost: x\r\nX-A: " + String(repeating: "v", count: 70) + "\r\n\r\n")),
            ("control bytes in a header past the limit", b("GET / HTTP/1.1\r\nHost: x\r\nX-A: ") + [UInt8](repeating: 0x02, count: 70) + b("\r\n\r\n")),
            ("too many fields", b("GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n")),
            ("body too large", b("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 17\r\n\r\n")),
            ("chunked body too large", b("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n9\r\n123456789\r\n9\r\n")),
            ("bare CR in head", b("GET / HTTP/1.1\r\nHost: x\rY\r\n\r\n")),
            ("CR at the end", b("GET / HTTP/1.1\r\nHost: x\r")),
            ("incomplete head", b("GET / HTTP/1.1\r\nHo")),
            ("empty lines first", b("\r\n\r\n" + get)),
            ("many empty lines", b(String(repeating: "\r\n", count: 20))),
            ("binary noise", (0..<48).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }),
        ]
        // The fuzzer's find, at the default limits: an 8,196-byte line of control bytes.
        c.append(("8,196 control bytes at the default limits", [UInt8](repeating: 0x01, count: 8196) + b("\r\n\r\n")))
        return c
    }

    @Test(arguments: corpus().indices)
    func parser_givesTheSameOutcomesHoweverTheInputIsSplit(_ index: Int) {
        let (name, bytes) = Self.corpus()[index]
        let limits = bytes.count > 1000 ? ParserLimits() : Self.small
        let whole = D.outcomes(bytes, cuts: [], limits: limits)
        #expect(!whole.isEmpty, "\(name): no outcome at all")
        #expect(D.outcomes(bytes, cuts: Array(1..<bytes.count), limits: limits) == whole, "\(name): byte by byte")
        // Every two-piece split (for the long input, every split near the limit and a sample elsewhere).
        let points = bytes.count > 1000 ? Array(Set(Array(8180..<8200) + Array(stride(from: 1, to: bytes.count, by: 97)))).sorted()
                                        : Array(1..<bytes.count)
        for cut in points {
            let split = D.outcomes(bytes, cuts: [cut], limits: limits)
            #expect(split == whole, "\(name): split at \(cut) gave \(split), whole gave \(whole)")
            if split != whole { break }
        }
    }

    @Test func parser_controlByteLinePastTheLimitIs414WholeAndSplit() {
        let bytes = [UInt8](repeating: 0x01, count: 8196) + Array("\r\n\r\n".utf8)
        #expect(D.outcomes(bytes, cuts: []) == [.error(.requestLineTooLong)])
        #expect(D.outcomes(bytes, cuts: [4096]) == [.error(.requestLineTooLong)])
    }
}

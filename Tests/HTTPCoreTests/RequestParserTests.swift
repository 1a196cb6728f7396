import Testing
@testable import HTTPCore

@Suite struct RequestParserTests {
    typealias D = ParserDriver

    @Test(arguments: D.Feeding.allCases)
    func parser_parsesGetWithHeadersAndQuery(_ feeding: D.Feeding) {
        let out = D.run("GET /v1/models?capability=vision HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k\r\n\r\n", feeding)
        #expect(out == [.request(method: "GET", target: "/v1/models?capability=vision", body: [], keepAlive: true)])
    }

    @Test func request_exposesPathQueryAndCaseInsensitiveHeaders() throws {
        let r = try #require(D.request("GET /a/b?x=1&y=2 HTTP/1.1\r\nHost: h\r\nX-Api-Key:   secret  \r\nX-Two: a\r\nx-two: b\r\n\r\n"))
        #expect(r.path == "/a/b")
        #expect(r.query == "x=1&y=2")
        #expect(r.header("x-api-key") == "secret")
        #expect(r.header("X-TWO") == "a")
        #expect(r.headers.values("x-two") == ["a", "b"])
        #expect(r.hasHeader("host"))
        #expect(!r.hasHeader("cookie"))
        #expect(r.version == .http1_1)
    }

    @Test(arguments: D.Feeding.allCases)
    func parser_readsContentLengthBody(_ feeding: D.Feeding) {
        let out = D.run("POST /v1/x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", feeding)
        #expect(out == [.request(method: "POST", target: "/v1/x", body: Array("hello".utf8), keepAlive: true)])
    }

    @Test(arguments: D.Feeding.allCases)
    func parser_decodesChunkedBodyWithExtensionsAndTrailers(_ feeding: D.Feeding) {
        let text = "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5;name=value\r\nhello\r\n7\r\n, world\r\n0\r\nX-Trailer: t\r\n\r\n"
        #expect(D.run(text, feeding) == [.request(method: "POST", target: "/c", body: Array("hello, world".utf8), keepAlive: true)])
    }

    @Test(arguments: D.Feeding.allCases)
    func parser_answersPipelinedRequestsInOrder(_ feeding: D.Feeding) {
        let text = "GET /1 HTTP/1.1\r\nHost: x\r\n\r\n"
            + "POST /2 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
            + "POST /3 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"
            + "GET /4 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        #expect(D.run(text, feeding) == [
            .request(method: "GET", target: "/1", body: [], keepAlive: true),
            .request(method: "POST", target: "/2", body: Array("abc".utf8), keepAlive: true),
            .request(method: "POST", target: "/3", body: Array("ok".utf8), keepAlive: true),
            .request(method: "GET", target: "/4", body: [], keepAlive: false),
        ])
    }

    @Test func parser_keepAliveFollowsVersionAndConnectionHeader() {
        #expect(D.request("GET / HTTP/1.0\r\n\r\n")?.keepAlive == false)
        #expect(D.request("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")?.keepAlive == true)
        #expect(D.request("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")?.keepAlive == false)
        #expect(D.request("GET / HTTP/1.1\r\nHost: x\r\nConnection: TE, Close\r\n\r\n")?.keepAlive == false)
        #expect(D.request("GET / HTTP/1.1\r\nHost: x\r\n\r\n")?.keepAlive == true)
        #expect(D.request("GET / HTTP/1.0\r\n\r\n")?.version == .http1_0)
    }

    @Test func parser_ignoresEmptyLinesBeforeRequestLine() {
        #expect(D.run("\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", .byteByByte) == [.request(method: "GET", target: "/", body: [], keepAlive: true)])
    }

    @Test func parser_reportsExpectContinueOnceHeadIsComplete() {
        var p = RequestParser()
        let head = Array("POST /x HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n".utf8)
        guard case .needMore = p.parse(head) else { Issue.record("expected needMore"); return }
        #expect(p.headComplete)
        #expect(p.expectsContinue)
        guard case .request(let r, let n) = p.parse(head + Array("hi".utf8)) else { Issue.record("expected request"); return }
        #expect(r.body == Array("hi".utf8))
        #expect(n == head.count + 2)
    }

    @Test func parser_acceptsIdenticalRepeatedContentLength() {
        #expect(D.request("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2, 2\r\nContent-Length: 2\r\n\r\nok")?.body == Array("ok".utf8))
    }

    // MARK: framing defences (RFC 9112)

    static let framingErrors: [(String, String, ParseError)] = [
        ("CL and TE together", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", .contentLengthWithTransferEncoding),
        ("conflicting CL", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", .invalidContentLength),
        ("conflicting CL list", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 4\r\n\r\n", .invalidContentLength),
        ("non-numeric CL", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", .invalidContentLength),
        ("negative CL", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", .invalidContentLength),
        ("signed CL", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\n", .invalidContentLength),
        ("empty CL", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: \r\n\r\n", .invalidContentLength),
        ("huge CL", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n", .invalidContentLength),
        ("TE not chunked", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", .transferEncodingNotChunked),
        ("TE chunked then gzip", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", .transferEncodingNotChunked),
        ("TE chunked twice", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", .transferEncodingNotChunked),
        ("TE on HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", .transferEncodingNotChunked),
        ("TE gzip, chunked", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", .unsupportedTransferCoding("gzip")),
        ("bad chunk size", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", .invalidChunk("invalid chunk size")),
        ("empty chunk size", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\r\n", .invalidChunk("missing chunk size")),
        ("overflowing chunk size", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000\r\n", .invalidChunk("chunk size too large")),
        ("chunk data without CRLF", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokX\r\n", .invalidChunk("chunk data not followed by CRLF")),
        ("bare LF in chunk line", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\nok\r\n", .bareLineFeed),
        ("obs-fold", "GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n  continued\r\n\r\n", .obsoleteLineFolding),
        ("bare LF in head", "GET / HTTP/1.1\nHost: x\r\n\r\n", .bareLineFeed),
        ("bare CR in head", "GET / HTTP/1.1\r\nHost: x\rY\r\n\r\n", .bareCarriageReturn),
        ("missing Host", "GET / HTTP/1.1\r\n\r\n", .missingHost),
        ("two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", .missingHost),
        ("space before colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n", .invalidHeader("whitespace before colon")),
        ("no colon", "GET / HTTP/1.1\r\nHost x\r\n\r\n", .invalidHeader("whitespace before colon")),
        ("no colon, no space", "GET / HTTP/1.1\r\nHost: x\r\nXfoo\r\n\r\n", .invalidHeader("missing colon")),
        ("bad name byte", "GET / HTTP/1.1\r\nHost: x\r\nX(a): 1\r\n\r\n", .invalidHeader("invalid byte in field name")),
        ("control byte in value", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\u{01}b\r\n\r\n", .invalidHeader("control character in field value")),
        ("HTTP/2.0 line", "GET / HTTP/2.0\r\nHost: x\r\n\r\n", .unsupportedVersion),
        ("bad version", "GET / HTTP/1.1x\r\nHost: x\r\n\r\n", .malformedRequestLine("invalid HTTP version")),
        ("extra space", "GET  / HTTP/1.1\r\nHost: x\r\n\r\n", .malformedRequestLine("too many spaces")),
        ("missing version", "GET /\r\nHost: x\r\n\r\n", .malformedRequestLine("expected METHOD SP TARGET SP VERSION")),
        ("bad method", "G(T / HTTP/1.1\r\nHost: x\r\n\r\n", .malformedRequestLine("invalid method")),
        ("space in target", "GET /a b HTTP/1.1\r\nHost: x\r\n\r\n", .malformedRequestLine("too many spaces")),
        ("unknown expectation", "POST / HTTP/1.1\r\nHost: x\r\nExpect: magic\r\nContent-Length: 1\r\n\r\n", .unsupportedExpectation),
    ]

    @Test(arguments: framingErrors.indices, D.Feeding.allCases)
    func parser_rejectsBadFraming(_ index: Int, _ feeding: D.Feeding) {
        let (name, text, expected) = Self.framingErrors[index]
        let out = D.run(text, feeding)
        #expect(out == [.error(expected)], "\(name)")
    }

    /// Field values are checked eight bytes at a time: a control byte (or DEL) at any offset of a
    /// long value is still found, while tabs and bytes from 0x80 up pass wherever they sit.
    @Test func parser_checksEveryValueByte() {
        for offset in 0..<27 {
            for (byte, ok) in [(0x01, false), (0x1F, false), (0x7F, false), (0x00, false), (0x09, true), (0x80, true), (0xFF, true), (0x20, true)] {
                var value = Array("abcdefghijklmnopqrstuvwxyz0".utf8)
                value[offset] = UInt8(byte)
                let head = Array("GET / HTTP/1.1\r\nHost: x\r\nX-A: ".utf8) + value + Array("\r\n\r\n".utf8)
                var parser = RequestParser()
                switch parser.parse(head) {
                case .request: #expect(ok, "byte \(byte) at \(offset) accepted")
                case .error(let e): #expect(!ok && e == .invalidHeader("control character in field value"), "byte \(byte) at \(offset): \(e)")
                case .needMore: Issue.record("byte \(byte) at \(offset): incomplete")
                }
            }
        }
    }

    @Test func parseErrors_mapToStatuses() {
        #expect(ParseError.requestLineTooLong.status.code == 414)
        #expect(ParseError.headersTooLarge.status.code == 431)
        #expect(ParseError.tooManyHeaders.status.code == 431)
        #expect(ParseError.bodyTooLarge.status.code == 413)
        #expect(ParseError.unsupportedVersion.status.code == 505)
        #expect(ParseError.unsupportedTransferCoding("gzip").status.code == 501)
        #expect(ParseError.unsupportedExpectation.status.code == 417)
        #expect(ParseError.contentLengthWithTransferEncoding.status.code == 400)
        #expect(ParseError.bareLineFeed.status.code == 400)
    }

    @Test func parser_failureIsSticky() {
        var p = RequestParser()
        guard case .error = p.parse(Array("GET / HTTP/1.1\nx".utf8)) else { Issue.record("expected error"); return }
        guard case .error(.bareLineFeed) = p.parse(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8)) else { Issue.record("expected sticky error"); return }
    }
}

import Testing
@testable import HTTPCore

/// Request-target forms (RFC 9112 §3.2) and the chunk-size line grammar (§7.1, §7.1.1).
@Suite struct TargetAndChunkSyntaxTests {
    typealias D = ParserDriver

    // MARK: request targets

    @Test(arguments: D.Feeding.allCases)
    func parser_acceptsAbsoluteFormAndRoutesByItsPath(_ feeding: D.Feeding) {
        let out = D.run("GET http://127.0.0.1/v1/models?x=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", feeding)
        #expect(out == [.request(method: "GET", target: "/v1/models?x=1", body: [], keepAlive: true)])
    }

    @Test func absoluteForm_authorityWinsOverTheHostField() throws {
        let r = try #require(D.request("GET HTTPS://example.test:8443/a/b HTTP/1.1\r\nHost: other\r\n\r\n"))
        #expect(r.path == "/a/b")
        #expect(r.host == "example.test:8443")
        #expect(r.header("host") == "other")
    }

    @Test func absoluteForm_withoutAPathIsTheRoot() throws {
        let bare = try #require(D.request("GET http://h HTTP/1.1\r\nHost: h\r\n\r\n"))
        #expect(bare.path == "/" && bare.target == "/" && bare.query == nil)
        let query = try #require(D.request("GET http://h?a=1 HTTP/1.1\r\nHost: h\r\n\r\n"))
        #expect(query.path == "/" && query.target == "/?a=1" && query.query == "a=1")
    }

    @Test func originForm_hostComesFromTheHostField() throws {
        let r = try #require(D.request("GET /x HTTP/1.1\r\nHost: a:1\r\n\r\n"))
        #expect(r.host == "a:1" && r.path == "/x")
    }

    static let badTargets: [(String, String)] = [
        ("GET http:///v1/models HTTP/1.1\r\nHost: x\r\n\r\n", "absolute-form target with an empty host"),
        ("GET http://u:p@h/v1 HTTP/1.1\r\nHost: x\r\n\r\n", "userinfo in the request target"),
        ("GET ftp://h/v1 HTTP/1.1\r\nHost: x\r\n\r\n", "request target must be origin, absolute (http/https) or asterisk (OPTIONS) form"),
        ("GET hello HTTP/1.1\r\nHost: x\r\n\r\n", "request target must be origin, absolute (http/https) or asterisk (OPTIONS) form"),
        ("GET * HTTP/1.1\r\nHost: x\r\n\r\n", "request target must be origin, absolute (http/https) or asterisk (OPTIONS) form"),
        ("OPTIONS *x HTTP/1.1\r\nHost: x\r\n\r\n", "request target must be origin, absolute (http/https) or asterisk (OPTIONS) form"),
    ]

    @Test(arguments: badTargets.indices)
    func parser_rejectsTargetsOfNoKnownForm(_ index: Int) {
        let (text, why) = Self.badTargets[index]
        #expect(D.run(text, .whole) == [.error(.malformedRequestLine(why))])
    }

    @Test func parser_acceptsAsteriskFormForOptions() {
        #expect(D.run("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", .whole) == [.request(method: "OPTIONS", target: "*", body: [], keepAlive: true)])
    }

    @Test func absoluteForm_stillNeedsExactlyOneHostOnHTTP11() {
        #expect(D.run("GET http://h/ HTTP/1.1\r\n\r\n", .whole) == [.error(.missingHost)])
    }

    // MARK: chunk-size lines

    static func chunked(_ sizeLine: String, data: String = "abc") -> String {
        "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\(sizeLine)\r\n\(data)\r\n0\r\n\r\n"
    }

    static let goodSizeLines = ["3", "03", "000000000000000000003", "3;a", "3;a=b", "3 ;a", "3\t; a = b", "3;a=\"x y\\\"z\"",
                                "3;a;b=1;c=\"\"", "3;a=b ;c"]

    @Test(arguments: goodSizeLines, D.Feeding.allCases)
    func chunkDecoder_acceptsSizesAndExtensionsOfTheGrammar(_ line: String, _ feeding: D.Feeding) {
        #expect(D.run(Self.chunked(line), feeding) == [.request(method: "POST", target: "/c", body: Array("abc".utf8), keepAlive: true)])
    }

    static let badSizeLines: [(String, String)] = [
        ("3 9", "invalid chunk size line"),  // the reported `1c 9`: not 0x1c
        ("3 ", "invalid chunk size line"),
        ("3\t", "invalid chunk size line"),
        ("3;", "invalid chunk extension name"),
        ("3; ", "invalid chunk extension name"),
        ("3;a=", "invalid chunk extension value"),
        ("3;a b", "invalid chunk extension"),
        ("3;a=b c", "invalid chunk size line"),
        ("3;a=\"x", "control character in chunk extension"),
        ("3;a=\"x\"y", "invalid chunk extension value"),
        ("3;(=1", "invalid chunk extension name"),
        ("x3", "invalid chunk size"),
        (" 3", "missing chunk size"),
        ("3x", "invalid chunk size"),
        ("-3", "invalid chunk size"),
        ("0x3", "invalid chunk size"),
        ("1000000000000000", "chunk size too large"),
    ]

    @Test(arguments: badSizeLines.indices, D.Feeding.allCases)
    func chunkDecoder_rejectsSizeLinesOutsideTheGrammar(_ index: Int, _ feeding: D.Feeding) {
        let (line, why) = Self.badSizeLines[index]
        #expect(D.run(Self.chunked(line), feeding) == [.error(.invalidChunk(why))], "\(line)")
    }

    @Test func chunkDecoder_rejectsAnOverlongSizeLine() {
        let line = "3;a=" + String(repeating: "v", count: 5000)
        #expect(D.run(Self.chunked(line), .whole) == [.error(.invalidChunk("chunk size line too long"))])
    }

    @Test func chunkDecoder_rejectsTrailerLinesThatAreNotFields() {
        let base = "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n"
        #expect(D.run(base + "nocolon\r\n\r\n", .whole) == [.error(.invalidHeader("missing colon in trailer field"))])
        #expect(D.run(base + "(x: 1\r\n\r\n", .whole) == [.error(.invalidHeader("invalid byte in trailer field name"))])
        #expect(D.run(base + "X-T: 1\r\n\r\n", .whole) == [.request(method: "POST", target: "/c", body: [], keepAlive: true)])
    }
}

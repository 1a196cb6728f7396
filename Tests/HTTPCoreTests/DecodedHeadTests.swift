@testable import HTTPCore
import Testing

/// A head from decoded fields (``DecodedHead``) is the request the parser makes of the same
/// HTTP/1.1 head, byte for byte; heads the parser has to judge are left to it.
@Suite struct DecodedHeadTests {
    private func decoded(_ method: String, _ target: String, authority: String, _ fields: [(String, String)]) -> DecodedHead {
        var head = DecodedHead()
        for (which, v) in [(DecodedHead.Pseudo.method, method), (.target, target), (.authority, authority)] where !v.isEmpty || which != .authority {
            Array(v.utf8).withUnsafeBufferPointer { head.set(which, $0) }
        }
        for (n, v) in fields {
            Array(n.utf8).withUnsafeBufferPointer { name in
                Array(v.utf8).withUnsafeBufferPointer { head.add(name: name, value: $0) }
            }
        }
        return head
    }

    /// What the parser makes of the HTTP/1.1 head HTTP/2 would otherwise write.
    private func parsed(_ method: String, _ target: String, authority: String, _ fields: [(String, String)],
                        limits: ParserLimits = ParserLimits()) -> RequestParser.Result {
        let hasHost = fields.contains { $0.0 == "host" }
        var text = "\(method) \(target) HTTP/1.1\r\n"
        if !hasHost, !authority.isEmpty { text += "host: \(authority)\r\n" }
        for (n, v) in fields { text += "\(n): \(v)\r\n" }
        var parser = RequestParser(limits: limits)
        return parser.parse(Array((text + "\r\n").utf8))
    }

    private func built(_ method: String, _ target: String, authority: String, _ fields: [(String, String)],
                       limits: ParserLimits = ParserLimits()) -> Request? {
        var head = decoded(method, target, authority: authority, fields)
        return head.request(limits: limits)
    }

    private func expectSame(_ a: Request, _ b: Request) {
        #expect(a.rawHead == b.rawHead)
        #expect(a.method == b.method && a.version == b.version && a.keepAlive == b.keepAlive)
        #expect(a.targetRange == b.targetRange && a.authorityRange == b.authorityRange)
        #expect(a.fieldRanges.count == b.fieldRanges.count)
        for (x, y) in zip(a.fieldRanges, b.fieldRanges) {
            #expect(x.nameStart == y.nameStart && x.nameEnd == y.nameEnd && x.valueStart == y.valueStart && x.valueEnd == y.valueEnd)
        }
        #expect(a.nameFilter == b.nameFilter)
        #expect(a.path == b.path && a.query == b.query && a.host == b.host && a.headBytes == b.headBytes)
    }

    @Test func usualHeads_areTheParsersRequest_byteForByte() throws {
        let cases: [(String, String, String, [(String, String)])] = [
            ("GET", "/v1/models", "127.0.0.1:8080", [("authorization", "Bearer sk-1"), ("user-agent", "h2load nghttp2/1.52.0")]),
            ("POST", "/v1/chat/completions?x=1", "localhost", [("content-type", "application/json"), ("accept", "*/*")]),
            ("GET", "/", "", [("host", "example.test"), ("x-empty", ""), ("x-tab", "a\tb")]),
            ("HEAD", "/v1/models/gpt", "h:1", []),
            ("PATCH", "/a", "h", [("host", "other"), ("x", "\u{00E9}t\u{00E9}")]),
        ]
        for (method, target, authority, fields) in cases {
            let direct = try #require(built(method, target, authority: authority, fields))
            guard case .request(let viaParser, _) = parsed(method, target, authority: authority, fields) else {
                Issue.record("the parser refused \(method) \(target)")
                continue
            }
            expectSame(direct, viaParser)
            #expect(direct.header("authorization") == viaParser.header("authorization"))
        }
    }

    @Test func aHostFieldAfterTheAuthority_replacesTheHostLineMadeFromIt() throws {
        let fields = [("accept", "*/*"), ("host", "named.test"), ("x-after", "1")]
        let direct = try #require(built("GET", "/x", authority: "authority.test", fields))
        guard case .request(let viaParser, _) = parsed("GET", "/x", authority: "authority.test", fields) else {
            Issue.record("the parser refused the head"); return
        }
        expectSame(direct, viaParser)
        #expect(direct.host == "named.test")
        #expect(direct.headers.map(\.name) == ["accept", "host", "x-after"])
    }

    @Test func aHeadLeftToTheParser_isTheSameHTTP1Head() {
        var head = decoded("GET", "/x", authority: "h", [("x", " padded"), ("host", "other")])
        #expect(head.request(limits: ParserLimits()) == nil)
        #expect(String(decoding: head.http1Head(), as: UTF8.self) == "GET /x HTTP/1.1\r\nx:  padded\r\nhost: other\r\n\r\n")
        head = decoded("G T", "/x", authority: "h", [("a", "1")])
        #expect(head.request(limits: ParserLimits()) == nil)
        #expect(String(decoding: head.http1Head(), as: UTF8.self) == "G T /x HTTP/1.1\r\nhost: h\r\na: 1\r\n\r\n")
    }

    @Test func headsTheParserJudges_areLeftToIt() {
        // Each of these the parser refuses or interprets: the decoded head does not build them.
        #expect(built("GET", "*", authority: "h", []) == nil, "asterisk form")
        #expect(built("GET", "http://h/x", authority: "h", []) == nil, "absolute form")
        #expect(built("GET", "/x", authority: "", []) == nil, "no host at all: 400 from the parser")
        #expect(built("GET", "/x", authority: "", [("host", "a"), ("host", "b")]) == nil, "two hosts")
        #expect(built("GET", "/x", authority: "h", [("host", "a")]) != nil, "a host field and an authority: the field wins, as before")
        #expect(built("GET", "/x y", authority: "h", []) == nil, "space in the target")
        #expect(built("G(T", "/x", authority: "h", []) == nil, "method not a token")
        #expect(built("GET", "/x", authority: "h", [("x", " padded")]) == nil, "value the parser trims")
        #expect(built("GET", "/x", authority: "h", [("x", "a\u{01}b")]) == nil, "control byte in a value")
        #expect(built("GET", "/x", authority: "h", [("x", "a\rb")]) == nil, "CR in a value")
        #expect(built("GET", "/x", authority: "h", [("x y", "v")]) == nil, "name not a token")
        #expect(built("POST", "/x", authority: "h", [("expect", "100-continue")]) == nil)
        #expect(built("POST", "/x", authority: "h", [("transfer-encoding", "chunked")]) == nil)
        #expect(built("GET", "/x", authority: "h", [("connection", "close")]) == nil)
        #expect(built("GET", "/x", authority: "h", [("content-length", "0")]) == nil)
        // Found by the decoded-head fuzzer: the authority becomes the host line's value.
        #expect(built("GET", "/", authority: "\u{01}", []) == nil, "control byte in the authority")
        #expect(built("GET", "/", authority: " h", []) == nil, "authority the parser would trim")
        #expect(built("GET", "/", authority: "\u{01}", [("host", "h")]) != nil, "a host field replaces the authority's line")
        if case .request = parsed("GET", "/", authority: "\u{01}", []) { Issue.record("the parser took a control byte in host") }
    }

    @Test func limits_areLeftToTheParser_atTheirEdges() throws {
        var limits = ParserLimits()
        limits.maxHeaderCount = 3
        let three = [("a", "1"), ("b", "2")]  // plus the host line from the authority
        #expect(built("GET", "/x", authority: "h", three, limits: limits) != nil)
        #expect(built("GET", "/x", authority: "h", three + [("c", "3")], limits: limits) == nil)
        guard case .error(.tooManyHeaders) = parsed("GET", "/x", authority: "h", three + [("c", "3")], limits: limits) else {
            Issue.record("the parser should refuse four fields"); return
        }
        limits = ParserLimits()
        limits.maxRequestLine = 23
        #expect(built("GET", "/123456789", authority: "h", [], limits: limits) != nil)  // 23 bytes exactly
        guard case .request = parsed("GET", "/123456789", authority: "h", [], limits: limits) else {
            Issue.record("the parser takes a request line at the limit"); return
        }
        #expect(built("GET", "/1234567890", authority: "h", [], limits: limits) == nil)
        guard case .error(.requestLineTooLong) = parsed("GET", "/1234567890", authority: "h", [], limits: limits) else {
            Issue.record("the parser refuses a request line over the limit"); return
        }
        limits = ParserLimits()
        limits.maxHeaderBytes = 12  // "host: h\r\n" + "a: 1\r\n" is 15
        #expect(built("GET", "/x", authority: "h", [("a", "1")], limits: limits) == nil)
    }

    /// A small deterministic generator (the test must not depend on the run).
    private struct LCG {
        var state: UInt64
        mutating func pick<T>(_ xs: [T]) -> T {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return xs[Int((state >> 33) % UInt64(xs.count))]
        }
    }

    @Test func thousandsOfMixedHeads_eitherMatchTheParserExactly_orGiveItTheSameHTTP1Head() throws {
        var rng = LCG(state: 19)
        // Usual pieces several times over, so a few hundred of the heads are built directly.
        let methods = ["GET", "GET", "POST", "HEAD", "PATCH", "G T", "g(t"]
        let targets = ["/x", "/x", "/a?b=c&d", "/a?b=c&d", "*", "http://h/p", "/sp ace", "/\u{7F}", "/\u{E9}"]
        let authorities = ["h", "h", "h:1", "", "user@h"]
        let names = ["a", "a", "x-y", "x-y", "te", "host", "Host", "content-length", "expect", "connection", "bad name", "X-Up", "transfer-encoding"]
        let values = ["v", "v", "v", "a\tb", "", "\u{FC}n\u{EF}", "100-continue", "close", " lead", "trail ", "c\u{1}d", "chunked", "12"]
        var built = 0
        for _ in 0..<3_000 {
            let method = rng.pick(methods), target = rng.pick(targets), authority = rng.pick(authorities)
            let fields = (0..<rng.pick([0, 1, 1, 2, 3, 5])).map { _ in (rng.pick(names), rng.pick(values)) }
            var limits = ParserLimits()
            limits.maxHeaderCount = rng.pick([2, 4, 100, 100])
            limits.maxRequestLine = rng.pick([12, 8192, 8192])
            // The HTTP/1.1 head HTTP/2 has always handed the parser.
            var text = "\(method) \(target) HTTP/1.1\r\n"
            if !fields.contains(where: { $0.0 == "host" }), !authority.isEmpty { text += "host: \(authority)\r\n" }
            for (n, v) in fields { text += "\(n): \(v)\r\n" }
            text += "\r\n"
            var head = decoded(method, target, authority: authority, fields)
            var parser = RequestParser(limits: limits)
            let viaParser = parser.parse(Array(text.utf8))
            if let direct = head.request(limits: limits) {
                built += 1
                guard case .request(let r, _) = viaParser else {
                    Issue.record("built a head the parser refuses: \(text.debugDescription)")
                    continue
                }
                expectSame(direct, r)
            } else {
                #expect(head.http1Head() == Array(text.utf8), "the parser gets the same head: \(text.debugDescription)")
            }
        }
        #expect(built > 100, "the mix must include heads built directly (\(built))")
    }
}

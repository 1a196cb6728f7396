import HTTPCore
import Testing
@testable import BytespikeMock

@Suite struct CoreValueTests {
    @Test func cidr_matchesIPv4IPv6AndMappedAddresses() throws {
        let net = try #require(CIDR("10.0.0.0/8"))
        #expect(net.contains("10.255.1.2"))
        #expect(!net.contains("11.0.0.1"))
        #expect(net.contains("::ffff:10.1.2.3"))
        let host = try #require(CIDR("127.0.0.1"))
        #expect(host.contains("127.0.0.1") && !host.contains("127.0.0.2"))
        let v6 = try #require(CIDR("2001:db8::/32"))
        #expect(v6.contains("2001:db8:1::5") && !v6.contains("2001:db9::1"))
        #expect(try #require(CIDR("0.0.0.0/0")).contains("8.8.8.8"))
        #expect(try #require(CIDR("192.168.1.0/23")).contains("192.168.0.7"))
        #expect(CIDR("10.0.0.0/33") == nil && CIDR("nonsense") == nil && CIDR("10.0.0.0/x") == nil)
    }

    @Test func timestamp_roundTripsAndHonoursOffsets() {
        #expect(Timestamp.parse("1970-01-01T00:00:00Z") == 0)
        #expect(Timestamp.parse("2026-01-04T07:11:00Z") == 1_767_510_660)
        #expect(Timestamp.parse("2026-01-04T08:11:00+01:00") == 1_767_510_660)
        #expect(Timestamp.parse("2026-01-04T07:11:00.250Z") == 1_767_510_660)
        #expect(Timestamp.format(1_767_510_660) == "2026-01-04T07:11:00Z")
        #expect(Timestamp.parse("2026-13-01T00:00:00Z") == nil)
        #expect(Timestamp.parse("2026-01-01") == nil)
    }

    @Test func credits_convertUSDExactly() {
        #expect(Credits(usd: 0.075)?.micros == 75_000)
        #expect(Credits(usd: 8420.65)?.micros == 8_420_650_000)
        #expect(Credits(usd: 0.0000001) == nil)
        #expect(Credits(usd: -1) == nil)
        #expect(Credits(micros: 192_400_000).description == "192.400000")
    }

    @Test func query_decodesPercentAndPlus() {
        let q = Query("capability=vision&capability=tool%5Fuse&family=a+b&empty&x=%zz")
        #expect(q.values("capability") == ["vision", "tool_use"])
        #expect(q.first("family") == "a b")
        #expect(q.first("empty") == "")
        #expect(q.first("x") == "%zz")
    }

    @Test func glob_matchesStarsAnywhere() {
        #expect(glob("*", "anything"))
        #expect(glob("claude-*", "claude-opus-4-8"))
        #expect(!glob("claude-*", "deepseek-v3"))
        #expect(glob("nano-banana*", "nano-banana"))
        #expect(glob("*-pro", "gemini-3-1-pro") && !glob("*-pro", "gemini-3-1-pro-x"))
    }

    @Test func router_resolvesRoutesAnd405sWithAllow() throws {
        let r = Router()
        #expect(try r.match(.get, "/v1/models").get() == .listModels)
        #expect(try r.match(.head, "/v1/models/").get() == .listModels)
        #expect(try r.match(.get, "/v1/models/glm-5.1").get() == .getModel("glm-5.1"))
        guard case .failure(let e) = r.match(.post, "/v1/models") else { Issue.record("expected 405"); return }
        #expect(e.status.code == 405)
        #expect(e.headers["Allow"] == "GET, HEAD")
        guard case .failure(let nf) = r.match(.get, "/v2/nothing") else { Issue.record("expected 404"); return }
        #expect(nf.status.code == 404)
        #expect(nf.code == "not_found")
    }

    @Test func router_segmentsByBytes_areTheSplitBySlashes_andGeminiActionsSplitAtTheLastColon() throws {
        for path in ["/", "", "//", "/v1/models", "/v1//models/", "a/b", "/v1beta/models/gemini-2-5-flash:streamGenerateContent",
                     "/x/%2F/y", "/a:b:c"] {
            #expect(Router.segments(path) == path.split(separator: "/"), "\(path)")
        }
        let r = Router()
        #expect(try r.match(.post, "/v1beta/models/gemini-2-5-flash:streamGenerateContent").get()
                == .geminiAction(model: "gemini-2-5-flash", action: "streamGenerateContent"))
        #expect(try r.match(.post, "/v1beta/models/a:b:generateContent").get() == .geminiAction(model: "a:b", action: "generateContent"))
        #expect(try r.match(.post, "/v1/models/plain").get() == .geminiAction(model: "plain", action: ""))
        guard case .failure(let e) = r.match(.get, "/v1beta/modelz/x") else { Issue.record("expected 404"); return }
        #expect(e.status.code == 404)
    }

    @Test func byteOffset_findsTheFirstOccurrence_orNil() {
        func at(_ n: String, _ h: String) -> Int? {
            Array(h.utf8).withUnsafeBufferPointer { hb in Array(n.utf8).withUnsafeBufferPointer { byteOffset(of: $0, in: hb) } }
        }
        #expect(at("", "abc") == 0 && at("", "") == 0)
        #expect(at("a", "") == nil && at("abcd", "abc") == nil)
        #expect(at("abc", "abc") == 0 && at("c", "abc") == 2)
        #expect(at("aab", "aaab") == 1, "a partial match does not skip the real one")
        #expect(at(#""text":""#, #"{"parts":[{"text":"","x":1}]}"#) == 11)
        #expect(at("é", "caféé") == 3)
        #expect(utf8Contains("hello world", "o w") && !utf8Contains("hello", "hello!") && utf8Contains("x", ""))
    }

    @Test func keySpellings_asciiByBytes_otherTextByCharacters() {
        #expect(RequestFields.snakeCase("generationConfig") == "generation_config")
        #expect(RequestFields.snakeCase("maxOutputTokens") == "max_output_tokens")
        #expect(RequestFields.snakeCase("contents") == "contents")
        #expect(RequestFields.snakeCase("ABC") == "_a_b_c")
        #expect(RequestFields.snakeCase("") == "")
        #expect(RequestFields.snakeCase("caféÉtat") == "café_état", "non-ASCII: Unicode upper case, as before")
        #expect(RequestFields.lowerCamel("generation_config") == "generationConfig")
        #expect(RequestFields.lowerCamel("contents") == "contents")
        #expect(RequestFields.lowerCamel("a__b_") == "aB")
    }

    @Test func requestIDs_areDeterministicPerSeedAndUnique() {
        let a = RequestIDs(seed: 7), b = RequestIDs(seed: 7), c = RequestIDs(seed: 8)
        let first = (0..<100).map { _ in a.next() }
        #expect(first == (0..<100).map { _ in b.next() })
        #expect(Set(first).count == 100)
        #expect(c.next() != first[0])
        #expect(first[0].count == 28 && first[0].hasPrefix("req_"))
    }

    @Test func errorEnvelopes_perSurface() {
        let e = GatewayError.unauthorized("invalid x-api-key")
        #expect(String(decoding: Surface.openAI.errorBody(e, requestID: "req_1"), as: UTF8.self) ==
            #"{"error":{"message":"invalid x-api-key","type":"authentication_error","param":null,"code":"invalid_api_key"}}"#)
        #expect(String(decoding: Surface.anthropic.errorBody(e, requestID: "req_1"), as: UTF8.self) ==
            #"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"},"request_id":"req_1"}"#)
        #expect(String(decoding: Surface.gemini.errorBody(e, requestID: "req_1"), as: UTF8.self) ==
            #"{"error":{"code":401,"message":"invalid x-api-key","status":"UNAUTHENTICATED"}}"#)
    }
}

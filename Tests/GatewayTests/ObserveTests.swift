@testable import BytespikeMock
import HTTPServer
import HTTPCore
import Testing

/// The observation values without sockets: the bounded pattern, JSON paths, the matcher's
/// differences, near-miss ranking, the journal's byte bound, masking and log lines.
@Suite struct ObserveTests {
    static func pattern(_ s: String) throws -> TextPattern { try TextPattern(s) }

    @Test func pattern_anchorsClassesQuantifiersAndAlternatives() throws {
        #expect(try Self.pattern("^[fs].*question$").matches("first question"))
        #expect(try !Self.pattern("^[fs].*question$").matches("a first question"))
        #expect(try Self.pattern("ques").matches("a question here"))
        #expect(try Self.pattern("^\\d+$").matches("12345"))
        #expect(try !Self.pattern("^\\d+$").matches("12a45"))
        #expect(try Self.pattern("colou?r").matches("color") && Self.pattern("colou?r").matches("colour"))
        #expect(try Self.pattern("^cat|^dog").matches("dog food"))
        #expect(try Self.pattern("(?i)^HELLO").matches("hello world"))
        #expect(try Self.pattern("[^a-z]").matches("abc1") && !Self.pattern("[^a-z]").matches("abc"))
        #expect(try Self.pattern("a\\.b").matches("a.b") && !Self.pattern("a\\.b").matches("axb"))
        #expect(try Self.pattern("^$").matches(""))
    }

    @Test func pattern_refusesWhatItCannotBoundAndStaysLinear() throws {
        #expect(throws: TextPattern.SyntaxError.self) { try TextPattern("(a)") }
        #expect(throws: TextPattern.SyntaxError.self) { try TextPattern("a{2}") }
        #expect(throws: TextPattern.SyntaxError.self) { try TextPattern("*a") }
        #expect(throws: TextPattern.SyntaxError.self) { try TextPattern("[abc") }
        #expect(throws: TextPattern.SyntaxError.self) { try TextPattern(String(repeating: "a", count: 600)) }
        let evil = try TextPattern("^a*a*a*a*a*a*a*a*a*a*b$")
        let clock = ContinuousClock()
        let took = clock.measure { #expect(!evil.matches(String(repeating: "a", count: 20_000))) }
        #expect(took < .seconds(2))
    }

    @Test func jsonPath_simpleAndPointerSpellings() throws {
        let doc = try JSONParser.parse(Array(#"{"messages":[{"content":"a"},{"content":"b"}],"tools":[{"name":"x"},{"name":"y"}],"stream":true}"#.utf8))
        #expect(try JSONPath("messages[-1].content").evaluate(doc) == [.string("b")])
        #expect(try JSONPath("$.messages[0].content").evaluate(doc) == [.string("a")])
        #expect(try JSONPath("tools[*].name").evaluate(doc) == [.string("x"), .string("y")])
        #expect(try JSONPath("/messages/1/content").evaluate(doc) == [.string("b")])
        #expect(try JSONPath("stream").evaluate(doc) == [.bool(true)])
        #expect(try JSONPath("messages[5].content").evaluate(doc).isEmpty)
        #expect(throws: JSONPath.SyntaxError.self) { try JSONPath("messages[x") }
    }

    static func entry(_ id: String, body: String, path: String = "/v1/chat/completions") -> JournalEntry {
        var e = FaultMake.entry(id, path: path)
        e.request = RequestMake.post(path, body: body)
        return e
    }

    @Test func differences_listEveryFailedConditionFieldByField() throws {
        var f = JournalFilter()
        f.path = "/v1/messages"
        f.bodyContains = ["needle"]
        f.json = [.init(path: try JSONPath("messages[-1].content"), test: .equals(.string("hello")))]
        let e = Self.entry("a", body: #"{"messages":[{"role":"user","content":"bye"}]}"#)
        let d = f.differences(e)
        #expect(d.map(\.field) == ["path", "body_contains", "json messages[-1].content"])
        #expect(d[2].expected == #""hello""# && d[2].actual == #""bye""#)
        #expect(f.differences(e, stopAtFirst: true).count == 1)
        #expect(!f.matches(e))
    }

    @Test func bodySubset_objectsByMemberArraysByElementNumbersByValue() throws {
        var f = JournalFilter()
        f.body = try JSONParser.parse(Array(#"{"model":"m","temperature":1,"messages":[{"role":"user"}]}"#.utf8))
        #expect(f.differences(Self.entry("a", body: #"{"model":"m","temperature":1.0,"extra":0,"messages":[{"role":"user","content":"x"}]}"#)).isEmpty)
        let miss = f.differences(Self.entry("b", body: #"{"model":"n","temperature":1,"messages":[]}"#))
        #expect(miss.map(\.field) == ["body.model", "body.messages"])
    }

    @Test func verifier_countsAndRanksNearMissesByFewestDifferences() throws {
        let entries = [Self.entry("far", body: #"{"x":1}"#, path: "/v1/models"),
                       Self.entry("near", body: #"{"messages":[{"content":"hello there"}]}"#)]
        let v = try #require(try? Verification.parse(JSONObject.make(#"{"match":{"path":"/v1/chat/completions","body_contains":"hello world"},"count":{"exactly":1}}"#)).get())
        let r = Verifier.run(v, over: entries)
        #expect(!r.passed && r.matched.isEmpty)
        #expect(r.nearMisses.map(\.entry.id) == ["near", "far"])
        #expect(r.message.contains("but 0 matched (of 2 recorded)") && r.message.contains("1. near"))
        let ok = try #require(try? Verification.parse(JSONObject.make(#"{"match":{"body_contains":"hello"},"count":1}"#)).get())
        #expect(Verifier.run(ok, over: entries).passed)
    }

    @Test func journal_byteLimitDropsOldestAndBodyLimitCutsWithACount() {
        let j = Journal(capacity: 100, byteLimit: 8192, bodyLimit: 100)
        for i in 0..<20 { j.record(Self.entry("e\(i)", body: String(repeating: "z", count: 300))) }
        let kept = j.entries(JournalFilter())
        #expect(j.usage.bytes <= 8192 && kept.count < 20 && kept.last?.id == "e19")
        #expect(j.counts.dropped == 20 - kept.count)
        #expect(kept.last?.request?.body.count == 100 && kept.last?.requestOmitted == 200)
    }

    @Test func redactor_keepsTheSchemeTheLastFourAndTheKeyID() {
        #expect(Redactor.header("Authorization", "Bearer sk-abcdefgh1234", keyID: "key_1") == "Bearer …1234 (key_1)")
        #expect(Redactor.header("x-goog-api-key", "short") == "…")
        #expect(Redactor.header("content-type", "application/json") == "application/json")
        #expect(Redactor.query("a=1&key=sk-abcdefgh1234&b=2") == "a=1&key=…1234&b=2")
    }

    @Test func logLine_textHasTheFieldsADeveloperScans() {
        var e = FaultMake.entry("r1", faults: [FaultMake.applied("r429")])
        e.wallMillis = 3_723_004  // 01:02:03.004 UTC
        e.status = 429
        var out: [UInt8] = []
        LogLine.write(LogLine(e), .text, to: &out)
        #expect(String(decoding: out, as: UTF8.self) == "01:02:03.004 POST /v1/chat/completions 429 chat model=gpt-5-4-nano key=key_default 1.000ms faults=r429:500\n")
        e.transport = .h2c(connection: 3, stream: 5)
        out = []
        LogLine.write(LogLine(e), .text, to: &out)
        #expect(String(decoding: out, as: UTF8.self).hasSuffix(" faults=r429:500 h2c=3/5\n"))
        out = []
        LogLine.write(LogLine(e), .json, to: &out)
        #expect(String(decoding: out, as: UTF8.self).hasSuffix(#""session":null,"protocol":"h2c"}"# + "\n"))
    }
}

extension JSONObject {
    static func make(_ json: String) -> JSONObject {
        guard case .object(let o)? = try? JSONParser.parse(Array(json.utf8)) else { return JSONObject() }
        return o
    }
}

/// The control API's OpenAPI description against the router it describes.
@Suite struct OpenAPITests {
    @Test func openAPI_describesEveryControlRouteOfTheRouterAndNothingElse() {
        let routed = Set(Router().table.filter { $0.pattern.hasPrefix("/__mock/") }.flatMap { r in
            r.methods.filter { $0 != .head }.map { "\($0.rawValue.lowercased()) \(r.pattern)" }
        })
        let described = Set(ControlOperation.all.map { "\($0.method) \($0.path)" })
        #expect(routed.subtracting(described).isEmpty, "routes missing from openapi.json")
        #expect(described.subtracting(routed).isEmpty, "openapi.json operations without a route")
        for r in Router().table where r.methods.contains(.get) { #expect(r.methods.contains(.head), "\(r.pattern): HEAD with GET") }
    }

    @Test func openAPI_documentIsJSONWithEveryPathAndResolvableRefs() throws {
        let doc = try JSONParser.parse(OpenAPIDocument.bytes)
        guard case .object(let paths)? = doc["paths"], case .object(let schemas)? = doc["components"]?["schemas"],
              case .object(let params)? = doc["components"]?["parameters"] else { Issue.record("no paths or components"); return }
        #expect(Set(paths.keys) == Set(ControlOperation.all.map(\.path)))
        let text = String(decoding: OpenAPIDocument.bytes, as: UTF8.self)
        for part in text.split(separator: "\"#/components/").dropFirst() {
            let ref = part.prefix { $0 != "\"" }.split(separator: "/")
            let table = ref[0] == "schemas" ? schemas : params
            #expect(table[String(ref[1])] != nil, "dangling $ref \(ref.joined(separator: "/"))")
        }
    }
}

@testable import BytespikeMock
import HTTPCore
import Testing

/// The token approximation, reply shaping and rule matching, without sockets.
@Suite struct ReplyEngineTests {
    static let samples = ["Hello, world!", "", "   ", "a  b\n\nc ", "supercalifragilistic", "naïve café — ok?", "日本語のテキスト",
                          #"{"city":"Paris","n":12}"#, "emoji 😀😀 end", "tab\tseparated\tvalues ", "abcdeé", "abcdéfghij"]

    @Test(arguments: samples)
    func tokens_countEqualsPiecesAndPiecesRejoin(_ s: String) {
        #expect(Tokens.count(s) == Tokens.pieces(s).count)
        #expect(Tokens.pieces(s).joined() == s)
    }

    /// The ASCII count (one pass with byte masks) against the ASCII pieces (a separate scan), over
    /// strings drawn from all 128 ASCII bytes, biased towards words and spaces.
    @Test func tokens_asciiCountAgreesWithPiecesOnEveryByte() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 { state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407; return state >> 33 }
        let common = Array("abcXYZ019_ \t\n.,!".utf8)
        for _ in 0..<3_000 {
            let bytes = (0..<Int(next() % 40)).map { _ in next() % 3 == 0 ? UInt8(next() % 128) : common[Int(next() % UInt64(common.count))] }
            let s = String(decoding: bytes, as: UTF8.self)
            #expect(Tokens.count(s) == Tokens.pieces(s).count, "\(bytes)")
        }
    }

    @Test func tokens_followTheDocumentedRule() {
        #expect(Tokens.pieces("Hello, world!") == ["Hello", ",", " world", "!"])
        #expect(Tokens.pieces("supercalifragilistic").map(String.init) == ["superc", "alifra", "gilist", "ic"])
    }

    static func request(_ text: String, stop: [String] = [], max: Int? = nil) -> ChatRequest {
        var r = ChatRequest(model: "gpt-5-4")
        r.messages = [ChatMessage(role: .user, parts: [.text(text)])]
        r.stopSequences = stop
        r.maxTokens = max
        return r
    }

    static let model = CatalogModel(id: "gpt-5-4", object: "model", ownedBy: "openai", family: "gpt", kind: .text,
                                    capabilities: ["text", "tool_use", "streaming"], contextWindow: 128_000,
                                    maxOutputTokens: 16_384, inputModalities: ["text"], outputModalities: ["text"],
                                    pricingURL: "", created: 0, protocols: ["chat"], aliases: [], pricing: .init())

    static func rule(_ json: String) throws -> ReplyRule {
        guard case .object(let o) = try JSONParser.parse(Array(json.utf8)) else { throw GatewayError.badRequest("not an object") }
        return try ReplyRule(FixtureReader(file: "test", path: "", object: o), defaultID: "r", origin: "test")
    }

    @Test func stopSequence_cutsBeforeTheEarliestAndReportsIt() throws {
        let engine = ReplyEngine(rules: [try Self.rule(#"{"match":{"contains":"x"},"reply":{"text":"one two STOP three END"}}"#)],
                                 pacing: nil, seed: 0)
        let r = try engine.reply(to: Self.request("x", stop: ["END", "STOP"]), surface: .chat, model: Self.model, requestPacing: nil).get()
        #expect(r.text == "one two ")
        #expect(r.stopReason == .stopSequence("STOP"))
        #expect(r.outputTokens == Tokens.count("one two "))
    }

    @Test func maxTokens_truncatesAtATokenBoundary() throws {
        let engine = ReplyEngine(rules: [try Self.rule(#"{"reply":{"text":"one two three four five"}}"#)], pacing: nil, seed: 0)
        let r = try engine.reply(to: Self.request("hi", max: 3), surface: .chat, model: Self.model, requestPacing: nil).get()
        #expect(r.text == "one two three")
        #expect(r.stopReason == .maxTokens)
        #expect(r.outputTokens == 3)
    }

    @Test func rules_matchOnSurfaceModelTextAndToolResult_andTimesRunsOut() throws {
        let engine = ReplyEngine(rules: [
            try Self.rule(#"{"id":"a","match":{"surface":"messages"},"reply":{"text":"anthropic only"}}"#),
            try Self.rule(#"{"id":"b","match":{"model":"gpt-*","regex":"^wea.her"},"reply":{"text":"weather"},"times":1}"#),
        ], pacing: nil, seed: 0)
        let first = try engine.reply(to: Self.request("weather please"), surface: .chat, model: Self.model, requestPacing: nil).get()
        #expect(first.text == "weather")
        let second = try engine.reply(to: Self.request("weather please"), surface: .chat, model: Self.model, requestPacing: nil).get()
        #expect(second.text != "weather", "a rule with times: 1 answers once")
        let anthropic = try engine.reply(to: Self.request("x"), surface: .messages, model: Self.model, requestPacing: nil).get()
        #expect(anthropic.text == "anthropic only")
    }

    @Test func scriptedError_failsBeforeTheHeadUnlessStreamingWithAfterEvents() throws {
        let engine = ReplyEngine(rules: [try Self.rule(#"{"reply":{"text":"t","error":{"status":503,"message":"busy","after_events":2}}}"#)],
                                 pacing: nil, seed: 0)
        var req = Self.request("x")
        let plain = engine.reply(to: req, surface: .chat, model: Self.model, requestPacing: nil)
        guard case .failure(let e) = plain else { Issue.record("expected a failure"); return }
        #expect(e.status.code == 503)
        #expect(e.headers.first(where: { $0.name == "Retry-After" })?.value == "1")
        req.stream = true
        let streamed = try engine.reply(to: req, surface: .chat, model: Self.model, requestPacing: nil).get()
        #expect(streamed.streamError?.status.code == 503)
        #expect(streamed.errorAfterEvents == 2)
    }

    @Test func defaultReply_isDeterministicAndCallsMentionedTools() throws {
        let engine = ReplyEngine(rules: [], pacing: nil, seed: 42)
        var req = Self.request("What is the weather in Paris?")
        req.tools = [ToolSpec(name: "get_weather", description: "", schema: Array(#"{"type":"object","properties":{"city":{"type":"string"}}}"#.utf8))]
        let a = try engine.reply(to: req, surface: .chat, model: Self.model, requestPacing: nil).get()
        let b = try engine.reply(to: req, surface: .chat, model: Self.model, requestPacing: nil).get()
        #expect(a.blocks == b.blocks)
        guard case .toolCall(_, let name, let args)? = a.blocks.first else { Issue.record("expected a tool call: \(a.blocks)"); return }
        #expect(name == "get_weather")
        #expect(args == #"{"city":"Paris"}"#)
        #expect(a.stopReason == .toolUse)
    }

    @Test(arguments: ["{}", #"{"reply":{}}"#, #"{"reply":{"text":1}}"#, #"{"match":{"surface":"grpc"},"reply":{"text":"x"}}"#,
                      #"{"match":{"regex":"("},"reply":{"text":"x"}}"#, #"{"reply":{"text":"x"},"times":0}"#,
                      #"{"reply":{"error":{"status":200}}}"#, #"{"reply":{"text":"x"},"extra":1}"#])
    func badRules_areRejectedWithTheField(_ json: String) {
        #expect(throws: FixtureError.self) { try Self.rule(json) }
    }
}

import HTTPCore
import Testing
@testable import BytespikeMock

/// The default reply under a forcing tool choice and a structured output, in every state of the
/// conversation; the acknowledgement of parallel tool results; Anthropic's structured-output
/// fields; and the constraints the `anthropic` SDK writes into descriptions.
@Suite struct StructuredOutputAndToolChoiceTests {
    static let weather = ToolSpec(name: "get_weather", description: "",
                                  schema: Array(#"{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}"#.utf8))
    static let time = ToolSpec(name: "get_time", description: "",
                               schema: Array(#"{"type":"object","properties":{"tz":{"type":"string"}},"required":["tz"]}"#.utf8))
    static let date = ToolSpec(name: "get_date", description: "", schema: Array("{}".utf8))

    /// "weather and time in Paris?", the two parallel calls, and their two results.
    static func afterParallelResults(_ choice: ToolChoice) -> ChatRequest {
        var r = ChatRequest(model: "gpt-5-4")
        r.tools = [weather, time, date]
        r.toolChoice = choice
        r.messages = [
            ChatMessage(role: .user, parts: [.text("What is the weather and the time in Paris?")]),
            ChatMessage(role: .assistant, parts: [.toolCall(id: "c1", name: "get_weather", arguments: #"{"city":"Paris"}"#),
                                                  .toolCall(id: "c2", name: "get_time", arguments: #"{"tz":"CET"}"#)]),
            // Names left out, as Responses outputs carry only the call id.
            ChatMessage(role: .user, parts: [.toolResult(id: "c1", name: nil, content: "18 C", isError: false),
                                             .toolResult(id: "c2", name: nil, content: "bad zone", isError: true)]),
        ]
        return r
    }

    static func reply(_ r: ChatRequest) -> [Reply.Block] {
        DefaultReplies.blocks(for: r, prompt: r.lastUserText, model: ReplyEngineTests.model, key: 42)
    }

    static func callNames(_ blocks: [Reply.Block]) -> [String] {
        blocks.compactMap { if case .toolCall(_, let name, _) = $0 { name } else { nil } }
    }

    @Test func forcedChoices_callATool_afterToolResults() {
        #expect(Self.callNames(Self.reply(Self.afterParallelResults(.named("get_date")))) == ["get_date"])
        #expect(Self.callNames(Self.reply(Self.afterParallelResults(.required))) == ["get_weather", "get_time"])
        #expect(Self.callNames(Self.reply(Self.afterParallelResults(.oneOf(["get_time", "get_date"])))) == ["get_time"])
        #expect(Self.callNames(Self.reply(Self.afterParallelResults(.oneOf(["get_date"])))) == ["get_date"])
    }

    @Test func autoAndNone_afterParallelResults_quoteEveryResultByName() {
        for choice in [ToolChoice.auto, .none] {
            let blocks = Self.reply(Self.afterParallelResults(choice))
            #expect(blocks == [.text("The tools returned 2 results: get_weather: 18 C; get_time reported an error: bad zone. That answers your question.")])
        }
    }

    @Test func acknowledgement_quotesOneResultWithItsName_andCountsPastTheCap() {
        #expect(DefaultReplies.acknowledgement([("get_weather", "18 C", false)])
            == "The tool get_weather returned: 18 C. That is the answer to your question.")
        let many = (0..<(DefaultReplies.maxQuotedResults + 3)).map { (name: Optional("t\($0)"), content: "r", isError: false) }
        let text = DefaultReplies.acknowledgement(many)
        #expect(text.hasPrefix("The tools returned 67 results: t0: r; t1: r;"))
        #expect(text.hasSuffix("t63: r; and 3 more results. That answers your question."))
    }

    @Test func structuredOutput_afterAToolResult_isStillADocument() throws {
        var r = Self.afterParallelResults(.auto)
        r.responseFormat = .jsonSchema(name: "o", schema: Array(#"{"type":"object","properties":{"n":{"type":"integer"}},"required":["n"]}"#.utf8))
        #expect(Self.reply(r) == [.text(#"{"n":1}"#)])
    }

    @Test func geminiEnumText_isABareMember() {
        var r = ChatRequest(model: "gemini-3-flash")
        r.messages = [ChatMessage(role: .user, parts: [.text("Which one?")])]
        r.responseFormat = .enumText(schema: Array(#"{"type":"STRING","enum":["lead","member"]}"#.utf8))
        #expect(Self.reply(r) == [.text("lead")])
    }

    // MARK: Anthropic fields

    func anthropic(_ extra: String) throws -> ChatRequest {
        let json = #"{"model":"m","max_tokens":9,"messages":[{"role":"user","content":"x"}],\#(extra)}"#
        guard case .object(let o) = try JSONParser.parse(Array(json.utf8)) else { throw GatewayError.badRequest("not an object") }
        return try AnthropicCodec.decode(o, pathModel: nil)
    }

    @Test func anthropicOutputConfigAndBetaOutputFormat_decodeToAJSONSchema() throws {
        let config = try anthropic(#""output_config":{"effort":"high","format":{"type":"json_schema","schema":{"type":"object"}}}"#)
        #expect(config.responseFormat == .jsonSchema(name: "output", schema: Array(#"{"type":"object"}"#.utf8)))
        #expect(config.featureParams[.jsonSchema] == "output_config.format")
        let beta = try anthropic(#""output_format":{"type":"json_schema","schema":{"type":"array"}}"#)
        #expect(beta.responseFormat == .jsonSchema(name: "output", schema: Array(#"{"type":"array"}"#.utf8)))
        #expect(beta.featureParams[.jsonSchema] == "output_format")
        #expect(try anthropic(#""output_config":{"effort":"low"}"#).responseFormat == .text)
    }

    @Test(arguments: [
        (#""output_config":{"format":{"type":"xml","schema":{}}}"#, "output_config.format.type"),
        (#""output_config":{"format":{"type":"json_schema"}}"#, "output_config.format.schema"),
        (#""output_config":{"format":{"type":"json_schema","schema":1}}"#, "output_config.format.schema"),
        (#""output_config":{"effort":"extreme"}"#, "output_config.effort"),
        (#""output_config":[]"#, "output_config"),
        (#""output_format":{"schema":{}}"#, "output_format.type"),
        (#""thinking":{"type":"enabled","budget_tokens":1024},"tool_choice":{"type":"any"}"#, "tool_choice"),
        (#""thinking":{"type":"adaptive"},"tool_choice":{"type":"tool","name":"t"}"#, "tool_choice"),
    ])
    func anthropicMalformedOutputFormatOrForcedToolWithThinking_isA400NamingTheField(_ extra: String, _ param: String) throws {
        do {
            _ = try anthropic(extra)
            Issue.record("decoded: \(extra)")
        } catch let e as GatewayError {
            #expect(e.status.code == 400 && e.param == param, "\(e.message)")
        }
    }

    // MARK: description hints

    @Test func descriptionHints_restoreTheConstraintsTheAnthropicSDKMoved() throws {
        let age = #"{"type":"integer","description":"Age\n\n{maximum: 99, minimum: 18}"}"#
        #expect(try SchemaInstanceTests.make(age) == "18")
        let tags = #"{"type":"array","items":{"type":"string"},"description":"{minItems: 3}"}"#
        #expect(try SchemaInstanceTests.make(tags) == #"["Paris","Paris","Paris"]"#)
        let code = #"{"type":"string","description":"{pattern: ^[0-9]{3}, x$, maxLength: 9}"}"#
        let value = try SchemaInstanceTests.make(code)
        #expect(value.hasSuffix(#", x""#) && value.count <= 11, "\(value)")
    }

    @Test func descriptionHints_neverOverrideKeywords_andIgnoreProse() throws {
        #expect(try SchemaInstanceTests.make(#"{"type":"integer","minimum":5,"description":"{minimum: 18}"}"#) == "5")
        #expect(try SchemaInstanceTests.make(#"{"type":"integer","minimum":5,"description":"use {minimum: 18}"}"#) == "5")
        #expect(try SchemaInstanceTests.make(#"{"type":"integer","minimum":5,"description":"{minimum: lots}"}"#) == "5")
        let long = String(repeating: "x", count: 5_000)
        #expect(try SchemaInstanceTests.make(#"{"type":"integer","description":"{minimum: 7, note: \#(long)}"}"#) == "1")
    }
}

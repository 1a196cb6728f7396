import HTTPCore
import Testing
@testable import BytespikeMock

private struct NotAnObject: Error {}

@Suite struct ResponsesCodecTests {
    private func object(_ json: String) throws -> JSONObject {
        guard case .object(let o) = try JSONParser.parse(Array(json.utf8)) else { throw NotAnObject() }
        return o
    }

    private func decode(_ json: String) throws -> ChatRequest {
        try ResponsesCodec.decode(try object(json), pathModel: nil)
    }

    private func reply(_ blocks: [Reply.Block], stop: Reply.StopReason = .endTurn) -> Reply {
        let (out, thinking) = Reply.tokenCounts(blocks)
        return Reply(model: "gpt-5-4", blocks: blocks, stopReason: stop, inputTokens: 9, outputTokens: out,
                     thinkingTokens: thinking, pacing: .fast)
    }

    private let meta = ReplyMeta(responseID: "resp_abc", created: 1_741_476_542, requestID: "req_1", seed: 42)

    /// The events of a stream as (event name, parsed data, raw data bytes).
    private func parse(_ events: StreamEvents) throws -> [(name: String, data: JSONObject, raw: String)] {
        try events.map { e in
            let s = String(decoding: e.bytes, as: UTF8.self)
            #expect(s.hasSuffix("\n\n") && !s.contains("\r"))
            let lines = s.dropLast(2).split(separator: "\n", omittingEmptySubsequences: false)
            try #require(lines.count == 2)
            try #require(lines[0].hasPrefix("event: ") && lines[1].hasPrefix("data: "))
            let raw = String(lines[1].dropFirst(6))
            return (String(lines[0].dropFirst(7)), try object(raw), raw)
        }
    }

    // MARK: Decoding

    @Test func decode_stringInputAndInstructions() throws {
        let r = try decode(#"{"model":"gpt-5-4","input":"Hello there","instructions":"Be brief."}"#)
        #expect(r.model == "gpt-5-4")
        #expect(r.messages == [ChatMessage(role: .user, parts: [.text("Hello there")])])
        #expect(r.system == "Be brief.")
        #expect(r.store && !r.stream && r.previousResponseID == nil && r.maxTokens == nil)
        #expect(r.toolChoice == .auto && r.responseFormat == .text && r.thinking == nil)
        #expect(r.raw["instructions"] == .string("Be brief."))
        #expect(r.featureParams.isEmpty)
    }

    @Test func decode_itemArrayWithToolRoundTrip() throws {
        let r = try decode(#"""
        {"model":"gpt-5-4","instructions":"Top.","stream":true,"store":false,"previous_response_id":"resp_prev",
         "max_output_tokens":300,
         "input":[
          {"role":"developer","content":"Dev rules."},
          {"type":"message","role":"user","content":[{"type":"input_text","text":"Look:"},
             {"type":"input_image","image_url":"data:image/png;base64,iVBOR","detail":"auto"},
             {"type":"input_file","file_id":"file_1"}]},
          {"type":"reasoning","id":"rs_1","summary":[]},
          {"role":"assistant","content":[{"type":"output_text","text":"Checking."}]},
          {"type":"function_call","id":"fc_1","call_id":"call_1","name":"get_weather","arguments":"{\"city\":\"Paris\"}"},
          {"type":"function_call","call_id":"call_2","name":"get_time","arguments":"{}"},
          {"type":"function_call_output","call_id":"call_1","output":"{\"temp\":21}"},
          {"type":"function_call_output","call_id":"call_2","output":[{"type":"input_text","text":"noon"}]},
          {"role":"system","content":[{"type":"input_text","text":"Sys."}]}
         ],
         "tools":[{"type":"function","name":"get_weather","description":"Weather","parameters":{"type":"object"},"strict":true},
                  {"type":"web_search"}],
         "tool_choice":{"type":"function","name":"get_weather"},
         "text":{"format":{"type":"json_schema","name":"out","schema":{"type":"object"},"strict":true}},
         "reasoning":{"effort":"high","summary":"auto"}}
        """#)
        #expect(r.system == "Top.\n\nDev rules.\n\nSys.")
        #expect(r.messages == [
            ChatMessage(role: .user, parts: [.text("Look:"), .image(mediaType: "image/png")]),
            ChatMessage(role: .assistant, parts: [
                .text("Checking."),
                .toolCall(id: "call_1", name: "get_weather", arguments: #"{"city":"Paris"}"#),
                .toolCall(id: "call_2", name: "get_time", arguments: "{}"),
            ]),
            ChatMessage(role: .user, parts: [
                .toolResult(id: "call_1", name: nil, content: #"{"temp":21}"#, isError: false),
                .toolResult(id: "call_2", name: nil, content: "noon", isError: false),
            ]),
        ])
        #expect(r.endsWithToolResult)
        #expect(r.tools == [ToolSpec(name: "get_weather", description: "Weather", schema: Array(#"{"type":"object"}"#.utf8))])
        #expect(r.toolChoice == .named("get_weather"))
        #expect(r.responseFormat == .jsonSchema(name: "out", schema: Array(#"{"type":"object"}"#.utf8)))
        #expect(r.thinking == ThinkingSetting(budget: nil, effort: "high"))
        #expect(r.maxTokens == 300 && r.stream && !r.store && r.previousResponseID == "resp_prev")
        #expect(r.featureParams == [.vision: "input", .tools: "tools", .jsonSchema: "text.format", .thinking: "reasoning"])
    }

    @Test func decode_acceptsBuiltInToolsAndStringChoices() throws {
        let r = try decode(#"{"model":"m","input":[],"tools":[{"type":"web_search_preview"}],"tool_choice":"required","reasoning":{"effort":"none"},"text":{"format":{"type":"json_object"}}}"#)
        #expect(r.tools.isEmpty && r.featureParams[.tools] == nil)
        #expect(r.toolChoice == .required && r.thinking == nil && r.responseFormat == .jsonObject)
        #expect(try decode(#"{"model":"m","tool_choice":"none"}"#).toolChoice == ToolChoice.none)
        #expect(ResponsesCodec.imageMediaType("https://x.test/a/cat.JPG?sig=1") == "image/jpeg")
        #expect(ResponsesCodec.imageMediaType("https://x.test/blob") == "image/*")
    }

    @Test(arguments: [
        (#"{"input":"hi"}"#, "model"),
        (#"{"model":7}"#, "model"),
        (#"{"model":"m","input":5}"#, "input"),
        (#"{"model":"m","input":["x"]}"#, "input[0]"),
        (#"{"model":"m","input":[{"content":"x"}]}"#, "input[0].role"),
        (#"{"model":"m","input":[{"role":"tool","content":"x"}]}"#, "input[0].role"),
        (#"{"model":"m","input":[{"role":"user"}]}"#, "input[0].content"),
        (#"{"model":"m","input":[{"role":"user","content":[{"type":"input_text","text":3}]}]}"#, "input[0].content[0].text"),
        (#"{"model":"m","input":[{"role":"user","content":[{"type":"video"}]}]}"#, "input[0].content[0].type"),
        (#"{"model":"m","input":[{"role":"user","content":[{"type":"input_image"}]}]}"#, "input[0].content[0].image_url"),
        (#"{"model":"m","input":[{"type":"function_call","name":"f","arguments":"{}"}]}"#, "input[0].call_id"),
        (#"{"model":"m","input":[{"type":"function_call_output","call_id":"c"}]}"#, "input[0].output"),
        (#"{"model":"m","input":[{"type":"bogus"}]}"#, "input[0].type"),
        (#"{"model":"m","instructions":1}"#, "instructions"),
        (#"{"model":"m","tools":{}}"#, "tools"),
        (#"{"model":"m","tools":[{"type":"function"}]}"#, "tools[0].name"),
        (#"{"model":"m","tools":[{"type":"function","name":"f","parameters":"x"}]}"#, "tools[0].parameters"),
        (#"{"model":"m","tool_choice":"any"}"#, "tool_choice"),
        (#"{"model":"m","tool_choice":{"type":"function"}}"#, "tool_choice.name"),
        (#"{"model":"m","max_output_tokens":"5"}"#, "max_output_tokens"),
        (#"{"model":"m","max_output_tokens":0}"#, "max_output_tokens"),
        (#"{"model":"m","text":{"format":{"type":"yaml"}}}"#, "text.format.type"),
        (#"{"model":"m","text":{"format":{"type":"json_schema","name":"n"}}}"#, "text.format.schema"),
        (#"{"model":"m","reasoning":{"effort":3}}"#, "reasoning.effort"),
        (#"{"model":"m","store":"yes"}"#, "store"),
        (#"{"model":"m","stream":1}"#, "stream"),
        (#"{"model":"m","temperature":"hot"}"#, "temperature"),
        (#"{"model":"m","metadata":[]}"#, "metadata"),
        (#"{"model":"m","previous_response_id":5}"#, "previous_response_id"),
    ])
    func decode_typeErrorsAre400sNamingTheField(_ body: String, _ param: String) throws {
        do {
            _ = try decode(body)
            Issue.record("expected a 400 for \(body)")
        } catch let e as GatewayError {
            #expect(e.status.code == 400)
            #expect(e.param == param, "\(e.message)")
        }
    }

    // MARK: Body

    @Test func body_hasTheDocumentedFieldsInOrder() throws {
        let request = try decode(#"{"model":"gpt-5-4","input":"hi","temperature":1,"metadata":{"k":"v"},"tools":[{"type":"web_search"}]}"#)
        let bytes = ResponsesCodec.body(reply([.text("Hello!")]), request, meta)
        let s = String(decoding: bytes, as: UTF8.self)
        let o = try object(s)
        #expect(o.keys == ["id", "object", "created_at", "status", "error", "incomplete_details", "instructions",
                           "max_output_tokens", "model", "output", "parallel_tool_calls", "previous_response_id",
                           "reasoning", "store", "temperature", "text", "tool_choice", "tools", "top_p", "truncation",
                           "usage", "user", "metadata"])
        #expect(s.contains(#""temperature":1.0,"text":{"format":{"type":"text"}},"tool_choice":"auto","tools":[{"type":"web_search"}],"top_p":1.0,"truncation":"disabled""#))
        #expect(s.contains(#""reasoning":{"effort":null,"summary":null},"store":true"#))
        #expect(s.hasSuffix(#""user":null,"metadata":{"k":"v"}}"#))
        #expect(o["id"] == .string("resp_abc") && o["status"] == .string("completed") && o["model"] == .string("gpt-5-4"))
        let msgID = "msg_" + ResponsesCodec.itemToken(meta, 0)
        #expect(s.contains(#""output":[{"id":"\#(msgID)","type":"message","status":"completed","role":"assistant","content":[{"type":"output_text","text":"Hello!","annotations":[],"logprobs":[]}]}]"#))
        #expect(s.contains(#""usage":{"input_tokens":9,"input_tokens_details":{"cached_tokens":0},"output_tokens":2,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":11}"#))
    }

    @Test func body_reasoningToolCallsAndIncomplete() throws {
        let request = try decode(#"{"model":"m","input":"hi","reasoning":{"effort":"low"},"max_output_tokens":50}"#)
        let r = reply([.thinking(text: "Think hard.", signature: ""), .text("Calling."),
                       .toolCall(id: "T1", name: "get_weather", arguments: #"{"city":"Paris"}"#)], stop: .maxTokens)
        let o = try object(String(decoding: ResponsesCodec.body(r, request, meta), as: UTF8.self))
        #expect(o["status"] == .string("incomplete"))
        #expect(o["incomplete_details"]?["reason"] == .string("max_output_tokens"))
        #expect(o["max_output_tokens"] == .int(50) && o["reasoning"]?["effort"] == .string("low"))
        guard case .array(let output)? = o["output"] else { Issue.record("no output"); return }
        #expect(output.count == 3)
        #expect(output[0]["type"] == .string("reasoning") && output[0]["id"] == .string("rs_" + ResponsesCodec.itemToken(meta, 0)))
        #expect(output[0]["summary"] == .array([.object(try object(#"{"type":"summary_text","text":"Think hard."}"#))]))
        #expect(output[1]["id"] == .string("msg_" + ResponsesCodec.itemToken(meta, 1)) && output[1]["status"] == .string("incomplete"))
        #expect(output[2] == .object(try object(#"{"id":"fc_T1","type":"function_call","status":"completed","arguments":"{\"city\":\"Paris\"}","call_id":"call_T1","name":"get_weather"}"#)))
        #expect(o["usage"]?["output_tokens"] == .int(r.outputTokens + r.thinkingTokens))
        #expect(o["usage"]?["output_tokens_details"]?["reasoning_tokens"] == .int(r.thinkingTokens))
    }

    @Test func body_refusalIsARefusalPart() throws {
        let request = try decode(#"{"model":"m","input":"hi"}"#)
        let s = String(decoding: ResponsesCodec.body(reply([.refusal("No.")], stop: .refusal), request, meta), as: UTF8.self)
        #expect(s.contains(#""content":[{"type":"refusal","refusal":"No."}]"#))
    }

    // MARK: Stream

    @Test func stream_textTranscriptMatchesTheBody() throws {
        let request = try decode(#"{"model":"m","input":"hi","stream":true}"#)
        let r = reply([.text("Hello there, world!")])
        let events = ResponsesCodec.events(r, request, meta)
        let parsed = try parse(events)
        #expect(parsed.map(\.name) == ["response.created", "response.in_progress", "response.output_item.added",
                                       "response.content_part.added"]
                + Array(repeating: "response.output_text.delta", count: Tokens.pieces("Hello there, world!").count)
                + ["response.output_text.done", "response.content_part.done", "response.output_item.done", "response.completed"])
        for (i, e) in parsed.enumerated() {
            #expect(e.data["type"] == .string(e.name))
            #expect(e.data["sequence_number"] == .int(i))
        }
        #expect(parsed[0].data["response"]?["status"] == .string("in_progress"))
        #expect(parsed[0].data["response"]?["output"] == .array([]) && parsed[0].data["response"]?["usage"] == .null)
        let body = String(decoding: ResponsesCodec.body(r, request, meta), as: UTF8.self)
        #expect(parsed.last!.raw == #"{"type":"response.completed","sequence_number":\#(parsed.count - 1),"response":"# + body + "}")
        let deltas = parsed.filter { $0.name == "response.output_text.delta" }
        #expect(deltas.compactMap { if case .string(let d)? = $0.data["delta"] { d } else { nil } }.joined() == "Hello there, world!")
        #expect(deltas.allSatisfy { $0.data["logprobs"] == .array([]) })
        #expect(events.reduce(0) { $0 + $1.tokens } == r.outputTokens)
        #expect(events.filter { $0.tokens > 0 }.count == deltas.count)
    }

    @Test func stream_reasoningRefusalAndToolCallEvents() throws {
        let request = try decode(#"{"model":"m","input":"hi","stream":true}"#)
        let r = reply([.thinking(text: "Let me see.", signature: ""), .refusal("Can't."),
                       .toolCall(id: "X9", name: "f", arguments: #"{"a":1}"#)], stop: .maxTokens)
        let events = ResponsesCodec.events(r, request, meta)
        let parsed = try parse(events)
        let names = parsed.map(\.name)
        #expect(names.first == "response.created" && names.last == "response.incomplete")
        for needed in ["response.reasoning_summary_part.added", "response.reasoning_summary_text.delta",
                       "response.reasoning_summary_text.done", "response.reasoning_summary_part.done",
                       "response.refusal.delta", "response.refusal.done",
                       "response.function_call_arguments.delta", "response.function_call_arguments.done"] {
            #expect(names.contains(needed), "\(needed)")
        }
        #expect(!names.contains("response.output_text.delta"))
        let lifecycle = parsed.compactMap { $0.data["response"]?["id"] }
        #expect(lifecycle.count == 3 && lifecycle.allSatisfy { $0 == .string("resp_abc") })
        #expect(parsed.enumerated().allSatisfy { $0.element.data["sequence_number"] == .int($0.offset) })
        let added = parsed.filter { $0.name == "response.output_item.added" }
        let done = parsed.filter { $0.name == "response.output_item.done" }
        #expect(added.map { $0.data["item"]?["id"] } == done.map { $0.data["item"]?["id"] })
        #expect(added[2].data["item"]?["call_id"] == .string("call_X9") && added[2].data["item"]?["arguments"] == .string(""))
        let argDeltas = parsed.filter { $0.name == "response.function_call_arguments.delta" }
        #expect(argDeltas.compactMap { if case .string(let d)? = $0.data["delta"] { d } else { nil } }.joined() == #"{"a":1}"#)
        #expect(argDeltas.allSatisfy { $0.data["item_id"] == .string("fc_X9") && $0.data["output_index"] == .int(2) })
        let body = String(decoding: ResponsesCodec.body(r, request, meta), as: UTF8.self)
        #expect(parsed.last!.raw.hasSuffix(#""response":"# + body + "}"))
        #expect(events.reduce(0) { $0 + $1.tokens } == r.outputTokens + r.thinkingTokens)
    }

    /// Multi-byte words once split into fewer pieces than they counted as tokens; `Tokens` now
    /// agrees with itself, so the streamed pieces add up without any correction.
    @Test func stream_tokenSumHoldsForMultiByteWords() throws {
        let request = try decode(#"{"model":"m","input":"hi"}"#)
        let r = reply([.text("abcdeé fin")])
        let events = ResponsesCodec.events(r, request, meta)
        #expect(events.reduce(0) { $0 + $1.tokens } == r.outputTokens)
    }

    @Test func streamError_isOneResponseFailedEvent() throws {
        let request = try decode(#"{"model":"m","input":"hi"}"#)
        let bytes = ResponsesCodec.streamError(GatewayError(.internalError, status: .init(code: 500), message: "boom"),
                                               reply([.text("Hi")]), request, meta, sent: 5)
        let parsed = try parse(StreamEvents([StreamEvent(bytes: bytes, tokens: 0)]))
        #expect(parsed.count == 1 && parsed[0].name == "response.failed")
        #expect(parsed[0].data["sequence_number"] == .int(5) && parsed[0].data["error"] == nil)
        let resp = parsed[0].data["response"]
        #expect(resp?["id"] == .string("resp_abc") && resp?["status"] == .string("failed"))
        #expect(resp?["error"] == .object(try object(#"{"code":"server_error","message":"boom"}"#)))
        #expect(ResponsesCodec.streamContentType(request) == "text/event-stream; charset=utf-8")
        #expect(ResponsesCodec.bodyContentType == "application/json")
    }
}

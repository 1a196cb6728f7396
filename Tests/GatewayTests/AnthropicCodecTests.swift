import HTTPCore
import Testing
@testable import BytespikeMock

@Suite struct AnthropicCodecTests {
    func object(_ json: String) throws -> JSONObject {
        guard case .object(let o) = try JSONParser.parse(Array(json.utf8)) else { throw ParseFailure() }
        return o
    }

    func decode(_ json: String) throws -> ChatRequest { try AnthropicCodec.decode(try object(json), pathModel: nil) }

    /// The error decoding `json` raised, or nil when it decoded.
    func failure(_ json: String) throws -> GatewayError? {
        do { _ = try AnthropicCodec.decode(try object(json), pathModel: nil) } catch let e as GatewayError { return e }
        return nil
    }

    struct ParseFailure: Error {}

    static let meta = ReplyMeta(responseID: "msg_01TEST", created: 1_700_000_000, requestID: "req_01TEST", seed: 7)

    func reply(_ blocks: [Reply.Block], stop: Reply.StopReason = .endTurn) -> Reply {
        let (output, thinking) = Reply.tokenCounts(blocks)
        return Reply(model: "claude-sonnet-4-5", blocks: blocks, stopReason: stop, inputTokens: 12,
                     outputTokens: output, thinkingTokens: thinking, pacing: .fast)
    }

    /// Splits an SSE stream into (event name, parsed data) pairs, checking the framing.
    func sse(_ events: StreamEvents) throws -> [(String, JSONValue)] {
        try events.map { e in
            let text = String(decoding: e.bytes, as: UTF8.self)
            #expect(text.hasSuffix("\n\n"))
            let lines = text.dropLast(2).split(separator: "\n", omittingEmptySubsequences: false)
            try #require(lines.count == 2)
            try #require(lines[0].hasPrefix("event: ") && lines[1].hasPrefix("data: "))
            let data = try JSONParser.parse(Array(lines[1].dropFirst(6).utf8))
            return (String(lines[0].dropFirst(7)), data)
        }
    }

    // MARK: Decoding

    @Test func decode_stringContentAndScalars() throws {
        let r = try decode(#"""
        {"model":"claude-sonnet-4-5","max_tokens":1024,"system":"Be brief.","stream":true,
         "stop_sequences":["END"],"metadata":{"user_id":"u"},"temperature":0.2,"service_tier":"auto",
         "messages":[{"role":"user","content":"Hello"},{"role":"assistant","content":"Hi"},{"role":"user","content":"Again"}]}
        """#)
        #expect(r.model == "claude-sonnet-4-5")
        #expect(r.maxTokens == 1024 && r.stream && r.stopSequences == ["END"])
        #expect(r.system == "Be brief.")
        #expect(r.messages == [ChatMessage(role: .user, parts: [.text("Hello")]),
                               ChatMessage(role: .assistant, parts: [.text("Hi")]),
                               ChatMessage(role: .user, parts: [.text("Again")])])
        #expect(r.featureParams.isEmpty && r.thinking == nil && r.tools.isEmpty)
        #expect(r.raw["metadata"] != nil)
        #expect(r.lastUserText == "Again")
    }

    @Test func decode_blocksToolsImagesAndThinking() throws {
        let r = try decode(#"""
        {"model":"m","max_tokens":4096,
         "system":[{"type":"text","text":"One","cache_control":{"type":"ephemeral"}},{"type":"text","text":"Two"}],
         "tools":[{"name":"get_weather","description":"Weather","input_schema":{"type":"object","properties":{}}},
                  {"type":"web_search_20250305","name":"web_search","max_uses":3}],
         "tool_choice":{"type":"none"},
         "thinking":{"type":"enabled","budget_tokens":2048},
         "messages":[
          {"role":"user","content":[{"type":"text","text":"Look"},
                                    {"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBO"}}]},
          {"role":"assistant","content":[{"type":"thinking","thinking":"hmm","signature":"sig"},
                                         {"type":"redacted_thinking","data":"xx"},
                                         {"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city": "Paris"}}]},
          {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":[{"type":"text","text":"sunny"}]},
                                    {"type":"tool_result","tool_use_id":"toolu_9","content":"boom","is_error":true}]}]}
        """#)
        #expect(r.system == "One\n\nTwo")
        #expect(r.messages[0].parts == [.text("Look"), .image(mediaType: "image/png")])
        #expect(r.messages[1].parts == [.thinking("hmm"), .toolCall(id: "toolu_1", name: "get_weather", arguments: #"{"city":"Paris"}"#)])
        #expect(r.messages[2].parts == [.toolResult(id: "toolu_1", name: "get_weather", content: "sunny", isError: false),
                                        .toolResult(id: "toolu_9", name: nil, content: "boom", isError: true)])
        #expect(r.endsWithToolResult)
        #expect(r.tools.map(\.name) == ["get_weather", "web_search"])
        #expect(String(decoding: r.tools[0].schema, as: UTF8.self) == #"{"type":"object","properties":{}}"#)
        #expect(String(decoding: r.tools[1].schema, as: UTF8.self) == "{}")
        #expect(r.toolChoice == ToolChoice.none)  // a forcing choice with thinking is a 400 (Anthropic's rule)
        #expect(r.thinking == ThinkingSetting(budget: 2048))
        #expect(r.featureParams == [.vision: "messages.0.content.1", .tools: "tools", .thinking: "thinking"])
    }

    @Test func decode_toolChoiceAndThinkingVariants() throws {
        let base = #"{"model":"m","max_tokens":10,"messages":[{"role":"user","content":"x"}]"#
        #expect(try decode(base + #","tool_choice":{"type":"any"}}"#).toolChoice == .required)
        #expect(try decode(base + #","tool_choice":{"type":"tool","name":"get_weather"}}"#).toolChoice == .named("get_weather"))
        #expect(try decode(base + #","tool_choice":{"type":"none"}}"#).toolChoice == ToolChoice.none)
        #expect(try decode(base + #","tool_choice":{"type":"auto","disable_parallel_tool_use":true}}"#).toolChoice == .auto)
        let adaptive = try decode(base + #","thinking":{"type":"adaptive"}}"#)
        #expect(adaptive.thinking == ThinkingSetting() && adaptive.featureParams[.thinking] == "thinking")
        let disabled = try decode(base + #","thinking":{"type":"disabled"}}"#)
        #expect(disabled.thinking == nil && disabled.featureParams.isEmpty)
        #expect(try decode(base + #","max_tokens":5.0}"#).maxTokens == 5)
        #expect(try decode(base + #","system":null,"stream":null}"#).system == nil)
    }

    @Test func decode_errorsName400sWithDottedParams() throws {
        let msg = #""messages":[{"role":"user","content":"x"}]"#
        let cases: [(String, String)] = [
            (#"{"max_tokens":1,\#(msg)}"#, "model"),
            (#"{"model":5,"max_tokens":1,\#(msg)}"#, "model"),
            (#"{"model":"m",\#(msg)}"#, "max_tokens"),
            (#"{"model":"m","max_tokens":0,\#(msg)}"#, "max_tokens"),
            (#"{"model":"m","max_tokens":"1",\#(msg)}"#, "max_tokens"),
            (#"{"model":"m","max_tokens":1.5,\#(msg)}"#, "max_tokens"),
            (#"{"model":"m","max_tokens":1}"#, "messages"),
            (#"{"model":"m","max_tokens":1,"messages":[]}"#, "messages"),
            (#"{"model":"m","max_tokens":1,"messages":{}}"#, "messages"),
            (#"{"model":"m","max_tokens":1,"messages":[1]}"#, "messages.0"),
            (#"{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"},{"role":"system","content":"x"}]}"#, "messages.1.role"),
            (#"{"model":"m","max_tokens":1,"messages":[{"role":"user"}]}"#, "messages.0.content"),
            (#"{"model":"m","max_tokens":1,"messages":[{"role":"user","content":5}]}"#, "messages.0.content"),
            (#"{"model":"m","max_tokens":1,"messages":[{"role":"user","content":["x"]}]}"#, "messages.0.content.0"),
            (#"{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"text":"x"}]}]}"#, "messages.0.content.0.type"),
            (#"{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"bogus"}]}]}"#, "messages.0.content.0.type"),
            (#"{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"text","text":1}]}]}"#, "messages.0.content.0.text"),
            (#"{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"image"}]}]}"#, "messages.0.content.1.source"),
            (#"{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","data":"x"}}]}]}"#, "messages.0.content.0.source.media_type"),
            (#"{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"ftp"}}]}]}"#, "messages.0.content.0.source.type"),
            (#"{"model":"m","max_tokens":1,"messages":[{"role":"assistant","content":[{"type":"tool_use","id":"t","name":"n","input":"{}"}]}]}"#, "messages.0.content.0.input"),
            (#"{"model":"m","max_tokens":1,"messages":[{"role":"assistant","content":[{"type":"tool_use","name":"n","input":{}}]}]}"#, "messages.0.content.0.id"),
            (#"{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"tool_result","content":"x"}]}]}"#, "messages.0.content.0.tool_use_id"),
            (#"{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":7}]}]}"#, "messages.0.content.0.content"),
            (#"{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":[{"type":"video"}]}]}]}"#, "messages.0.content.0.content.0.type"),
            (#"{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","is_error":"yes"}]}]}"#, "messages.0.content.0.is_error"),
            (#"{"model":"m","max_tokens":1,"messages":[{"role":"assistant","content":[{"type":"thinking","signature":"s"}]}]}"#, "messages.0.content.0.thinking"),
            (#"{"model":"m","max_tokens":1,\#(msg),"system":5}"#, "system"),
            (#"{"model":"m","max_tokens":1,\#(msg),"system":[{"type":"image"}]}"#, "system.0.type"),
            (#"{"model":"m","max_tokens":1,\#(msg),"system":[{"type":"text"}]}"#, "system.0.text"),
            (#"{"model":"m","max_tokens":1,\#(msg),"tools":{}}"#, "tools"),
            (#"{"model":"m","max_tokens":1,\#(msg),"tools":[{"name":"a"}]}"#, "tools.0.input_schema"),
            (#"{"model":"m","max_tokens":1,\#(msg),"tools":[{"name":"a","input_schema":{}},{"input_schema":{}}]}"#, "tools.1.name"),
            (#"{"model":"m","max_tokens":1,\#(msg),"tools":[{"name":"a","description":3,"input_schema":{}}]}"#, "tools.0.description"),
            (#"{"model":"m","max_tokens":1,\#(msg),"tool_choice":"auto"}"#, "tool_choice"),
            (#"{"model":"m","max_tokens":1,\#(msg),"tool_choice":{"type":"sometimes"}}"#, "tool_choice.type"),
            (#"{"model":"m","max_tokens":1,\#(msg),"tool_choice":{"type":"tool"}}"#, "tool_choice.name"),
            (#"{"model":"m","max_tokens":1,\#(msg),"stop_sequences":"END"}"#, "stop_sequences"),
            (#"{"model":"m","max_tokens":1,\#(msg),"stop_sequences":["a",2]}"#, "stop_sequences.1"),
            (#"{"model":"m","max_tokens":1,\#(msg),"stream":"yes"}"#, "stream"),
            (#"{"model":"m","max_tokens":1,\#(msg),"thinking":true}"#, "thinking"),
            (#"{"model":"m","max_tokens":1,\#(msg),"thinking":{"type":"on"}}"#, "thinking.type"),
            (#"{"model":"m","max_tokens":5000,\#(msg),"thinking":{"type":"enabled"}}"#, "thinking.budget_tokens"),
            (#"{"model":"m","max_tokens":5000,\#(msg),"thinking":{"type":"enabled","budget_tokens":100}}"#, "thinking.budget_tokens"),
        ]
        for (json, param) in cases {
            let e = try #require(try failure(json), "decoded: \(json)")
            #expect(e.status.code == 400, "\(json)")
            #expect(e.kind == .invalidRequest)
            #expect(e.param == param, "\(json)")
            #expect(e.message.hasPrefix(param + ": "), "\(e.message)")
        }
    }

    @Test func decode_neverCrashesOnWrongTypes() throws {
        let values = [#"null"#, #"true"#, #"-1"#, #"1e300"#, #""s""#, #"[]"#, #"{}"#, #"[null]"#, #"[{}]"#, #"{"type":null}"#]
        let fields = ["model", "max_tokens", "messages", "system", "tools", "tool_choice", "stop_sequences", "stream", "thinking"]
        for field in fields {
            for v in values {
                var parts = [#""model":"m""#, #""max_tokens":2000"#, #""messages":[{"role":"user","content":"x"}]"#]
                parts.removeAll { $0.hasPrefix("\"\(field)\"") }
                parts.append("\"\(field)\":\(v)")
                _ = try failure("{" + parts.joined(separator: ",") + "}")
            }
        }
        for v in values {
            _ = try failure(#"{"model":"m","max_tokens":1,"messages":[{"role":"user","content":\#(v)}]}"#)
            _ = try failure(#"{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[\#(v)]}]}"#)
            for type in ["text", "image", "tool_use", "tool_result", "thinking"] {
                for key in ["text", "source", "input", "content", "thinking", "id", "name", "tool_use_id"] {
                    _ = try failure(#"{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"\#(type)","\#(key)":\#(v)}]}]}"#)
                }
            }
        }
    }

    // MARK: Body

    @Test func body_textReply() throws {
        let r = reply([.text("Hello!")])
        let bytes = AnthropicCodec.body(r, ChatRequest(model: "x"), Self.meta)
        #expect(String(decoding: bytes, as: UTF8.self) == #"""
        {"id":"msg_01TEST","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"Hello!"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":12,"output_tokens":2,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}
        """#)
        #expect(AnthropicCodec.bodyContentType == "application/json")
        #expect(AnthropicCodec.streamContentType(ChatRequest(model: "x")) == "text/event-stream; charset=utf-8")
    }

    @Test func body_thinkingToolUseAndStops() throws {
        let r = reply([.thinking(text: "Let me think.", signature: "c2ln"), .text("Checking."),
                       .toolCall(id: "01ABC", name: "get_weather", arguments: #"{"city": "Paris"}"#)], stop: .toolUse)
        let v = try JSONParser.parse(AnthropicCodec.body(r, ChatRequest(model: "x"), Self.meta))
        guard case .array(let content)? = v["content"] else { Issue.record("no content"); return }
        #expect(content.count == 3)
        #expect(content[0] == (try JSONParser.parse(Array(#"{"type":"thinking","thinking":"Let me think.","signature":"c2ln"}"#.utf8))))
        #expect(content[2]["type"] == .string("tool_use") && content[2]["id"] == .string("toolu_01ABC"))
        #expect(content[2]["input"]?["city"] == .string("Paris"))
        #expect(v["stop_reason"] == .string("tool_use") && v["stop_sequence"] == .null)
        #expect(v["usage"]?["output_tokens"] == .int(r.outputTokens))
        #expect(v["usage"]?["thinking_tokens"] == .int(r.thinkingTokens) && r.thinkingTokens > 0)

        let stop = try JSONParser.parse(AnthropicCodec.body(reply([.text("a")], stop: .stopSequence("END")), ChatRequest(model: "x"), Self.meta))
        #expect(stop["stop_reason"] == .string("stop_sequence") && stop["stop_sequence"] == .string("END"))
        #expect(stop["usage"]?["thinking_tokens"] == nil)
        let refusal = try JSONParser.parse(AnthropicCodec.body(reply([.refusal("No.")], stop: .refusal), ChatRequest(model: "x"), Self.meta))
        #expect(refusal["stop_reason"] == .string("refusal"))
        #expect(refusal["content"]?.encoded == Array(#"[{"type":"text","text":"No."}]"#.utf8))
        let cap = try JSONParser.parse(AnthropicCodec.body(reply([.text("a")], stop: .maxTokens), ChatRequest(model: "x"), Self.meta))
        #expect(cap["stop_reason"] == .string("max_tokens"))
        let broken = try JSONParser.parse(AnthropicCodec.body(reply([.toolCall(id: "1", name: "f", arguments: "{oops")], stop: .toolUse),
                                                              ChatRequest(model: "x"), Self.meta))
        #expect(broken["content"]?.encoded == Array(#"[{"type":"tool_use","id":"toolu_1","name":"f","input":{}}]"#.utf8))
    }

    // MARK: Stream

    @Test func stream_textTranscriptIsExact() throws {
        let events = AnthropicCodec.events(reply([.text("Hello!")]), ChatRequest(model: "x"), Self.meta)
        let text = String(decoding: events.flatMap(\.bytes), as: UTF8.self)
        #expect(text == """
        event: message_start
        data: {"type":"message_start","message":{"id":"msg_01TEST","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":12,"output_tokens":1,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}}

        event: content_block_start
        data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

        event: ping
        data: {"type":"ping"}

        event: content_block_delta
        data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"!"}}

        event: content_block_stop
        data: {"type":"content_block_stop","index":0}

        event: message_delta
        data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":2}}

        event: message_stop
        data: {"type":"message_stop"}


        """)
        #expect(events.map(\.tokens) == [0, 0, 0, 1, 1, 0, 0, 0])
    }

    @Test func stream_thinkingAndToolsOrderAndTokens() throws {
        let r = reply([.thinking(text: "Let me think about it.", signature: "c2ln"), .text("Sure, checking the weather."),
                       .toolCall(id: "T1", name: "get_weather", arguments: #"{"city":"Paris","unit":"c"}"#),
                       .toolCall(id: "T2", name: "get_time", arguments: "{}")], stop: .toolUse)
        let events = AnthropicCodec.events(r, ChatRequest(model: "x"), Self.meta)
        #expect(events.map(\.tokens).reduce(0, +) == r.outputTokens + r.thinkingTokens)
        let parsed = try sse(events)
        for (name, data) in parsed { #expect(data["type"] == .string(name)) }
        let names = parsed.map(\.0)
        #expect(names.first == "message_start" && names.last == "message_stop")
        #expect(names[1] == "content_block_start" && names[2] == "ping")
        #expect(names.filter { $0 == "ping" }.count == 1)
        #expect(names.filter { $0 == "content_block_start" }.count == 4)
        #expect(names[names.count - 2] == "message_delta")
        // Every delta names an open block; blocks open and close in index order.
        var open: Int?
        var next = 0
        var thinking = "", signature = "", text = "", json: [Int: String] = [:]
        for (name, data) in parsed {
            switch name {
            case "content_block_start":
                #expect(open == nil && data["index"] == .int(next)); open = next; next += 1
            case "content_block_stop":
                #expect(data["index"] == .int(open ?? -1)); open = nil
            case "content_block_delta":
                #expect(data["index"] == .int(open ?? -1))
                let d = data["delta"]
                switch d?["type"] {
                case .string("thinking_delta"): if case .string(let s)? = d?["thinking"] { thinking += s }
                case .string("signature_delta"):
                    #expect(signature.isEmpty)
                    if case .string(let s)? = d?["signature"] { signature = s }
                case .string("text_delta"): if case .string(let s)? = d?["text"] { text += s }
                case .string("input_json_delta"): if case .string(let s)? = d?["partial_json"] { json[open ?? -1, default: ""] += s }
                default: Issue.record("unexpected delta \(String(describing: d))")
                }
            default: break
            }
        }
        #expect(thinking == "Let me think about it." && signature == "c2ln" && text == "Sure, checking the weather.")
        #expect(json == [2: #"{"city":"Paris","unit":"c"}"#, 3: "{}"])
        let start = parsed.first { $0.0 == "content_block_start" && $0.1["index"] == .int(2) }?.1
        #expect(start?["content_block"]?.encoded == Array(#"{"type":"tool_use","id":"toolu_T1","name":"get_weather","input":{}}"#.utf8))
        // The first input_json_delta of a tool block is empty.
        let firstJSON = parsed.first { $0.1["delta"]?["type"] == .string("input_json_delta") }?.1
        #expect(firstJSON?["delta"]?["partial_json"] == .string(""))
        let delta = parsed[parsed.count - 2].1
        #expect(delta["delta"]?["stop_reason"] == .string("tool_use"))
        #expect(delta["usage"]?["output_tokens"] == .int(r.outputTokens))
        #expect(delta["usage"]?["thinking_tokens"] == .int(r.thinkingTokens))
    }

    @Test func stream_emptyReplyStillFramesAMessage() throws {
        let r = reply([], stop: .maxTokens)
        let names = try sse(AnthropicCodec.events(r, ChatRequest(model: "x"), Self.meta)).map(\.0)
        #expect(names == ["message_start", "ping", "message_delta", "message_stop"])
    }

    @Test func streamError_isANamedErrorEvent() throws {
        let e = GatewayError(.overloaded, status: Status(code: 529), message: "Overloaded")
        let bytes = AnthropicCodec.streamError(e, reply([.text("a")]), ChatRequest(model: "x"), Self.meta, sent: 3)
        #expect(String(decoding: bytes, as: UTF8.self) == """
        event: error
        data: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":"req_01TEST"}


        """)
    }
}

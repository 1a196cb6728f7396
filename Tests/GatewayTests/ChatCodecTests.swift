import HTTPCore
import Testing
@testable import BytespikeMock

@Suite struct ChatCodecTests {
    struct ParseFailure: Error {}

    func object(_ json: String) throws -> JSONObject {
        guard case .object(let o) = try JSONParser.parse(Array(json.utf8)) else { throw ParseFailure() }
        return o
    }

    func decode(_ json: String) throws -> ChatRequest { try ChatCodec.decode(try object(json), pathModel: nil) }

    func failure(_ json: String) throws -> GatewayError? {
        do { _ = try ChatCodec.decode(try object(json), pathModel: nil) } catch let e as GatewayError { return e }
        return nil
    }

    static let meta = ReplyMeta(responseID: "chatcmpl-123", created: 1_700_000_000, requestID: "req_1", seed: 7)

    func reply(_ blocks: [Reply.Block], stop: Reply.StopReason = .endTurn) -> Reply {
        let (output, thinking) = Reply.tokenCounts(blocks)
        return Reply(model: "gpt-4o-mini", blocks: blocks, stopReason: stop, inputTokens: 9,
                     outputTokens: output, thinkingTokens: thinking, pacing: .fast)
    }

    /// The JSON of each `data:` event; `[DONE]` must come last.
    func chunks(_ events: StreamEvents) throws -> [JSONValue] {
        let texts = events.map { String(decoding: $0.bytes, as: UTF8.self) }
        #expect(texts.last == "data: [DONE]\n\n")
        return try texts.dropLast().map { t in
            #expect(t.hasPrefix("data: ") && t.hasSuffix("\n\n") && !t.dropLast(2).contains("\n"))
            return try JSONParser.parse(Array(t.dropFirst(6).dropLast(2).utf8))
        }
    }

    // MARK: Decoding

    @Test func decode_messagesRolesAndScalars() throws {
        let r = try decode(#"""
        {"model":"gpt-4o-mini","max_tokens":50,"max_completion_tokens":100,"stop":"END","n":1,"stream":true,
         "stream_options":{"include_usage":true},"temperature":0.5,"user":"u","seed":3,
         "messages":[{"role":"system","content":"Be brief."},{"role":"developer","content":[{"type":"text","text":"Dev."}]},
                     {"role":"user","content":"Hello","name":"bob"},{"role":"assistant","content":"Hi"},
                     {"role":"user","content":[{"type":"text","text":"Look"},
                                               {"type":"image_url","image_url":{"url":"data:image/jpeg;base64,/9j/","detail":"low"}},
                                               {"type":"image_url","image_url":{"url":"https://x/y.png"}},
                                               {"type":"input_audio","input_audio":{"data":"x","format":"wav"}}]}]}
        """#)
        #expect(r.model == "gpt-4o-mini" && r.maxTokens == 100 && r.stopSequences == ["END"] && r.choices == 1)
        #expect(r.stream && r.includeUsage)
        #expect(r.system == "Be brief.\n\nDev.")
        #expect(r.messages == [ChatMessage(role: .user, parts: [.text("Hello")]),
                               ChatMessage(role: .assistant, parts: [.text("Hi")]),
                               ChatMessage(role: .user, parts: [.text("Look"), .image(mediaType: "image/jpeg"), .image(mediaType: "image/*")])])
        #expect(r.featureParams == [.vision: "messages"])
        #expect(r.raw["seed"] == .int(3))
        #expect(try decode(#"{"model":"m","max_tokens":7,"messages":[{"role":"user","content":"x"}]}"#).maxTokens == 7)
    }

    @Test func decode_toolCallsResultsAndOptions() throws {
        let r = try decode(#"""
        {"model":"m","messages":[
          {"role":"user","content":"Weather?"},
          {"role":"assistant","content":null,"tool_calls":[
             {"id":"call_a","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},
             {"id":"call_b","type":"function","function":{"name":"get_time","arguments":"{}"}}]},
          {"role":"tool","tool_call_id":"call_a","content":"sunny"},
          {"role":"tool","tool_call_id":"call_b","content":[{"type":"text","text":"noon"}]}],
         "tools":[{"type":"function","function":{"name":"get_weather","description":"W","parameters":{"type":"object"},"strict":true}},
                  {"type":"function","function":{"name":"get_time"}}],
         "tool_choice":{"type":"function","function":{"name":"get_weather"}},
         "response_format":{"type":"json_schema","json_schema":{"name":"out","schema":{"type":"object"},"strict":true}},
         "logprobs":true,"top_logprobs":3,"reasoning_effort":"high","parallel_tool_calls":false}
        """#)
        #expect(r.messages.count == 3)
        #expect(r.messages[1] == ChatMessage(role: .assistant, parts: [
            .toolCall(id: "call_a", name: "get_weather", arguments: #"{"city":"Paris"}"#),
            .toolCall(id: "call_b", name: "get_time", arguments: "{}")]))
        #expect(r.messages[2] == ChatMessage(role: .user, parts: [
            .toolResult(id: "call_a", name: "get_weather", content: "sunny", isError: false),
            .toolResult(id: "call_b", name: "get_time", content: "noon", isError: false)]))
        #expect(r.endsWithToolResult)
        #expect(r.tools.map(\.name) == ["get_weather", "get_time"])
        #expect(String(decoding: r.tools[0].schema, as: UTF8.self) == #"{"type":"object"}"#)
        #expect(String(decoding: r.tools[1].schema, as: UTF8.self) == "{}")
        #expect(r.toolChoice == .named("get_weather"))
        #expect(r.responseFormat == .jsonSchema(name: "out", schema: Array(#"{"type":"object"}"#.utf8)))
        #expect(r.logprobs && r.topLogprobs == 3)
        #expect(r.thinking == ThinkingSetting(effort: "high"))
        #expect(r.featureParams == [.tools: "tools", .jsonSchema: "response_format", .logprobs: "logprobs",
                                    .thinking: "reasoning_effort"])

        let base = #"{"model":"m","messages":[{"role":"user","content":"x"}]"#
        #expect(try decode(base + #","tool_choice":"required"}"#).toolChoice == .required)
        #expect(try decode(base + #","tool_choice":"none"}"#).toolChoice == ToolChoice.none)
        #expect(try decode(base + #","stop":["a","b"]}"#).stopSequences == ["a", "b"])
        #expect(try decode(base + #","response_format":{"type":"json_object"}}"#).responseFormat == .jsonObject)
        let plain = try decode(base + #","logprobs":false,"reasoning_effort":"none","n":2}"#)
        #expect(plain.featureParams.isEmpty && plain.thinking == nil && plain.choices == 2 && !plain.stream)
        // A tool message after a user text starts its own user message.
        let separate = try decode(#"{"model":"m","messages":[{"role":"user","content":"x"},{"role":"tool","tool_call_id":"c","content":"r"}]}"#)
        #expect(separate.messages.count == 2)
    }

    @Test func decode_errorsName400sWithParams() throws {
        let msg = #""messages":[{"role":"user","content":"x"}]"#
        let cases: [(String, String)] = [
            (#"{\#(msg)}"#, "model"),
            (#"{"model":1,\#(msg)}"#, "model"),
            (#"{"model":"m"}"#, "messages"),
            (#"{"model":"m","messages":[]}"#, "messages"),
            (#"{"model":"m","messages":"hi"}"#, "messages"),
            (#"{"model":"m","messages":[3]}"#, "messages[0]"),
            (#"{"model":"m","messages":[{"content":"x"}]}"#, "messages[0].role"),
            (#"{"model":"m","messages":[{"role":"robot","content":"x"}]}"#, "messages[0].role"),
            (#"{"model":"m","messages":[{"role":"user"}]}"#, "messages[0].content"),
            (#"{"model":"m","messages":[{"role":"user","content":5}]}"#, "messages[0].content"),
            (#"{"model":"m","messages":[{"role":"user","content":[5]}]}"#, "messages[0].content[0]"),
            (#"{"model":"m","messages":[{"role":"user","content":[{"type":"video"}]}]}"#, "messages[0].content[0].type"),
            (#"{"model":"m","messages":[{"role":"user","content":[{"type":"text"}]}]}"#, "messages[0].content[0].text"),
            (#"{"model":"m","messages":[{"role":"user","content":[{"type":"image_url"}]}]}"#, "messages[0].content[0].image_url"),
            (#"{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{}}]}]}"#, "messages[0].content[0].image_url.url"),
            (#"{"model":"m","messages":[{"role":"system","content":[{"type":"image_url"}]}]}"#, "messages[0].content[0].type"),
            (#"{"model":"m","messages":[{"role":"assistant","content":7}]}"#, "messages[0].content"),
            (#"{"model":"m","messages":[{"role":"assistant","tool_calls":{}}]}"#, "messages[0].tool_calls"),
            (#"{"model":"m","messages":[{"role":"assistant","tool_calls":[{"type":"function","function":{"name":"f","arguments":"{}"}}]}]}"#, "messages[0].tool_calls[0].id"),
            (#"{"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":{}}}]}]}"#, "messages[0].tool_calls[0].function.arguments"),
            (#"{"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"c","type":"function"}]}]}"#, "messages[0].tool_calls[0].function"),
            (#"{"model":"m","messages":[{"role":"tool","content":"x"}]}"#, "messages[0].tool_call_id"),
            (#"{"model":"m","messages":[{"role":"tool","tool_call_id":"c"}]}"#, "messages[0].content"),
            (#"{"model":"m",\#(msg),"max_tokens":0}"#, "max_tokens"),
            (#"{"model":"m",\#(msg),"max_completion_tokens":"9"}"#, "max_completion_tokens"),
            (#"{"model":"m",\#(msg),"max_completion_tokens":-1}"#, "max_completion_tokens"),
            (#"{"model":"m",\#(msg),"stop":["a","b","c","d","e"]}"#, "stop"),
            (#"{"model":"m",\#(msg),"stop":[1]}"#, "stop[0]"),
            (#"{"model":"m",\#(msg),"n":0}"#, "n"),
            (#"{"model":"m",\#(msg),"stream":1}"#, "stream"),
            (#"{"model":"m",\#(msg),"stream_options":{"include_usage":true}}"#, "stream_options"),
            (#"{"model":"m",\#(msg),"stream":true,"stream_options":{"include_usage":"y"}}"#, "stream_options.include_usage"),
            (#"{"model":"m",\#(msg),"tools":[{"function":{"name":"f"}}]}"#, "tools[0].type"),
            (#"{"model":"m",\#(msg),"tools":[{"type":"function"}]}"#, "tools[0].function"),
            (#"{"model":"m",\#(msg),"tools":[{"type":"function","function":{}}]}"#, "tools[0].function.name"),
            (#"{"model":"m",\#(msg),"tools":[{"type":"function","function":{"name":"f","parameters":[]}}]}"#, "tools[0].function.parameters"),
            (#"{"model":"m",\#(msg),"tool_choice":"sometimes"}"#, "tool_choice"),
            (#"{"model":"m",\#(msg),"tool_choice":3}"#, "tool_choice"),
            (#"{"model":"m",\#(msg),"tool_choice":{"type":"function"}}"#, "tool_choice.function"),
            (#"{"model":"m",\#(msg),"tool_choice":{"type":"function","function":{}}}"#, "tool_choice.function.name"),
            (#"{"model":"m",\#(msg),"response_format":"json"}"#, "response_format"),
            (#"{"model":"m",\#(msg),"response_format":{"type":"yaml"}}"#, "response_format.type"),
            (#"{"model":"m",\#(msg),"response_format":{"type":"json_schema"}}"#, "response_format.json_schema"),
            (#"{"model":"m",\#(msg),"response_format":{"type":"json_schema","json_schema":{"schema":{}}}}"#, "response_format.json_schema.name"),
            (#"{"model":"m",\#(msg),"logprobs":"yes"}"#, "logprobs"),
            (#"{"model":"m",\#(msg),"logprobs":true,"top_logprobs":21}"#, "top_logprobs"),
            (#"{"model":"m",\#(msg),"reasoning_effort":"max"}"#, "reasoning_effort"),
            (#"{"model":"m",\#(msg),"reasoning_effort":2}"#, "reasoning_effort"),
        ]
        for (json, param) in cases {
            let e = try #require(try failure(json), "decoded: \(json)")
            #expect(e.status.code == 400, "\(json)")
            #expect(e.param == param, "\(json)")
            #expect(e.message.hasPrefix(param + ": "), "\(e.message)")
        }
    }

    @Test func decode_neverCrashesOnWrongTypes() throws {
        let values = [#"null"#, #"false"#, #"0"#, #"-5"#, #"2.5"#, #""s""#, #"[]"#, #"{}"#, #"[null]"#, #"[{}]"#, #"{"type":"function"}"#]
        let fields = ["model", "messages", "max_tokens", "max_completion_tokens", "stop", "n", "stream", "stream_options",
                      "tools", "tool_choice", "response_format", "logprobs", "top_logprobs", "reasoning_effort"]
        for field in fields {
            for v in values {
                var parts = [#""model":"m""#, #""stream":true"#, #""messages":[{"role":"user","content":"x"}]"#]
                parts.removeAll { $0.hasPrefix("\"\(field)\"") }
                parts.append("\"\(field)\":\(v)")
                _ = try failure("{" + parts.joined(separator: ",") + "}")
            }
        }
        for role in ["system", "user", "assistant", "tool"] {
            for key in ["content", "tool_calls", "tool_call_id", "reasoning_content"] {
                for v in values {
                    _ = try failure(#"{"model":"m","messages":[{"role":"\#(role)","\#(key)":\#(v)}]}"#)
                    _ = try failure(#"{"model":"m","messages":[{"role":"\#(role)","\#(key)":[\#(v)]}]}"#)
                }
            }
        }
    }

    @Test func mediaTypeOfURLs() {
        #expect(ChatCodec.mediaType(ofURL: "data:image/webp;base64,AAA") == "image/webp")
        #expect(ChatCodec.mediaType(ofURL: "data:image/png,AAA") == "image/png")
        #expect(ChatCodec.mediaType(ofURL: "data:") == "image/*")
        #expect(ChatCodec.mediaType(ofURL: "https://example.com/a.png") == "image/*")
    }

    // MARK: Body

    @Test func body_textReplyIsExact() {
        let bytes = ChatCodec.body(reply([.text("Hello!")]), ChatRequest(model: "x"), Self.meta)
        #expect(String(decoding: bytes, as: UTF8.self) == #"""
        {"id":"chatcmpl-123","object":"chat.completion","created":1700000000,"model":"gpt-4o-mini","system_fingerprint":null,"choices":[{"index":0,"message":{"role":"assistant","content":"Hello!","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}}
        """#)
        #expect(ChatCodec.bodyContentType == "application/json")
        #expect(ChatCodec.streamContentType(ChatRequest(model: "x")) == "text/event-stream; charset=utf-8")
    }

    @Test func body_toolCallsReasoningRefusalAndLogprobs() throws {
        let r = reply([.thinking(text: "Think.", signature: "s"),
                       .toolCall(id: "abc", name: "get_weather", arguments: #"{"city":"Paris"}"#)], stop: .toolUse)
        let v = try JSONParser.parse(ChatCodec.body(r, ChatRequest(model: "x"), Self.meta))
        let choice = v["choices"].flatMap { if case .array(let a) = $0 { a.first } else { nil } }
        let m = choice?["message"]
        #expect(m?["content"] == .null && m?["refusal"] == .null && m?["reasoning_content"] == .string("Think."))
        #expect(m?["tool_calls"]?.encoded == Array(#"[{"id":"call_abc","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]"#.utf8))
        #expect(choice?["finish_reason"] == .string("tool_calls"))
        #expect(v["usage"]?["completion_tokens"] == .int(r.outputTokens + r.thinkingTokens))
        #expect(v["usage"]?["total_tokens"] == .int(9 + r.outputTokens + r.thinkingTokens))
        #expect(v["usage"]?["completion_tokens_details"]?["reasoning_tokens"] == .int(r.thinkingTokens))

        let refusal = try JSONParser.parse(ChatCodec.body(reply([.refusal("I can't help.")], stop: .refusal), ChatRequest(model: "x"), Self.meta))
        let rm = refusal["choices"].flatMap { if case .array(let a) = $0 { a.first } else { nil } }
        #expect(rm?["message"]?["content"] == .null && rm?["message"]?["refusal"] == .string("I can't help."))
        #expect(rm?["finish_reason"] == .string("stop") && rm?["message"]?["tool_calls"] == nil)

        let cap = try JSONParser.parse(ChatCodec.body(reply([.text("a")], stop: .maxTokens), ChatRequest(model: "x"), Self.meta))
        #expect(cap.encoded.count > 0 && String(decoding: cap.encoded, as: UTF8.self).contains(#""finish_reason":"length""#))

        var request = ChatRequest(model: "x")
        request.logprobs = true
        request.topLogprobs = 3
        let lp = try JSONParser.parse(ChatCodec.body(reply([.text("Hello, world")]), request, Self.meta))
        let logprobs = lp["choices"].flatMap { if case .array(let a) = $0 { a.first?["logprobs"] } else { nil } }
        guard case .array(let entries)? = logprobs?["content"] else { Issue.record("no logprobs"); return }
        #expect(logprobs?["refusal"] == .null)
        #expect(entries.map { $0["token"] } == [.string("Hello"), .string(","), .string(" world")])
        for e in entries {
            guard case .double(let p)? = e["logprob"], case .array(let top)? = e["top_logprobs"] else { Issue.record("entry"); continue }
            #expect(p < 0 && p > -1)
            #expect(top.count == 3 && top[0]["token"] == e["token"] && top[0]["logprob"] == e["logprob"])
            if case .string(let t)? = e["token"] { #expect(e["bytes"] == .array(t.utf8.map { .int(Int($0)) })) }
            var last = p
            for alt in top.dropFirst() {
                #expect(alt["token"] != e["token"] && alt["top_logprobs"] == nil)
                if case .double(let q)? = alt["logprob"] { #expect(q < last); last = q }
            }
        }
        // Deterministic.
        #expect(ChatCodec.body(reply([.text("Hello, world")]), request, Self.meta) == ChatCodec.body(reply([.text("Hello, world")]), request, Self.meta))
    }

    // MARK: Stream

    @Test func stream_textWithUsageIsExact() {
        var request = ChatRequest(model: "x")
        request.stream = true
        request.includeUsage = true
        let events = ChatCodec.events(reply([.text("Hello!")]), request, Self.meta)
        let head = #"{"id":"chatcmpl-123","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o-mini","system_fingerprint":null,"choices":["#
        #expect(String(decoding: events.flatMap(\.bytes), as: UTF8.self) == """
        data: \(head){"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}

        data: \(head){"index":0,"delta":{"content":"Hello"},"logprobs":null,"finish_reason":null}],"usage":null}

        data: \(head){"index":0,"delta":{"content":"!"},"logprobs":null,"finish_reason":null}],"usage":null}

        data: \(head){"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null}

        data: \(head)],"usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}}

        data: [DONE]


        """)
        #expect(events.map(\.tokens) == [0, 1, 1, 0, 0, 0])
    }

    @Test func stream_toolCallsReasoningAndTokens() throws {
        let r = reply([.thinking(text: "Think hard.", signature: "s"), .text("Checking."),
                       .toolCall(id: "a", name: "get_weather", arguments: #"{"city":"Paris"}"#),
                       .toolCall(id: "b", name: "get_time", arguments: "{}")], stop: .toolUse)
        let events = ChatCodec.events(r, ChatRequest(model: "x"), Self.meta)
        #expect(events.map(\.tokens).reduce(0, +) == r.outputTokens + r.thinkingTokens)
        let parsed = try chunks(events)
        for c in parsed {
            #expect(c["usage"] == nil && c["id"] == .string("chatcmpl-123") && c["object"] == .string("chat.completion.chunk"))
        }
        let choices = parsed.compactMap { c -> JSONValue? in if case .array(let a)? = c["choices"] { a.first } else { nil } }
        #expect(choices.count == parsed.count)
        #expect(choices.first?["delta"]?.encoded == Array(#"{"role":"assistant","content":"","refusal":null}"#.utf8))
        #expect(choices.last?["delta"]?.encoded == Array("{}".utf8) && choices.last?["finish_reason"] == .string("tool_calls"))
        var reasoning = "", content = "", args: [Int: String] = [:], opened: [Int] = []
        for c in choices.dropFirst().dropLast() {
            #expect(c["finish_reason"] == .null && c["index"] == .int(0))
            let d = c["delta"]
            if case .string(let s)? = d?["reasoning_content"] { #expect(content.isEmpty); reasoning += s }
            if case .string(let s)? = d?["content"] { content += s }
            if case .array(let calls)? = d?["tool_calls"] {
                #expect(calls.count == 1)
                guard case .int(let i)? = calls[0]["index"] else { Issue.record("no index"); continue }
                if calls[0]["id"] != nil {
                    opened.append(i)
                    #expect(calls[0]["type"] == .string("function") && calls[0]["function"]?["arguments"] == .string(""))
                } else {
                    #expect(opened.last == i && calls[0]["function"]?["name"] == nil)
                }
                if case .string(let s)? = calls[0]["function"]?["arguments"] { args[i, default: ""] += s }
            }
        }
        #expect(reasoning == "Think hard." && content == "Checking.")
        #expect(opened == [0, 1] && args == [0: #"{"city":"Paris"}"#, 1: "{}"])
        let first = choices.first { $0["delta"]?["tool_calls"] != nil }
        #expect(first?["delta"]?.encoded == Array(#"{"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"get_weather","arguments":""}}]}"#.utf8))
    }

    @Test func stream_refusalAndLogprobs() throws {
        var request = ChatRequest(model: "x")
        request.logprobs = true
        request.topLogprobs = 2
        let r = reply([.text("Hi there"), .refusal("No way.")], stop: .refusal)
        let events = ChatCodec.events(r, request, Self.meta)
        #expect(events.map(\.tokens).reduce(0, +) == r.outputTokens)
        let choices = try chunks(events).compactMap { c -> JSONValue? in if case .array(let a)? = c["choices"] { a.first } else { nil } }
        var refusal = ""
        for c in choices {
            if case .string(let s)? = c["delta"]?["content"], !s.isEmpty {
                guard case .array(let entries)? = c["logprobs"]?["content"] else { Issue.record("no logprobs"); continue }
                #expect(entries.count == 1 && entries[0]["token"] == .string(s))
                if case .array(let top)? = entries[0]["top_logprobs"] { #expect(top.count == 2) }
                #expect(c["logprobs"]?["refusal"] == .null)
            } else {
                #expect(c["logprobs"] == .null)
            }
            if case .string(let s)? = c["delta"]?["refusal"] { refusal += s }
        }
        #expect(refusal == "No way.")
        #expect(choices.last?["finish_reason"] == .string("stop"))
    }

    @Test func streamError_isADataOnlyErrorObject() {
        let e = GatewayError(.internalError, status: Status(code: 500), message: "The server had an error", param: "x")
        let bytes = ChatCodec.streamError(e, reply([]), ChatRequest(model: "x"), Self.meta, sent: 2)
        #expect(String(decoding: bytes, as: UTF8.self) ==
            "data: {\"error\":{\"message\":\"The server had an error\",\"type\":\"api_error\",\"param\":null,\"code\":null}}\n\n")
    }
}

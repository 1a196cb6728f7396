import HTTPCore
import Testing
@testable import BytespikeMock

private struct NotAnObject: Error {}

@Suite struct GeminiCodecTests {
    private func object(_ json: String) throws -> JSONObject {
        guard case .object(let o) = try JSONParser.parse(Array(json.utf8)) else { throw NotAnObject() }
        return o
    }

    private func decode(_ json: String, model: String? = "gemini-2-5-flash") throws -> ChatRequest {
        try GeminiCodec.decode(try object(json), pathModel: model)
    }

    private func reply(_ blocks: [Reply.Block], stop: Reply.StopReason = .endTurn) -> Reply {
        let (out, thinking) = Reply.tokenCounts(blocks)
        return Reply(model: "gemini-2.5-flash", blocks: blocks, stopReason: stop, inputTokens: 4, outputTokens: out,
                     thinkingTokens: thinking, pacing: .fast)
    }

    private let meta = ReplyMeta(responseID: "mAitaLmkHPPlz7IP", created: 1_741_476_542, requestID: "req_1", seed: 7)

    private func sse(_ stream: Bool = true) -> ChatRequest {
        var r = ChatRequest(model: "gemini-2-5-flash")
        r.stream = stream
        return r
    }

    // MARK: Decoding

    @Test func decode_camelCaseBody() throws {
        let r = try decode(#"""
        {"contents":[
           {"role":"user","parts":[{"text":"What is in this image?"},{"inlineData":{"mimeType":"image/png","data":"iVBOR"}}]},
           {"role":"model","parts":[{"thought":true,"text":"Hmm."},{"functionCall":{"name":"get_weather","args":{"city":"Paris"}},"thoughtSignature":"c2ln"}]},
           {"role":"user","parts":[{"functionResponse":{"name":"get_weather","response":{"temp":21}}}]},
           {"parts":[{"thoughtSignature":"c2ln"},{"text":"Thanks"}]}],
         "systemInstruction":{"parts":[{"text":"Be brief."},{"text":"Be kind."}]},
         "generationConfig":{"maxOutputTokens":256,"stopSequences":["END"],"temperature":0.5,"topK":40,
           "responseMimeType":"application/json","responseSchema":{"type":"OBJECT"},
           "thinkingConfig":{"thinkingBudget":1024,"includeThoughts":true},"responseLogprobs":true,"logprobs":2},
         "tools":[{"functionDeclarations":[{"name":"get_weather","description":"Weather","parameters":{"type":"OBJECT"}}]},
                  {"googleSearch":{}}],
         "toolConfig":{"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":["get_weather"]}},
         "safetySettings":[{"category":"HARM_CATEGORY_HATE_SPEECH","threshold":"BLOCK_NONE"}]}
        """#)
        #expect(r.model == "gemini-2-5-flash")
        #expect(r.messages == [
            ChatMessage(role: .user, parts: [.text("What is in this image?"), .image(mediaType: "image/png")]),
            ChatMessage(role: .assistant, parts: [.thinking("Hmm."), .toolCall(id: "", name: "get_weather", arguments: #"{"city":"Paris"}"#)]),
            ChatMessage(role: .user, parts: [.toolResult(id: "", name: "get_weather", content: #"{"temp":21}"#, isError: false)]),
            ChatMessage(role: .user, parts: [.text("Thanks")]),
        ])
        #expect(r.system == "Be brief.\n\nBe kind.")
        #expect(r.maxTokens == 256 && r.stopSequences == ["END"])
        #expect(r.responseFormat == .jsonSchema(name: "response", schema: Array(#"{"type":"OBJECT"}"#.utf8)))
        #expect(r.thinking == ThinkingSetting(budget: 1024, effort: nil))
        #expect(r.logprobs && r.topLogprobs == 2)
        #expect(r.tools == [ToolSpec(name: "get_weather", description: "Weather", schema: Array(#"{"type":"OBJECT"}"#.utf8))])
        #expect(r.toolChoice == .named("get_weather"))
        #expect(r.featureParams == [.vision: "contents[0].parts[1]", .jsonSchema: "generationConfig.responseSchema",
                                    .thinking: "generationConfig.thinkingConfig", .tools: "tools",
                                    .logprobs: "generationConfig.responseLogprobs"])
        #expect(r.raw["toolConfig"] != nil)
    }

    @Test func decode_googleGenaiSnakeCaseBody() throws {
        let r = try decode(#"""
        {"contents":[{"parts":[{"text":"Hi"}],"role":"user"}],
         "system_instruction":{"parts":[{"text":"Sys"}],"role":"user"},
         "generationConfig":{"max_output_tokens":64,"response_mime_type":"application/json",
           "response_json_schema":{"type":"object"},"thinking_config":{"thinking_budget":0}},
         "tools":[{"function_declarations":[{"name":"f","parameters_json_schema":{"type":"object","properties":{}}}]}],
         "tool_config":{"function_calling_config":{"mode":"NONE"}}}
        """#)
        #expect(r.messages == [ChatMessage(role: .user, parts: [.text("Hi")])])
        #expect(r.system == "Sys" && r.maxTokens == 64 && r.thinking == nil)
        #expect(r.responseFormat == .jsonSchema(name: "response", schema: Array(#"{"type":"object"}"#.utf8)))
        #expect(r.tools == [ToolSpec(name: "f", description: "", schema: Array(#"{"type":"object","properties":{}}"#.utf8))])
        #expect(r.toolChoice == ToolChoice.none)
        #expect(r.featureParams == [.jsonSchema: "generationConfig.responseJsonSchema", .tools: "tools"])

        let minimal = try decode(#"{"contents":[{"parts":[{"text":"Hi"}]}],"generationConfig":{}}"#)
        #expect(minimal.responseFormat == .text && minimal.thinking == nil && minimal.maxTokens == nil && minimal.featureParams.isEmpty)
        let plain = try decode(#"{"contents":[{"parts":[{"text":"Hi"}]}],"systemInstruction":"Plain","generationConfig":{"thinkingConfig":{"includeThoughts":true,"thinkingLevel":"HIGH"},"responseMimeType":"application/json"}}"#)
        #expect(plain.system == "Plain" && plain.responseFormat == .jsonObject)
        #expect(plain.thinking == ThinkingSetting(budget: nil, effort: "high"))
    }

    @Test func decode_countTokensWrapperAndBodyModel() throws {
        let r = try decode(#"{"generateContentRequest":{"model":"models/gemini-2-5-flash","contents":[{"role":"user","parts":[{"text":"Count me"}]}]}}"#,
                           model: nil)
        #expect(r.model == "gemini-2-5-flash" && r.lastUserText == "Count me")
        do {
            _ = try decode(#"{"generateContentRequest":{"contents":[]}}"#)
            Issue.record("expected a 400")
        } catch let e as GatewayError {
            #expect(e.param == "generateContentRequest.contents")
        }
    }

    @Test(arguments: [
        (#"{}"#, "contents"),
        (#"{"contents":[]}"#, "contents"),
        (#"{"contents":{}}"#, "contents"),
        (#"{"contents":[1]}"#, "contents[0]"),
        (#"{"contents":[{"role":"system","parts":[]}]}"#, "contents[0].role"),
        (#"{"contents":[{"parts":"x"}]}"#, "contents[0].parts"),
        (#"{"contents":[{"parts":[{"text":5}]}]}"#, "contents[0].parts[0].text"),
        (#"{"contents":[{"parts":[{}]}]}"#, "contents[0].parts[0]"),
        (#"{"contents":[{"parts":[{"inlineData":{"data":"x"}}]}]}"#, "contents[0].parts[0].inlineData.mimeType"),
        (#"{"contents":[{"parts":[{"inline_data":{"mime_type":1,"data":"x"}}]}]}"#, "contents[0].parts[0].inline_data.mime_type"),
        (#"{"contents":[{"parts":[{"fileData":{"mimeType":"image/png"}}]}]}"#, "contents[0].parts[0].fileData.fileUri"),
        (#"{"contents":[{"parts":[{"functionCall":{"args":{}}}]}]}"#, "contents[0].parts[0].functionCall.name"),
        (#"{"contents":[{"parts":[{"functionCall":{"name":"f","args":"{}"}}]}]}"#, "contents[0].parts[0].functionCall.args"),
        (#"{"contents":[{"parts":[{"functionResponse":{"name":"f","response":[]}}]}]}"#, "contents[0].parts[0].functionResponse.response"),
        (#"{"contents":[{"parts":[{"text":"x"}]}],"systemInstruction":5}"#, "systemInstruction"),
        (#"{"contents":[{"parts":[{"text":"x"}]}],"generationConfig":[]}"#, "generationConfig"),
        (#"{"contents":[{"parts":[{"text":"x"}]}],"generationConfig":{"maxOutputTokens":"5"}}"#, "generationConfig.maxOutputTokens"),
        (#"{"contents":[{"parts":[{"text":"x"}]}],"generation_config":{"max_output_tokens":-1}}"#, "generation_config.max_output_tokens"),
        (#"{"contents":[{"parts":[{"text":"x"}]}],"generationConfig":{"temperature":"hot"}}"#, "generationConfig.temperature"),
        (#"{"contents":[{"parts":[{"text":"x"}]}],"generationConfig":{"stopSequences":[1]}}"#, "generationConfig.stopSequences[0]"),
        (#"{"contents":[{"parts":[{"text":"x"}]}],"generationConfig":{"responseMimeType":"text/csv"}}"#, "generationConfig.responseMimeType"),
        (#"{"contents":[{"parts":[{"text":"x"}]}],"generationConfig":{"responseSchema":"x"}}"#, "generationConfig.responseSchema"),
        (#"{"contents":[{"parts":[{"text":"x"}]}],"generationConfig":{"thinkingConfig":{"thinkingBudget":"1"}}}"#, "generationConfig.thinkingConfig.thinkingBudget"),
        (#"{"contents":[{"parts":[{"text":"x"}]}],"generationConfig":{"candidateCount":0}}"#, "generationConfig.candidateCount"),
        (#"{"contents":[{"parts":[{"text":"x"}]}],"tools":[{"functionDeclarations":[{"description":"d"}]}]}"#, "tools[0].functionDeclarations[0].name"),
        (#"{"contents":[{"parts":[{"text":"x"}]}],"tools":[{"function_declarations":[{"name":"f","parameters":1}]}]}"#, "tools[0].function_declarations[0].parameters"),
        (#"{"contents":[{"parts":[{"text":"x"}]}],"toolConfig":{"functionCallingConfig":{"mode":"SOMETIMES"}}}"#, "toolConfig.functionCallingConfig.mode"),
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

    @Test func decode_withoutAnyModelIs400() throws {
        #expect(throws: GatewayError.self) { try decode(#"{"contents":[{"parts":[{"text":"x"}]}]}"#, model: nil) }
    }

    // MARK: Body

    @Test func body_textReplyHasTheDocumentedShape() throws {
        let s = String(decoding: GeminiCodec.body(reply([.text("Hello!")]), sse(false), meta), as: UTF8.self)
        #expect(s == #"{"candidates":[{"content":{"parts":[{"text":"Hello!"}],"role":"model"},"finishReason":"STOP","index":0}],"#
            + #""usageMetadata":{"promptTokenCount":4,"candidatesTokenCount":2,"totalTokenCount":6,"promptTokensDetails":[{"modality":"TEXT","tokenCount":4}]},"#
            + #""modelVersion":"gemini-2.5-flash","responseId":"mAitaLmkHPPlz7IP"}"#)
        #expect(GeminiCodec.bodyContentType == "application/json; charset=UTF-8")
    }

    @Test func body_thinkingToolCallsAndFinishReasons() throws {
        let r = reply([.thinking(text: "Plan.", signature: "s"), .toolCall(id: "abc", name: "get_weather", arguments: #"{"city":"Paris"}"#)],
                      stop: .toolUse)
        let o = try object(String(decoding: GeminiCodec.body(r, sse(false), meta), as: UTF8.self))
        let candidate = o["candidates"].flatMap { if case .array(let a) = $0 { a.first } else { nil } }
        #expect(candidate?["finishReason"] == .string("STOP"))
        #expect(candidate?["content"]?["parts"] == .array([
            .object(try object(#"{"text":"Plan.","thought":true}"#)),
            .object(try object(#"{"functionCall":{"name":"get_weather","args":{"city":"Paris"}}}"#)),
        ]))
        #expect(o["usageMetadata"]?["thoughtsTokenCount"] == .int(r.thinkingTokens))
        #expect(o["usageMetadata"]?["totalTokenCount"] == .int(4 + r.outputTokens + r.thinkingTokens))
        #expect(GeminiCodec.finishReason(reply([.text("x")], stop: .maxTokens)) == "MAX_TOKENS")
        #expect(GeminiCodec.finishReason(reply([.refusal("no")], stop: .refusal)) == "SAFETY")
        #expect(GeminiCodec.finishReason(reply([.text("x")], stop: .stopSequence("END"))) == "STOP")
        let bad = String(decoding: GeminiCodec.body(reply([.toolCall(id: "", name: "f", arguments: "not json")]), sse(false), meta), as: UTF8.self)
        #expect(bad.contains(#"{"functionCall":{"name":"f","args":{}}}"#))
    }

    // MARK: Stream

    @Test func stream_sseHasOnlyDataLinesAndOnePiecePerChunk() throws {
        let r = reply([.thinking(text: "Hmm, ok.", signature: ""), .text("Hello there!"),
                       .toolCall(id: "", name: "f", arguments: #"{"a":1}"#)])
        let request = sse()
        let events = GeminiCodec.events(r, request, meta)
        #expect(GeminiCodec.streamContentType(request) == "text/event-stream")
        var texts = "", thoughts = ""
        for (i, e) in events.enumerated() {
            // Bytes, not Characters: "\r\n" is one Character in Swift.
            #expect(e.bytes.starts(with: Array("data: ".utf8)) && e.bytes.suffix(4).elementsEqual(Array("\r\n\r\n".utf8)))
            let body = e.bytes.dropFirst(6).dropLast(4)
            #expect(!body.contains(0x0D) && !body.contains(0x0A))
            let o = try object(String(decoding: body, as: UTF8.self))
            #expect(o["responseId"] == .string("mAitaLmkHPPlz7IP") && o["modelVersion"] == .string("gemini-2.5-flash"))
            let candidate = o["candidates"].flatMap { if case .array(let a) = $0 { a.first } else { nil } }
            guard case .array(let parts)? = candidate?["content"]?["parts"] else { Issue.record("no parts"); continue }
            #expect(parts.count == 1)
            if case .string(let t)? = parts[0]["text"] { if parts[0]["thought"] == .bool(true) { thoughts += t } else { texts += t } }
            let last = i == events.count - 1
            #expect((candidate?["finishReason"] != nil) == last)
            #expect((o["usageMetadata"]?["candidatesTokenCount"] != nil) == last)
            #expect(o["usageMetadata"]?["promptTokenCount"] == .int(4))
            if last { #expect(parts[0]["functionCall"]?["args"] == .object(try object(#"{"a":1}"#))) }
        }
        #expect(thoughts == "Hmm, ok." && texts == "Hello there!")
        #expect(events.count == Tokens.pieces("Hmm, ok.").count + Tokens.pieces("Hello there!").count + 1)
        #expect(events.reduce(0) { $0 + $1.tokens } == r.outputTokens + r.thinkingTokens)
    }

    @Test func stream_jsonArrayIsOneArrayFlushedPerElement() throws {
        var request = sse()
        request.jsonArrayStream = true
        let r = reply([.text("Hello there!")], stop: .maxTokens)
        let events = GeminiCodec.events(r, request, meta)
        #expect(GeminiCodec.streamContentType(request) == "application/json; charset=UTF-8")
        #expect(events.first!.bytes.first == UInt8(ascii: "["))
        #expect(events.dropFirst().dropLast().allSatisfy { $0.bytes.starts(with: Array(",\r\n".utf8)) })
        #expect(events.last!.bytes == Array("]".utf8) && events.last!.tokens == 0)
        guard case .array(let all) = try JSONParser.parse(events.flatMap(\.bytes)) else { Issue.record("not an array"); return }
        #expect(all.count == events.count - 1)
        #expect(all.last?["candidates"].flatMap { if case .array(let a) = $0 { a.first?["finishReason"] } else { nil } } == .string("MAX_TOKENS"))
        #expect(events.reduce(0) { $0 + $1.tokens } == r.outputTokens)
    }

    @Test func stream_emptyReplyStillEndsWithAFinishChunk() throws {
        let events = GeminiCodec.events(reply([]), sse(), meta)
        #expect(events.count == 1 && events[0].tokens == 0)
        #expect(String(decoding: events[0].bytes, as: UTF8.self).contains(#""finishReason":"STOP""#))
    }

    @Test func streamError_sseAndArrayForms() throws {
        let error = GatewayError(.internalError, status: .init(code: 500), message: "Internal error")
        let json = #"{"error":{"code":500,"message":"Internal error","status":"INTERNAL"}}"#
        let r = reply([.text("Hi")])
        #expect(String(decoding: GeminiCodec.streamError(error, r, sse(), meta, sent: 2), as: UTF8.self) == "data: \(json)\r\n\r\n")
        var array = sse()
        array.jsonArrayStream = true
        #expect(String(decoding: GeminiCodec.streamError(error, r, array, meta, sent: 2), as: UTF8.self) == ",\r\n\(json)]")
        #expect(String(decoding: GeminiCodec.streamError(error, r, array, meta, sent: 0), as: UTF8.self) == "[\(json)]")
    }
}

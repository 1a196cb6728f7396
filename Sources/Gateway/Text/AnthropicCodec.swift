import HTTPCore

/// Anthropic Messages (`POST /v1/messages`): the JSON body and the named-event SSE stream.
/// Tool call ids render as `toolu_<token>`.
enum AnthropicCodec: TextCodec {
    static let bodyContentType = "application/json"

    static func streamContentType(_ request: ChatRequest) -> String { "text/event-stream; charset=utf-8" }

    // MARK: Body

    static func body(_ reply: Reply, _ request: ChatRequest, _ meta: ReplyMeta) -> [UInt8] {
        var w = JSONWriter(capacity: 512)
        w.objectStart()
        w.key("id"); w.string(meta.responseID)
        w.key("type"); w.string("message")
        w.key("role"); w.string("assistant")
        w.key("model"); w.string(reply.model)
        w.key("content"); w.arrayStart()
        for block in reply.blocks {
            w.objectStart()
            switch block {
            case .thinking(let text, let signature):
                w.key("type"); w.string("thinking")
                w.key("thinking"); w.string(text)
                w.key("signature"); w.string(signature)
            case .text(let text), .refusal(let text):
                w.key("type"); w.string("text")
                w.key("text"); w.string(text)
            case .toolCall(let id, let name, let arguments):
                w.key("type"); w.string("tool_use")
                w.key("id"); w.string("toolu_" + id)
                w.key("name"); w.string(name)
                w.key("input"); w.raw(inputJSON(arguments))
            }
            w.objectEnd()
        }
        w.arrayEnd()
        writeStop(&w, reply.stopReason)
        w.key("usage"); w.objectStart()
        w.key("input_tokens"); w.int(reply.uncachedInputTokens)
        w.key("output_tokens"); w.int(reply.outputTokens)
        writeCacheCounts(&w, reply.cache)
        if reply.thinkingTokens > 0 { w.key("thinking_tokens"); w.int(reply.thinkingTokens) }
        w.objectEnd()
        w.objectEnd()
        return w.bytes
    }

    /// `cache_creation_input_tokens` and `cache_read_input_tokens`, and with explicit caching
    /// the `cache_creation` split by lifetime.
    private static func writeCacheCounts(_ w: inout JSONWriter, _ cache: CacheUsage) {
        w.key("cache_creation_input_tokens"); w.int(cache.written)
        w.key("cache_read_input_tokens"); w.int(cache.read)
        guard cache.explicit else { return }
        w.key("cache_creation"); w.objectStart()
        w.key("ephemeral_5m_input_tokens"); w.int(cache.written5m)
        w.key("ephemeral_1h_input_tokens"); w.int(cache.written1h)
        w.objectEnd()
    }

    /// The tool input as a JSON object: the arguments verbatim when they are one, else `{}`.
    static func inputJSON(_ arguments: String) -> [UInt8] {
        let bytes = Array(arguments.utf8)
        if case .object? = try? JSONParser.parse(bytes) { return bytes }
        return Array("{}".utf8)
    }

    private static func writeStop(_ w: inout JSONWriter, _ reason: Reply.StopReason) {
        w.key("stop_reason")
        switch reason {
        case .endTurn: w.string("end_turn")
        case .maxTokens: w.string("max_tokens")
        case .toolUse: w.string("tool_use")
        case .refusal: w.string("refusal")
        case .stopSequence: w.string("stop_sequence")
        }
        w.key("stop_sequence")
        if case .stopSequence(let s) = reason { w.string(s) } else { w.null() }
    }

    // MARK: Stream

    static func events(_ reply: Reply, _ request: ChatRequest, _ meta: ReplyMeta) -> StreamEvents {
        var out = StreamEvents(reservingRuns: 8 + 5 * reply.blocks.count)
        func render(_ name: String, _ fill: (inout JSONWriter) -> Void) -> [UInt8] {
            SSE.jsonEvent(name, capacity: 192) { w in
                w.objectStart()
                w.key("type"); w.string(name)
                fill(&w)
                w.objectEnd()
            }
        }
        func emit(_ name: String, tokens: Int = 0, _ fill: (inout JSONWriter) -> Void) {
            out.append(StreamEvent(bytes: render(name, fill), tokens: tokens))
        }
        // The one-token deltas of a block differ only in their string: one template per block.
        func pieces(_ index: Int, _ type: String, _ field: String, of text: String) {
            var mark = 0
            let event = render("content_block_delta") { w in
                w.key("index"); w.int(index)
                w.key("delta"); w.objectStart()
                w.key("type"); w.string(type)
                w.key(escaping: field); mark = w.count; w.string("")
                w.objectEnd()
            }
            out.appendPieces(of: StreamEvent.Template(event: event, emptyStringAt: mark, text: text))
        }
        func delta(_ index: Int, _ type: String, _ field: String, _ value: some StringProtocol, tokens: Int) {
            emit("content_block_delta", tokens: tokens) { w in
                w.key("index"); w.int(index)
                w.key("delta"); w.objectStart()
                w.key("type"); w.string(type)
                w.key(escaping: field); w.string(value)
                w.objectEnd()
            }
        }

        emit("message_start") { w in
            w.key("message"); w.objectStart()
            w.key("id"); w.string(meta.responseID)
            w.key("type"); w.string("message")
            w.key("role"); w.string("assistant")
            w.key("model"); w.string(reply.model)
            w.key("content"); w.arrayStart(); w.arrayEnd()
            w.key("stop_reason"); w.null()
            w.key("stop_sequence"); w.null()
            w.key("usage"); w.objectStart()
            w.key("input_tokens"); w.int(reply.uncachedInputTokens)
            w.key("output_tokens"); w.int(1)
            writeCacheCounts(&w, reply.cache)
            w.objectEnd()
            w.objectEnd()
        }
        func ping() { emit("ping") { _ in } }
        if reply.blocks.isEmpty { ping() }

        for (index, block) in reply.blocks.enumerated() {
            emit("content_block_start") { w in
                w.key("index"); w.int(index)
                w.key("content_block"); w.objectStart()
                switch block {
                case .thinking:
                    w.key("type"); w.string("thinking")
                    w.key("thinking"); w.string("")
                    w.key("signature"); w.string("")
                case .text, .refusal:
                    w.key("type"); w.string("text")
                    w.key("text"); w.string("")
                case .toolCall(let id, let name, _):
                    w.key("type"); w.string("tool_use")
                    w.key("id"); w.string("toolu_" + id)
                    w.key("name"); w.string(name)
                    w.key("input"); w.objectStart(); w.objectEnd()
                }
                w.objectEnd()
            }
            if index == 0 { ping() }
            switch block {
            case .thinking(let text, let signature):
                pieces(index, "thinking_delta", "thinking", of: text)
                delta(index, "signature_delta", "signature", signature, tokens: 0)
            case .text(let text), .refusal(let text):
                pieces(index, "text_delta", "text", of: text)
            case .toolCall(_, _, let arguments):
                delta(index, "input_json_delta", "partial_json", "", tokens: 0)
                pieces(index, "input_json_delta", "partial_json", of: arguments)
            }
            emit("content_block_stop") { w in w.key("index"); w.int(index) }
        }

        emit("message_delta") { w in
            w.key("delta"); w.objectStart()
            writeStop(&w, reply.stopReason)
            w.objectEnd()
            w.key("usage"); w.objectStart()
            if reply.cache.explicit {
                w.key("input_tokens"); w.int(reply.uncachedInputTokens)
                writeCacheCounts(&w, reply.cache)
            }
            w.key("output_tokens"); w.int(reply.outputTokens)
            if reply.thinkingTokens > 0 { w.key("thinking_tokens"); w.int(reply.thinkingTokens) }
            w.objectEnd()
        }
        emit("message_stop") { _ in }
        return out
    }

    static func streamError(_ error: GatewayError, _ reply: Reply, _ request: ChatRequest, _ meta: ReplyMeta,
                            sent: Int) -> [UInt8] {
        var w = JSONWriter(capacity: 192)
        w.objectStart()
        w.key("type"); w.string("error")
        w.key("error"); w.objectStart()
        w.key("type"); w.string(error.typeName)
        w.key("message"); w.string(error.message)
        w.objectEnd()
        w.key("request_id"); w.string(meta.requestID)
        w.objectEnd()
        return SSE.event("error", data: w.bytes)
    }
}

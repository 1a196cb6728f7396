import HTTPCore

/// OpenAI Chat Completions (`POST /v1/chat/completions`): the JSON body and the data-only SSE
/// stream ending in `[DONE]`. Tool call ids render as `call_<token>`; thinking is carried as
/// DeepSeek's `reasoning_content`.
enum ChatCodec: TextCodec {
    static let bodyContentType = "application/json"

    static func streamContentType(_ request: ChatRequest) -> String { "text/event-stream; charset=utf-8" }

    // MARK: Body

    static func body(_ reply: Reply, _ request: ChatRequest, _ meta: ReplyMeta) -> [UInt8] {
        var texts: [String] = [], refusals: [String] = [], thinking: [String] = []
        var calls: [(id: String, name: String, arguments: String)] = []
        var only: String?  // the common reply: one text block (no array, no loop)
        if reply.blocks.count == 1, case .text(let t) = reply.blocks[0] {
            only = t
        } else {
            for block in reply.blocks {
                switch block {
                case .text(let t): texts.append(t)
                case .refusal(let t): refusals.append(t)
                case .thinking(let t, _): thinking.append(t)
                case .toolCall(let id, let name, let arguments): calls.append((id, name, arguments))
                }
            }
        }
        var w = JSONWriter(capacity: 1024)
        w.objectStart()
        w.key("id"); w.string(meta.responseID)
        w.key("object"); w.string("chat.completion")
        w.key("created"); w.int(meta.created)
        w.key("model"); w.string(reply.model)
        w.key("system_fingerprint"); w.null()
        w.key("choices"); w.arrayStart(); w.objectStart()
        w.key("index"); w.int(0)
        w.key("message"); w.objectStart()
        w.key("role"); w.string("assistant")
        w.key("content")
        if let only {
            w.string(only)
        } else if !texts.isEmpty || (calls.isEmpty && refusals.isEmpty) {
            w.string(texts.joined())
        } else {
            w.null()
        }
        w.key("refusal"); if refusals.isEmpty { w.null() } else { w.string(refusals.joined()) }
        w.key("annotations"); w.arrayStart(); w.arrayEnd()
        if !calls.isEmpty {
            w.key("tool_calls"); w.arrayStart()
            for call in calls {
                w.objectStart()
                w.key("id"); w.string("call_" + call.id)
                w.key("type"); w.string("function")
                w.key("function"); w.objectStart()
                w.key("name"); w.string(call.name)
                w.key("arguments"); w.string(call.arguments)
                w.objectEnd()
                w.objectEnd()
            }
            w.arrayEnd()
        }
        if !thinking.isEmpty { w.key("reasoning_content"); w.string(thinking.joined()) }
        w.objectEnd()
        w.key("logprobs")
        if request.logprobs {
            w.objectStart()
            w.key("content"); w.arrayStart()
            for t in only.map({ [$0] }) ?? texts { for piece in Tokens.pieces(t) { writeLogprob(&w, piece, top: request.topLogprobs) } }
            w.arrayEnd()
            w.key("refusal"); w.null()
            w.objectEnd()
        } else {
            w.null()
        }
        w.key("finish_reason"); w.string(finishReason(reply.stopReason))
        w.objectEnd(); w.arrayEnd()
        w.key("usage"); writeUsage(&w, reply)
        w.objectEnd()
        return w.bytes
    }

    static func finishReason(_ reason: Reply.StopReason) -> String {
        switch reason {
        case .endTurn, .stopSequence, .refusal: "stop"
        case .maxTokens: "length"
        case .toolUse: "tool_calls"
        }
    }

    private static func writeUsage(_ w: inout JSONWriter, _ reply: Reply) {
        let completion = reply.outputTokens + reply.thinkingTokens
        w.objectStart()
        w.key("prompt_tokens"); w.int(reply.inputTokens)
        w.key("completion_tokens"); w.int(completion)
        w.key("total_tokens"); w.int(reply.inputTokens + completion)
        w.key("prompt_tokens_details"); w.objectStart(); w.key("cached_tokens"); w.int(reply.cache.read); w.objectEnd()
        w.key("completion_tokens_details"); w.objectStart()
        w.key("reasoning_tokens"); w.int(reply.thinkingTokens)
        w.objectEnd()
        w.objectEnd()
    }

    // MARK: Logprobs

    /// Tokens offered as the runners-up in `top_logprobs`, in order, skipping the chosen one.
    private static let alternatives = [
        " the", ",", ".", " a", " and", " to", " of", " in", " is", "\n",
        " I", " it", " that", " for", " you", " with", " on", " be", ":", "s", " this",
    ]

    /// One `logprobs.content` entry for `piece`: a logprob derived from the piece's bytes
    /// (FNV-1a), so the same text always gets the same numbers: the chosen token between
    /// -0.001 and -0.2, each runner-up at least 1.0 below the one before.
    static func writeLogprob(_ w: inout JSONWriter, _ piece: Substring, top: Int) {
        let h = PartHash.fnv1a(piece.utf8)
        let chosen = 1_000 + Int(h % 199_000)
        let token = String(piece)
        func entry(_ t: String, _ micros: Int) {
            w.key("token"); w.string(t)
            w.key("logprob"); w.raw(Array(JSONWriter.format(Double(-micros) / 1_000_000).utf8))
            w.key("bytes"); w.arrayStart(); for b in t.utf8 { w.int(Int(b)) }; w.arrayEnd()
        }
        w.objectStart()
        entry(token, chosen)
        w.key("top_logprobs"); w.arrayStart()
        if top > 0 {
            w.objectStart(); entry(token, chosen); w.objectEnd()
            var k = 0
            for alt in alternatives where alt != token && k < top - 1 {
                k += 1
                w.objectStart()
                entry(alt, chosen + k * 1_500_000 + Int((h >> 24 &+ UInt64(k)) % 500_000))
                w.objectEnd()
            }
        }
        w.arrayEnd()
        w.objectEnd()
    }

    // MARK: Stream

    static func events(_ reply: Reply, _ request: ChatRequest, _ meta: ReplyMeta) -> StreamEvents {
        var out = StreamEvents(reservingRuns: 4 + 2 * reply.blocks.count)
        // Every chunk opens with the same members: encoded once.
        let header = JSONWriter.encodeMembers { writeChunkHeader(&$0, reply, meta) }
        let capacity = header.count + 160
        func render(finish: String? = nil, logprob piece: Substring? = nil, _ delta: (inout JSONWriter) -> Void) -> [UInt8] {
            SSE.jsonEvent(capacity: capacity) { w in
                w.objectStart()
                w.members(header)
                w.key("choices"); w.arrayStart(); w.objectStart()
                w.key("index"); w.int(0)
                w.key("delta"); w.objectStart(); delta(&w); w.objectEnd()
                w.key("logprobs")
                if let piece {
                    w.objectStart()
                    w.key("content"); w.arrayStart(); writeLogprob(&w, piece, top: request.topLogprobs); w.arrayEnd()
                    w.key("refusal"); w.null()
                    w.objectEnd()
                } else {
                    w.null()
                }
                w.key("finish_reason"); if let finish { w.string(finish) } else { w.null() }
                w.objectEnd(); w.arrayEnd()
                if request.includeUsage { w.key("usage"); w.null() }
                w.objectEnd()
            }
        }
        func chunk(tokens: Int = 0, finish: String? = nil, logprob piece: Substring? = nil,
                   _ delta: (inout JSONWriter) -> Void) {
            out.append(StreamEvent(bytes: render(finish: finish, logprob: piece, delta), tokens: tokens))
        }
        // The one-token chunks of a block differ only in their string: one template per block.
        func pieces(of text: String, _ delta: (inout JSONWriter, _ value: (inout JSONWriter) -> Void) -> Void) {
            var mark = 0
            let event = render { w in delta(&w) { w in mark = w.count; w.string("") } }
            out.appendPieces(of: StreamEvent.Template(event: event, emptyStringAt: mark, text: text))
        }

        // A reply that opens with a tool call carries the role in its first tool-call chunk
        // (`content: null`), as OpenAI streams it; any other reply opens with an empty content.
        let opensWithCall: Bool = if case .toolCall? = reply.blocks.first { true } else { false }
        if !opensWithCall {
            chunk { w in
                w.key("role"); w.string("assistant")
                w.key("content"); w.string("")
                w.key("refusal"); w.null()
            }
        }
        var callIndex = 0
        for block in reply.blocks {
            switch block {
            case .thinking(let text, _):
                pieces(of: text) { w, value in w.key("reasoning_content"); value(&w) }
            case .text(let text):
                if request.logprobs {
                    for p in Tokens.pieces(text) { chunk(tokens: 1, logprob: p) { w in w.key("content"); w.string(p) } }
                } else {
                    pieces(of: text) { w, value in w.key("content"); value(&w) }
                }
            case .refusal(let text):
                pieces(of: text) { w, value in w.key("refusal"); value(&w) }
            case .toolCall(let id, let name, let arguments):
                let index = callIndex
                callIndex += 1
                chunk { w in
                    if opensWithCall, index == 0 {
                        w.key("role"); w.string("assistant")
                        w.key("content"); w.null()
                    }
                    w.key("tool_calls"); w.arrayStart(); w.objectStart()
                    w.key("index"); w.int(index)
                    w.key("id"); w.string("call_" + id)
                    w.key("type"); w.string("function")
                    w.key("function"); w.objectStart()
                    w.key("name"); w.string(name)
                    w.key("arguments"); w.string("")
                    w.objectEnd()
                    w.objectEnd(); w.arrayEnd()
                }
                pieces(of: arguments) { w, value in
                    w.key("tool_calls"); w.arrayStart(); w.objectStart()
                    w.key("index"); w.int(index)
                    w.key("function"); w.objectStart(); w.key("arguments"); value(&w); w.objectEnd()
                    w.objectEnd(); w.arrayEnd()
                }
            }
        }
        chunk(finish: finishReason(reply.stopReason)) { _ in }

        if request.includeUsage {
            let event = SSE.jsonEvent(capacity: header.count + 320) { w in
                w.objectStart()
                w.members(header)
                w.key("choices"); w.arrayStart(); w.arrayEnd()
                w.key("usage"); writeUsage(&w, reply)
                w.objectEnd()
            }
            out.append(StreamEvent(bytes: event, tokens: 0))
        }
        out.append(StreamEvent(bytes: Array("data: [DONE]\n\n".utf8), tokens: 0))
        return out
    }

    private static func writeChunkHeader(_ w: inout JSONWriter, _ reply: Reply, _ meta: ReplyMeta) {
        w.key("id"); w.string(meta.responseID)
        w.key("object"); w.string("chat.completion.chunk")
        w.key("created"); w.int(meta.created)
        w.key("model"); w.string(reply.model)
        w.key("system_fingerprint"); w.null()
    }

    static func streamError(_ error: GatewayError, _ reply: Reply, _ request: ChatRequest, _ meta: ReplyMeta,
                            sent: Int) -> [UInt8] {
        var w = JSONWriter(capacity: 192)
        w.objectStart()
        w.key("error"); w.objectStart()
        w.key("message"); w.string(error.message)
        w.key("type"); w.string(error.typeName)
        w.key("param"); w.null()
        w.key("code"); if let c = error.code { w.string(c) } else { w.null() }
        w.objectEnd()
        w.objectEnd()
        return SSE.event(nil, data: w.bytes)
    }
}

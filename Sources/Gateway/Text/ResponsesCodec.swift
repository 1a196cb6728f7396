import HTTPCore

/// OpenAI Responses (`POST /v1/responses`): request decoding in `+Decode`, the event stream in
/// `+Stream`, and here the response object, which one function writes for the JSON body, for
/// `response.completed` and for the copy stored for `GET /v1/responses/{id}`, so all three are
/// byte-identical.
enum ResponsesCodec: TextCodec {
    static let bodyContentType = "application/json"

    static func streamContentType(_ request: ChatRequest) -> String { "text/event-stream; charset=utf-8" }

    static func body(_ reply: Reply, _ request: ChatRequest, _ meta: ReplyMeta) -> [UInt8] {
        var w = JSONWriter(capacity: 1024)
        writeResponse(&w, reply, request, meta, phase: .final)
        return w.bytes
    }

    /// Which state of the response object to write.
    enum Phase {
        /// `response.created` / `response.in_progress`: `in_progress`, no output, no usage.
        case inProgress
        /// `completed` or `incomplete`, with every output item and the usage.
        case final
        /// `response.failed`: the error, no output, no usage.
        case failed(GatewayError)
    }

    /// The response object (§3.2 field order), echoing the request's settings from `request.raw`.
    static func writeResponse(_ w: inout JSONWriter, _ reply: Reply, _ request: ChatRequest, _ meta: ReplyMeta,
                              phase: Phase) {
        let raw = request.raw
        let incomplete = reply.stopReason == .maxTokens
        w.objectStart()
        w.key("id"); w.string(meta.responseID)
        w.key("object"); w.string("response")
        w.key("created_at"); w.int(meta.created)
        w.key("status")
        switch phase {
        case .inProgress: w.string("in_progress")
        case .final: w.string(incomplete ? "incomplete" : "completed")
        case .failed: w.string("failed")
        }
        w.key("error")
        if case .failed(let error) = phase {
            w.objectStart()
            w.key("code"); w.string(failureCode(error))
            w.key("message"); w.string(error.message)
            w.objectEnd()
        } else {
            w.null()
        }
        w.key("incomplete_details")
        if case .final = phase, incomplete {
            w.objectStart(); w.key("reason"); w.string("max_output_tokens"); w.objectEnd()
        } else {
            w.null()
        }
        w.key("instructions"); echo(&w, raw["instructions"])
        w.key("max_output_tokens"); if let n = request.maxTokens { w.int(n) } else { w.null() }
        w.key("model"); w.string(reply.model)
        w.key("output"); w.arrayStart()
        if case .final = phase {
            for item in outputItems(reply, meta) { writeItem(&w, item, done: true, incomplete: incomplete) }
        }
        w.arrayEnd()
        w.key("parallel_tool_calls"); echo(&w, raw["parallel_tool_calls"], default: .bool(true))
        w.key("previous_response_id"); if let p = request.previousResponseID { w.string(p) } else { w.null() }
        w.key("reasoning"); w.objectStart()
        w.key("effort"); echo(&w, raw["reasoning"]?["effort"])
        w.key("summary"); echo(&w, raw["reasoning"]?["summary"])
        w.objectEnd()
        w.key("store"); w.bool(request.store)
        w.key("temperature"); number(&w, raw["temperature"], default: 1.0)
        w.key("text"); w.objectStart()
        w.key("format"); echo(&w, raw["text"]?["format"], default: .object(textFormat))
        w.objectEnd()
        w.key("tool_choice"); echo(&w, raw["tool_choice"], default: .string("auto"))
        w.key("tools"); echo(&w, raw["tools"], default: .array([]))
        w.key("top_p"); number(&w, raw["top_p"], default: 1.0)
        w.key("truncation"); echo(&w, raw["truncation"], default: .string("disabled"))
        w.key("usage")
        if case .final = phase {
            let output = reply.outputTokens + reply.thinkingTokens
            w.objectStart()
            w.key("input_tokens"); w.int(reply.inputTokens)
            w.key("input_tokens_details"); w.objectStart(); w.key("cached_tokens"); w.int(reply.cache.read); w.objectEnd()
            w.key("output_tokens"); w.int(output)
            w.key("output_tokens_details"); w.objectStart(); w.key("reasoning_tokens"); w.int(reply.thinkingTokens); w.objectEnd()
            w.key("total_tokens"); w.int(reply.inputTokens + output)
            w.objectEnd()
        } else {
            w.null()
        }
        w.key("user"); echo(&w, raw["user"])
        w.key("metadata"); echo(&w, raw["metadata"], default: .object(JSONObject()))
        w.objectEnd()
    }

    private static let textFormat: JSONObject = {
        var o = JSONObject()
        o.append("type", .string("text"))
        return o
    }()

    /// The client's value as sent, or `default` when absent or null.
    private static func echo(_ w: inout JSONWriter, _ v: JSONValue?, default d: JSONValue = .null) {
        if let v, v != .null { w.value(v) } else { w.value(d) }
    }

    /// A number always written as a double (`1` echoes as `1.0`, as OpenAI does).
    private static func number(_ w: inout JSONWriter, _ v: JSONValue?, default d: Double) {
        w.raw(Array(JSONWriter.format(v?.number ?? d).utf8))
    }

    // MARK: Output items

    /// One item of `output`, derived from the reply's blocks: a run of thinking blocks makes a
    /// reasoning item, a run of text and refusal blocks a message, each tool call its own item.
    struct OutputItem {
        enum Content {
            case text(String)
            case refusal(String)
        }

        enum Kind {
            case reasoning(summaries: [String])
            case message([Content])
            case functionCall(callID: String, name: String, arguments: String)
        }

        var id: String
        var kind: Kind
    }

    static func outputItems(_ reply: Reply, _ meta: ReplyMeta) -> [OutputItem] {
        var items: [OutputItem] = []
        func open(_ kind: OutputItem.Kind, prefix: String) {
            items.append(OutputItem(id: prefix + itemToken(meta, items.count), kind: kind))
        }
        for block in reply.blocks {
            switch block {
            case .thinking(let text, _):
                if case .reasoning(var s) = items.last?.kind {
                    s.append(text)
                    items[items.count - 1].kind = .reasoning(summaries: s)
                } else {
                    open(.reasoning(summaries: [text]), prefix: "rs_")
                }
            case .text, .refusal:
                let content: OutputItem.Content
                switch block {
                case .refusal(let r): content = .refusal(r)
                case .text(let t): content = .text(t)
                default: continue
                }
                if case .message(var c) = items.last?.kind {
                    c.append(content)
                    items[items.count - 1].kind = .message(c)
                } else {
                    open(.message([content]), prefix: "msg_")
                }
            case .toolCall(let id, let name, let arguments):
                items.append(OutputItem(id: "fc_" + id, kind: .functionCall(callID: "call_" + id, name: name, arguments: arguments)))
            }
        }
        return items
    }

    /// The id token of output item `index` (`token(0)` is the response id's).
    static func itemToken(_ meta: ReplyMeta, _ index: Int) -> String { meta.token(index + 1) }

    /// An output item as `output_item.added` (`done: false`: empty, `in_progress`) or as
    /// `output_item.done` and in the final response (`done: true`).
    static func writeItem(_ w: inout JSONWriter, _ item: OutputItem, done: Bool, incomplete: Bool) {
        w.objectStart()
        w.key("id"); w.string(item.id)
        switch item.kind {
        case .reasoning(let summaries):
            w.key("type"); w.string("reasoning")
            w.key("summary"); w.arrayStart()
            if done { for s in summaries { writeSummaryPart(&w, s) } }
            w.arrayEnd()
        case .message(let contents):
            w.key("type"); w.string("message")
            w.key("status"); w.string(done ? (incomplete ? "incomplete" : "completed") : "in_progress")
            w.key("role"); w.string("assistant")
            w.key("content"); w.arrayStart()
            if done { for c in contents { writeContentPart(&w, c) } }
            w.arrayEnd()
        case .functionCall(let callID, let name, let arguments):
            w.key("type"); w.string("function_call")
            w.key("status"); w.string(done ? "completed" : "in_progress")
            w.key("arguments"); w.string(done ? arguments : "")
            w.key("call_id"); w.string(callID)
            w.key("name"); w.string(name)
        }
        w.objectEnd()
    }

    static func writeSummaryPart(_ w: inout JSONWriter, _ text: String) {
        w.objectStart()
        w.key("type"); w.string("summary_text")
        w.key("text"); w.string(text)
        w.objectEnd()
    }

    static func writeContentPart(_ w: inout JSONWriter, _ content: OutputItem.Content) {
        w.objectStart()
        switch content {
        case .text(let t):
            w.key("type"); w.string("output_text")
            w.key("text"); w.string(t)
            w.key("annotations"); w.arrayStart(); w.arrayEnd()
            w.key("logprobs"); w.arrayStart(); w.arrayEnd()
        case .refusal(let r):
            w.key("type"); w.string("refusal")
            w.key("refusal"); w.string(r)
        }
        w.objectEnd()
    }
}

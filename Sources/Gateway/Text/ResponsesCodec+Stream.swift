import HTTPCore

/// The Responses event stream (protocols.md §3.3): `event:` + `data:` SSE with LF framing and a
/// gap-free `sequence_number`; the lifecycle events carry the response object of
/// `writeResponse`, the terminal one byte-equal to the JSON body.
extension ResponsesCodec {
    static func events(_ reply: Reply, _ request: ChatRequest, _ meta: ReplyMeta) -> StreamEvents {
        var s = EventSink()
        let incomplete = reply.stopReason == .maxTokens
        for type in ["response.created", "response.in_progress"] {
            s.emit(type) { w in
                w.key("response"); writeResponse(&w, reply, request, meta, phase: .inProgress)
            }
        }
        for (index, item) in outputItems(reply, meta).enumerated() {
            s.emit("response.output_item.added") { w in
                w.key("output_index"); w.int(index)
                w.key("item"); writeItem(&w, item, done: false, incomplete: incomplete)
            }
            switch item.kind {
            case .reasoning(let summaries):
                for (k, text) in summaries.enumerated() { s.summaryPart(text, item: item.id, output: index, summary: k) }
            case .message(let contents):
                for (k, content) in contents.enumerated() { s.contentPart(content, item: item.id, output: index, content: k) }
            case .functionCall(_, _, let arguments):
                for piece in Tokens.pieces(arguments) {
                    s.emit("response.function_call_arguments.delta", tokens: 1) { w in
                        address(&w, item: item.id, output: index)
                        w.key("delta"); w.string(String(piece))
                    }
                }
                s.emit("response.function_call_arguments.done") { w in
                    address(&w, item: item.id, output: index)
                    w.key("arguments"); w.string(arguments)
                }
            }
            s.emit("response.output_item.done") { w in
                w.key("output_index"); w.int(index)
                w.key("item"); writeItem(&w, item, done: true, incomplete: incomplete)
            }
        }
        s.emit(incomplete ? "response.incomplete" : "response.completed") { w in
            w.key("response"); writeResponse(&w, reply, request, meta, phase: .final)
        }
        return s.events
    }

    static func streamError(_ error: GatewayError, _ reply: Reply, _ request: ChatRequest, _ meta: ReplyMeta,
                            sent: Int) -> [UInt8] {
        var s = EventSink()
        s.sequence = sent
        s.emit("response.failed") { w in
            w.key("response"); writeResponse(&w, reply, request, meta, phase: .failed(error))
        }
        return s.events[0].bytes
    }

    private static func address(_ w: inout JSONWriter, item: String, output: Int) {
        w.key("item_id"); w.string(item)
        w.key("output_index"); w.int(output)
    }

    /// Collects framed events, numbering them.
    struct EventSink {
        var events = StreamEvents()
        var sequence = 0

        /// One event: `{"type":…,"sequence_number":…` then the members `fill` writes.
        mutating func emit(_ type: String, tokens: Int = 0, _ fill: (inout JSONWriter) -> Void) {
            let bytes = SSE.jsonEvent(type, capacity: 288) { w in
                w.objectStart()
                w.key("type"); w.string(type)
                w.key("sequence_number"); w.int(sequence)
                fill(&w)
                w.objectEnd()
            }
            events.append(StreamEvent(bytes: bytes, tokens: tokens))
            sequence += 1
        }

        mutating func summaryPart(_ text: String, item: String, output: Int, summary: Int) {
            func head(_ w: inout JSONWriter) {
                w.key("item_id"); w.string(item)
                w.key("output_index"); w.int(output)
                w.key("summary_index"); w.int(summary)
            }
            emit("response.reasoning_summary_part.added") { w in
                head(&w)
                w.key("part"); ResponsesCodec.writeSummaryPart(&w, "")
            }
            for piece in Tokens.pieces(text) {
                emit("response.reasoning_summary_text.delta", tokens: 1) { w in
                    head(&w)
                    w.key("delta"); w.string(String(piece))
                }
            }
            emit("response.reasoning_summary_text.done") { w in
                head(&w)
                w.key("text"); w.string(text)
            }
            emit("response.reasoning_summary_part.done") { w in
                head(&w)
                w.key("part"); ResponsesCodec.writeSummaryPart(&w, text)
            }
        }

        mutating func contentPart(_ content: OutputItem.Content, item: String, output: Int, content index: Int) {
            func head(_ w: inout JSONWriter) {
                w.key("item_id"); w.string(item)
                w.key("output_index"); w.int(output)
                w.key("content_index"); w.int(index)
            }
            let (text, isRefusal): (String, Bool) = switch content {
            case .text(let t): (t, false)
            case .refusal(let r): (r, true)
            }
            emit("response.content_part.added") { w in
                head(&w)
                w.key("part"); ResponsesCodec.writeContentPart(&w, isRefusal ? .refusal("") : .text(""))
            }
            for piece in Tokens.pieces(text) {
                emit(isRefusal ? "response.refusal.delta" : "response.output_text.delta", tokens: 1) { w in
                    head(&w)
                    w.key("delta"); w.string(String(piece))
                    if !isRefusal { w.key("logprobs"); w.arrayStart(); w.arrayEnd() }
                }
            }
            emit(isRefusal ? "response.refusal.done" : "response.output_text.done") { w in
                head(&w)
                if isRefusal {
                    w.key("refusal"); w.string(text)
                } else {
                    w.key("text"); w.string(text)
                    w.key("logprobs"); w.arrayStart(); w.arrayEnd()
                }
            }
            emit("response.content_part.done") { w in
                head(&w)
                w.key("part"); ResponsesCodec.writeContentPart(&w, content)
            }
        }
    }
}

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
                let fixed = DeltaBytes("response.function_call_arguments.delta", logprobs: false) { w in
                    address(&w, item: item.id, output: index)
                }
                for piece in Tokens.pieces(arguments) { s.delta(fixed, piece) }
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

    /// The bytes every delta event of one part shares, as ``EventSink/emit(_:tokens:_:)`` would
    /// write them: up to the sequence number, from it to the piece (the part's address members
    /// and `"delta":`), and after the piece.
    struct DeltaBytes {
        var prefix: [UInt8], middle: [UInt8], suffix: [UInt8]

        init(_ type: String, logprobs: Bool, _ head: (inout JSONWriter) -> Void) {
            var w = JSONWriter(capacity: 96)
            w.string(type)
            prefix = Array("event: \(type)\ndata: {\"type\":".utf8) + w.bytes + Array(",\"sequence_number\":".utf8)
            var m = JSONWriter(capacity: 128)
            m.objectStart()
            head(&m)
            m.key("delta")
            middle = [0x2C] + m.bytes.dropFirst()  // the members follow the sequence number
            suffix = Array((logprobs ? ",\"logprobs\":[]}\n\n" : "}\n\n").utf8)
        }
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

        /// One delta event (one token) carrying `piece`: byte for byte what `emit` writes for
        /// it, put together from the part's shared bytes instead of a JSON writer per event.
        mutating func delta(_ fixed: DeltaBytes, _ piece: Substring) {
            var piece = piece
            piece.withUTF8 { utf8 in
                var out: [UInt8] = []
                out.reserveCapacity(fixed.prefix.count + 20 + fixed.middle.count + JSONWriter.stringLength(utf8) + fixed.suffix.count)
                out += fixed.prefix
                withDecimalDigits(sequence) { out.append(contentsOf: $0) }
                out += fixed.middle
                JSONWriter.appendString(utf8, to: &out)
                out += fixed.suffix
                events.append(StreamEvent(bytes: out, tokens: 1))
            }
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
            let fixed = DeltaBytes("response.reasoning_summary_text.delta", logprobs: false, head)
            for piece in Tokens.pieces(text) { delta(fixed, piece) }
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
            let fixed = DeltaBytes(isRefusal ? "response.refusal.delta" : "response.output_text.delta",
                                   logprobs: !isRefusal, head)
            for piece in Tokens.pieces(text) { delta(fixed, piece) }
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

import HTTPCore

/// Gemini native (`:generateContent`, `:streamGenerateContent`): request decoding in
/// `+Decode`; here the `GenerateContentResponse` body, and the stream as SSE (`alt=sse`:
/// only `data: ` lines, CRLF framing) or as one JSON array flushed element by element.
enum GeminiCodec: TextCodec {
    static let bodyContentType = "application/json; charset=UTF-8"

    static func streamContentType(_ request: ChatRequest) -> String {
        request.jsonArrayStream ? "application/json; charset=UTF-8" : "text/event-stream"
    }

    static func body(_ reply: Reply, _ request: ChatRequest, _ meta: ReplyMeta) -> [UInt8] {
        let parts = reply.blocks.map(Part.init)
        return response(reply, meta, parts: parts, final: true)
    }

    // MARK: Stream

    static func events(_ reply: Reply, _ request: ChatRequest, _ meta: ReplyMeta) -> StreamEvents {
        // One chunk per piece of text or thinking; a function call travels whole in one chunk.
        // The chunks of a block's pieces differ only in their text, except the stream's first
        // (its framing, in the array form) and last (`finishReason`, the full usage): the
        // pieces between are cut from one template per block.
        enum Unit {
            case pieces(text: String, bytes: [UInt8], bounds: [UInt32], thought: Bool)
            case call(Part, tokens: Int)
            var count: Int { if case .pieces(_, _, let b, _) = self { b.count - 1 } else { 1 } }
        }
        var units: [Unit] = []
        for block in reply.blocks {
            switch block {
            case .thinking(let text, _), .text(let text), .refusal(let text):
                let bytes = Array(text.utf8)
                let thought: Bool = if case .thinking = block { true } else { false }
                units.append(.pieces(text: text, bytes: bytes, bounds: bytes.withUnsafeBufferPointer { Tokens.bounds($0) }, thought: thought))
            case .toolCall(_, let name, let arguments):
                units.append(.call(.call(name: name, arguments: arguments), tokens: Tokens.pieces(arguments).count))
            }
        }
        var n = units.reduce(0) { $0 + $1.count }
        if n == 0 {
            units = [.call(.text("", thought: false), tokens: 0)]
            n = 1
        }

        var events = StreamEvents(reservingRuns: 4 + 3 * units.count)
        var g = 0  // the chunk's place in the stream
        func whole(_ part: Part, tokens: Int) {
            let json = response(reply, meta, parts: [part], final: g == n - 1)
            events.append(StreamEvent(bytes: frame(json, request, first: g == 0), tokens: tokens))
            g += 1
        }
        for unit in units {
            switch unit {
            case .call(let part, let tokens):
                whole(part, tokens: tokens)
            case .pieces(let text, let bytes, let bounds, let thought):
                let k = bounds.count - 1
                func piece(_ j: Int) -> Part { .text(String(decoding: bytes[Int(bounds[j])..<Int(bounds[j + 1])], as: UTF8.self), thought: thought) }
                var j = 0
                if j < k, g == 0 { whole(piece(j), tokens: 1); j += 1 }
                let middle = min(k - j, n - 1 - g)
                if middle > 0 {
                    let event = frame(response(reply, meta, parts: [.text("", thought: thought)], final: false), request, first: false)
                    let mark = Self.emptyTextOffset(event)
                    events.appendPieces(of: StreamEvent.Template(event: event, emptyStringAt: mark, text: text),
                                        bounds: Array(bounds[j...(j + middle)]))
                    g += middle
                    j += middle
                }
                while j < k { whole(piece(j), tokens: 1); j += 1 }
            }
        }
        if request.jsonArrayStream { events.append(StreamEvent(bytes: [0x5D], tokens: 0)) }

        let total = reply.outputTokens + reply.thinkingTokens
        let sum = events.reduce(0) { $0 + $1.tokens }
        if sum != total {
            // The last content chunk (a whole one: it carries the final usage) absorbs any
            // difference between the pieces and the reply's count.
            events.addTokens(total - sum, toEventAt: n - 1)
        }
        return events
    }

    /// Where the empty text of a rendered one-part chunk (`"parts":[{"text":""`) has its `""`.
    private static func emptyTextOffset(_ event: [UInt8]) -> Int {
        let pattern = Array(#""parts":[{"text":"""#.utf8)
        // A plain scan: the generic `firstRange(of:)` cost 90,000 instructions per stream here.
        let at = event.withUnsafeBufferPointer { e in pattern.withUnsafeBufferPointer { byteOffset(of: $0, in: e) } }
        guard let at else { preconditionFailure("a text chunk without its text part") }
        return at + pattern.count - 2
    }

    static func streamError(_ error: GatewayError, _ reply: Reply, _ request: ChatRequest, _ meta: ReplyMeta,
                            sent: Int) -> [UInt8] {
        let json = Surface.gemini.errorBody(error, requestID: meta.requestID)
        guard request.jsonArrayStream else { return frame(json, request, first: false) }
        return frame(json, request, first: sent == 0) + [0x5D]
    }

    /// SSE: `data: <json>\r\n\r\n`. Array: `[<json>` first, then `,\r\n<json>`.
    private static func frame(_ json: [UInt8], _ request: ChatRequest, first: Bool) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(json.count + 8)
        if request.jsonArrayStream {
            out += first ? [0x5B] : [0x2C, 0x0D, 0x0A]
            out += json
        } else {
            out += Array("data: ".utf8)
            out += json
            out += [0x0D, 0x0A, 0x0D, 0x0A]
        }
        return out
    }

    // MARK: Response object

    enum Part {
        case text(String, thought: Bool)
        case call(name: String, arguments: String)

        init(_ block: Reply.Block) {
            switch block {
            case .thinking(let text, _): self = .text(text, thought: true)
            case .text(let text), .refusal(let text): self = .text(text, thought: false)
            case .toolCall(_, let name, let arguments): self = .call(name: name, arguments: arguments)
            }
        }
    }

    static func finishReason(_ reply: Reply) -> String {
        switch reply.stopReason {
        case .maxTokens: "MAX_TOKENS"
        case .refusal: "SAFETY"
        case .endTurn, .toolUse, .stopSequence: "STOP"
        }
    }

    /// A `GenerateContentResponse` holding `parts`. `final` adds `finishReason` and the full
    /// usage; otherwise the usage holds only the prompt.
    static func response(_ reply: Reply, _ meta: ReplyMeta, parts: [Part], final: Bool) -> [UInt8] {
        var w = JSONWriter(capacity: 512)
        w.objectStart()
        w.key("candidates"); w.arrayStart(); w.objectStart()
        w.key("content"); w.objectStart()
        w.key("parts"); w.arrayStart()
        for part in parts { write(&w, part) }
        w.arrayEnd()
        w.key("role"); w.string("model")
        w.objectEnd()
        if final { w.key("finishReason"); w.string(finishReason(reply)) }
        w.key("index"); w.int(0)
        w.objectEnd(); w.arrayEnd()
        w.key("usageMetadata"); w.objectStart()
        w.key("promptTokenCount"); w.int(reply.inputTokens)
        if reply.cache.read > 0 {
            w.key("cachedContentTokenCount"); w.int(reply.cache.read)
            w.key("cacheTokensDetails"); w.arrayStart(); w.objectStart()
            w.key("modality"); w.string("TEXT")
            w.key("tokenCount"); w.int(reply.cache.read)
            w.objectEnd(); w.arrayEnd()
        }
        if final {
            w.key("candidatesTokenCount"); w.int(reply.outputTokens)
            w.key("totalTokenCount"); w.int(reply.inputTokens + reply.outputTokens + reply.thinkingTokens)
            if reply.thinkingTokens > 0 { w.key("thoughtsTokenCount"); w.int(reply.thinkingTokens) }
            w.key("promptTokensDetails"); w.arrayStart(); w.objectStart()
            w.key("modality"); w.string("TEXT")
            w.key("tokenCount"); w.int(reply.inputTokens)
            w.objectEnd(); w.arrayEnd()
        } else {
            w.key("totalTokenCount"); w.int(reply.inputTokens)
        }
        w.objectEnd()
        w.key("modelVersion"); w.string(reply.model)
        w.key("responseId"); w.string(meta.responseID)
        w.objectEnd()
        return w.bytes
    }

    private static func write(_ w: inout JSONWriter, _ part: Part) {
        w.objectStart()
        switch part {
        case .text(let text, let thought):
            w.key("text"); w.string(text)
            if thought { w.key("thought"); w.bool(true) }
        case .call(let name, let arguments):
            w.key("functionCall"); w.objectStart()
            w.key("name"); w.string(name)
            w.key("args")
            // `args` is a Struct: the arguments as an object, `{}` if they are not one.
            if case .object(let o)? = try? JSONParser.parse(Array(arguments.utf8)) {
                w.value(.object(o))
            } else {
                w.objectStart(); w.objectEnd()
            }
            w.objectEnd()
        }
        w.objectEnd()
    }
}

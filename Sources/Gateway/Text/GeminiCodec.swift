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
        var units: [(part: Part, tokens: Int)] = []
        for block in reply.blocks {
            switch block {
            case .thinking(let text, _):
                for piece in Tokens.pieces(text) { units.append((.text(String(piece), thought: true), 1)) }
            case .text(let text), .refusal(let text):
                for piece in Tokens.pieces(text) { units.append((.text(String(piece), thought: false), 1)) }
            case .toolCall(_, let name, let arguments):
                units.append((.call(name: name, arguments: arguments), Tokens.pieces(arguments).count))
            }
        }
        if units.isEmpty { units.append((.text("", thought: false), 0)) }

        var events = StreamEvents(reservingRuns: units.count + 1)
        for (i, unit) in units.enumerated() {
            let json = response(reply, meta, parts: [unit.part], final: i == units.count - 1)
            events.append(StreamEvent(bytes: frame(json, request, first: i == 0), tokens: unit.tokens))
        }
        if request.jsonArrayStream { events.append(StreamEvent(bytes: [0x5D], tokens: 0)) }

        let total = reply.outputTokens + reply.thinkingTokens
        let sum = events.reduce(0) { $0 + $1.tokens }
        if sum != total {
            // The last content chunk absorbs any difference between the pieces and the reply's count.
            let last = units.count - 1
            events.addTokens(total - sum, toEventAt: last)
        }
        return events
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

import HTTPCore

/// A reply in neutral form: one value drives both the JSON body and the event stream of every
/// surface, so streamed and non-streamed answers carry the same text and token counts.
struct Reply: Sendable {
    enum Block: Sendable, Equatable {
        /// Reasoning shown before the answer; `signature` is the opaque proof Anthropic clients echo.
        case thinking(text: String, signature: String)
        case text(String)
        /// `arguments` is compact JSON text, as OpenAI carries it.
        case toolCall(id: String, name: String, arguments: String)
        case refusal(String)
    }

    enum StopReason: Sendable, Equatable {
        case endTurn, maxTokens, toolUse, refusal
        case stopSequence(String)
    }

    /// The model's canonical id (what bodies report in `model`).
    var model: String
    var blocks: [Block]
    var stopReason: StopReason
    var inputTokens: Int
    /// Tokens of text, refusal and tool-call arguments.
    var outputTokens: Int
    var thinkingTokens: Int
    /// Pacing for the stream of this reply.
    var pacing: Pacing
    /// When set, the stream breaks with this in-band error after `errorAfterEvents` events.
    var streamError: GatewayError?
    var errorAfterEvents = 0

    var usage: Usage { Usage(inputTokens: inputTokens, outputTokens: outputTokens, thinkingTokens: thinkingTokens) }

    /// All visible text, concatenated.
    var text: String {
        blocks.map { if case .text(let t) = $0 { t } else { "" } }.joined()
    }

    /// Output tokens (text, refusals, tool arguments) and thinking tokens of `blocks`.
    static func tokenCounts(_ blocks: [Block]) -> (output: Int, thinking: Int) {
        var out = 0, thinking = 0
        for b in blocks {
            switch b {
            case .thinking(let t, _): thinking += Tokens.count(t)
            case .text(let t), .refusal(let t): out += Tokens.count(t)
            case .toolCall(_, _, let a): out += Tokens.count(a)
            }
        }
        return (out, thinking)
    }

}

/// Stream timing: a delay before the first event and a token rate after it (0 = as fast as
/// the socket takes them).
struct Pacing: Sendable, Equatable {
    var firstTokenMillis = 0
    var tokensPerSecond = 0.0

    static let fast = Pacing()

    /// Delay before an event that carries `tokens` output tokens.
    func delay(forTokens tokens: Int) -> Duration {
        guard tokensPerSecond > 0, tokens > 0 else { return .zero }
        return .microseconds(Int64(Double(tokens) / tokensPerSecond * 1_000_000))
    }
}

/// Per-response identity and time every encoder needs, fixed before encoding so the body,
/// every stream event and a stored copy agree.
struct ReplyMeta: Sendable {
    /// `msg_…`, `chatcmpl-…`, `resp_…` or a Gemini response id.
    var responseID: String
    /// Unix seconds on the gateway clock.
    var created: Int
    var requestID: String
    /// A seed for ids derived inside the reply (tool call ids, item ids).
    var seed: UInt64
}

/// One event of an encoded stream: its bytes (already framed as SSE or as a JSON-array
/// element) and how many output tokens have been sent once it is written.
///
/// The events that carry a piece of text (most of a stream) are kept as a shared ``Template``
/// and the piece, and rendered straight into the connection's output when written: no buffer
/// per event, however long the stream.
struct StreamEvent: Sendable {
    /// The bytes of an event around one JSON string value: everything before its opening quote
    /// and everything after its closing quote. Shared by the events of one shape.
    struct Template: Sendable {
        let prefix: [UInt8]
        let suffix: [UInt8]

        /// Splits a rendered event whose string value is the empty string `""` at `offset`.
        init(event: [UInt8], emptyStringAt offset: Int) {
            precondition(event[offset] == 0x22 && event[offset + 1] == 0x22, "no empty string at the offset")
            prefix = Array(event[..<offset])
            suffix = Array(event[(offset + 2)...])
        }
    }

    private enum Form: Sendable {
        case bytes([UInt8])
        case text(Template, Substring)
    }

    private var form: Form
    /// Output tokens (text, tool arguments and thinking) carried by this event alone.
    var tokens: Int

    init(bytes: [UInt8], tokens: Int) {
        form = .bytes(bytes)
        self.tokens = tokens
    }

    /// The template's event with `text` as its string value.
    init(_ template: Template, text: Substring, tokens: Int) {
        form = .text(template, text)
        self.tokens = tokens
    }

    /// The event's length in bytes.
    var count: Int {
        switch form {
        case .bytes(let b): return b.count
        case .text(let t, var text):
            return t.prefix.count + text.withUTF8 { JSONWriter.stringLength($0) } + t.suffix.count
        }
    }

    /// Appends the event's bytes (``count`` of them).
    func render(into out: inout [UInt8]) {
        switch form {
        case .bytes(let b): out.append(contentsOf: b)
        case .text(let t, var text):
            out.append(contentsOf: t.prefix)
            text.withUTF8 { JSONWriter.appendString($0, to: &out) }
            out.append(contentsOf: t.suffix)
        }
    }

    /// The event's bytes.
    var bytes: [UInt8] {
        if case .bytes(let b) = form { return b }
        var out: [UInt8] = []
        out.reserveCapacity(count)
        render(into: &out)
        return out
    }
}

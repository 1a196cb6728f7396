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

    /// What the prompt cache read and wrote of the `inputTokens` (``CacheRules``); set by the
    /// pipeline before the reply is encoded.
    var cache = CacheUsage.none

    /// Input tokens billed at the plain input rate: the prompt less what the cache read or wrote.
    var uncachedInputTokens: Int { max(0, inputTokens - cache.read - cache.written) }

    var usage: Usage {
        Usage(inputTokens: uncachedInputTokens, outputTokens: outputTokens, thinkingTokens: thinkingTokens,
              cacheReadTokens: cache.read, cacheWriteTokens: cache.written)
    }

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
        .microseconds(Self.delayMicros(tokens: tokens, tokensPerSecond: tokensPerSecond))
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
    /// The bytes of an event around one JSON string value (everything before its opening quote
    /// and everything after its closing quote), and the text its events take their pieces from.
    /// Shared by the events of one shape and one block: each event is then 32 bytes.
    final class Template: Sendable {
        let prefix: [UInt8]
        let suffix: [UInt8]
        let text: String

        /// Splits a rendered event whose string value is the empty string `""` at `offset`;
        /// events made from it carry pieces of `text`.
        init(event: [UInt8], emptyStringAt offset: Int, text: String) {
            precondition(event[offset] == 0x22 && event[offset + 1] == 0x22, "no empty string at the offset")
            prefix = Array(event[..<offset])
            suffix = Array(event[(offset + 2)...])
            self.text = text
        }
    }

    private enum Form: Sendable {
        case bytes([UInt8])
        /// The template's event with the UTF-8 bytes `start..<end` of its text as the string.
        case piece(Template, start: UInt32, end: UInt32)
    }

    private var form: Form
    /// Output tokens (text, tool arguments and thinking) carried by this event alone.
    var tokens: Int

    init(bytes: [UInt8], tokens: Int) {
        form = .bytes(bytes)
        self.tokens = tokens
    }

    /// The template's event with `piece` (a slice of the template's text) as its string value.
    init(_ template: Template, piece: Substring, tokens: Int) {
        let utf8 = template.text.utf8
        let start = utf8.distance(from: utf8.startIndex, to: piece.utf8.startIndex)
        form = .piece(template, start: UInt32(start), end: UInt32(start + piece.utf8.count))
        self.tokens = tokens
    }

    /// Calls `body` with the piece's UTF-8 bytes.
    private static func withPiece<R>(_ t: Template, _ start: UInt32, _ end: UInt32,
                                     _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let r = t.text.utf8.withContiguousStorageIfAvailable({ body(UnsafeBufferPointer(rebasing: $0[Int(start)..<Int(end)])) }) {
            return r
        }
        var copy = t.text
        return copy.withUTF8 { body(UnsafeBufferPointer(rebasing: $0[Int(start)..<Int(end)])) }
    }

    /// The same event from its parts (``parts``), as ``PackedEvents`` rebuilds it.
    init(_ template: Template, start: UInt32, end: UInt32) {
        form = .piece(template, start: start, end: end)
        tokens = 0
    }

    /// The event as a template and the UTF-8 range of its text, or its own bytes.
    var parts: (template: Template, start: UInt32, end: UInt32)? {
        if case .piece(let t, let start, let end) = form { return (t, start, end) }
        return nil
    }

    /// Heap bytes this event keeps of its own (a template is shared, so it is not counted).
    var storedBytes: Int {
        if case .bytes(let b) = form { return b.count }
        return 0
    }

    /// The event's length in bytes.
    var count: Int {
        switch form {
        case .bytes(let b): return b.count
        case .piece(let t, let start, let end):
            return t.prefix.count + Self.withPiece(t, start, end) { JSONWriter.stringLength($0) } + t.suffix.count
        }
    }

    /// Appends the event's bytes (``count`` of them).
    func render(into out: inout [UInt8]) {
        switch form {
        case .bytes(let b): out.append(contentsOf: b)
        case .piece(let t, let start, let end):
            out.append(contentsOf: t.prefix)
            Self.withPiece(t, start, end) { JSONWriter.appendString($0, to: &out) }
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

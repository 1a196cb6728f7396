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

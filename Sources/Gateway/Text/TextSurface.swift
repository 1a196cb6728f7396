import HTTPCore

/// The four text protocols. Raw values are the catalog's `protocols` names, also used by reply
/// rules (`"surface": "chat"`).
enum TextSurface: String, Sendable, CaseIterable {
    case messages, chat, responses, gemini

    var codec: any TextCodec.Type {
        switch self {
        case .messages: AnthropicCodec.self
        case .chat: ChatCodec.self
        case .responses: ResponsesCodec.self
        case .gemini: GeminiCodec.self
        }
    }

    /// Which error envelope this protocol speaks.
    var envelope: Surface {
        switch self {
        case .messages: .anthropic
        case .chat, .responses: .openAI
        case .gemini: .gemini
        }
    }

    /// The protocol's own name for the output cap, for 400s.
    var maxTokensParam: String {
        switch self {
        case .messages: "max_tokens"
        case .chat: "max_tokens"
        case .responses: "max_output_tokens"
        case .gemini: "generationConfig.maxOutputTokens"
        }
    }

    var streamParam: String { self == .gemini ? "alt" : "stream" }

    /// The response id for `token` (`msg_…`, `chatcmpl-…`, `resp_…`, Gemini's bare id).
    func responseID(_ token: String) -> String {
        switch self {
        case .messages: "msg_01" + token
        case .chat: "chatcmpl-" + token
        case .responses: "resp_" + token
        case .gemini: token
        }
    }

    /// Readable protocol name for messages.
    var title: String {
        switch self {
        case .messages: "Anthropic Messages (/v1/messages)"
        case .chat: "OpenAI Chat Completions (/v1/chat/completions)"
        case .responses: "OpenAI Responses (/v1/responses)"
        case .gemini: "Gemini (/v1beta/models/{model}:generateContent)"
        }
    }
}

import HTTPCore

/// A text request in neutral form: what every surface's decoder produces and the reply engine
/// and validator consume. Surfaces keep their own wire details out of it.
struct ChatRequest: Sendable {
    /// The model exactly as the client named it (an id, an alias, or an unknown name).
    var model: String
    /// System (and developer) instructions, joined with blank lines; nil when none.
    var system: String?
    var messages: [ChatMessage] = []
    var tools: [ToolSpec] = []
    var toolChoice: ToolChoice = .auto
    /// False when the client asked for one call at most (OpenAI `parallel_tool_calls: false`,
    /// Anthropic `tool_choice.disable_parallel_tool_use: true`).
    var parallelToolCalls = true
    /// The client's output cap, if it set one.
    var maxTokens: Int?
    var stopSequences: [String] = []
    var responseFormat: ResponseFormat = .text
    var stream = false
    /// Chat Completions `stream_options.include_usage`.
    var includeUsage = false
    /// Gemini `:streamGenerateContent` without `alt=sse`: one JSON array flushed element by element.
    var jsonArrayStream = false
    /// Extended thinking or reasoning asked for (Anthropic `thinking`, OpenAI `reasoning(_effort)`,
    /// Gemini `thinkingConfig`); nil when not asked.
    var thinking: ThinkingSetting?
    /// Chat Completions `logprobs` / `top_logprobs`.
    var logprobs = false
    var topLogprobs = 0
    /// `n` (Chat Completions) / `candidateCount` (Gemini); only 1 is served.
    var choices = 1
    /// Responses: `previous_response_id` and `store`; `instructions` go to `system`.
    var previousResponseID: String?
    var store = true
    /// Anthropic `cache_control` breakpoints, in prompt order (see ``CacheRules``).
    var cacheBreakpoints: [CacheBreakpoint] = []
    /// Where each capability-bearing feature appeared, in this protocol's own parameter names
    /// (`"tools"`, `"messages[0].content[1]"`, `"response_format"`), for provider-exact 400s.
    var featureParams: [Feature: String] = [:]
    /// The request as the client sent it (for Responses echo fields such as `metadata`,
    /// `temperature`, `tools`).
    var raw = JSONObject()

    /// Capabilities a request can need from its model.
    enum Feature: String, Sendable, CaseIterable {
        case vision, tools, jsonSchema, logprobs, thinking
    }

    /// The text of the last user turn (text parts only), or "" when there is none.
    var lastUserText: String {
        for m in messages.reversed() where m.role == .user {
            if m.parts.count == 1, case .text(let t) = m.parts[0] { return t }  // the common case, no array
            let texts = m.parts.compactMap { if case .text(let t) = $0 { t } else { nil } }
            if !texts.isEmpty { return texts.joined(separator: "\n") }
        }
        return ""
    }

    /// Whether the conversation's last message carries a tool result.
    var endsWithToolResult: Bool {
        guard let last = messages.last else { return false }
        return last.parts.contains { if case .toolResult = $0 { true } else { false } }
    }

    /// The tool results of the last message, in order, each with its tool's name: the part's own,
    /// else the name of the latest earlier call with the same id (Responses outputs carry only the
    /// id), else nil. Empty when the conversation does not end with a tool result.
    var trailingToolResults: [(name: String?, content: String, isError: Bool)] {
        guard let last = messages.last else { return [] }
        var calls: [String: String]?  // built once, only when a result lacks its name
        var out: [(name: String?, content: String, isError: Bool)] = []
        for case .toolResult(let id, let name, let content, let isError) in last.parts {
            if let name { out.append((name, content, isError)); continue }
            if calls == nil {
                var map: [String: String] = [:]
                for m in messages where m.role == .assistant {
                    for case .toolCall(let callID, let callName, _) in m.parts where !callID.isEmpty { map[callID] = callName }
                }
                calls = map
            }
            out.append((calls?[id], content, isError))
        }
        return out
    }
}

struct ChatMessage: Sendable, Equatable {
    enum Role: String, Sendable { case user, assistant }
    var role: Role
    var parts: [ChatPart]
}

/// One piece of a message. Tool results travel in user messages (Anthropic style).
enum ChatPart: Sendable, Equatable {
    case text(String)
    case image(mediaType: String)
    case toolCall(id: String, name: String, arguments: String)
    case toolResult(id: String, name: String?, content: String, isError: Bool)
    case thinking(String)
}

struct ToolSpec: Sendable, Equatable {
    var name: String
    var description: String
    /// The JSON Schema of the arguments, compact-encoded ("{}" when absent).
    var schema: [UInt8]
}

/// Which tools the reply may or must call. A forcing choice (`required`, `named`, `oneOf`) is
/// honoured in every state of the conversation, after a tool result too, as the providers do.
///
/// Concurrency: a Sendable value.
enum ToolChoice: Sendable, Equatable {
    case auto, none
    /// Must call some tool (Anthropic `any`, OpenAI `required`, Gemini `ANY`).
    case required
    case named(String)
    /// Must call one of these tools (Gemini `ANY` with several `allowedFunctionNames`, OpenAI
    /// `allowed_tools` in `required` mode).
    case oneOf([String])

    /// Whether the reply has to be a tool call.
    var forcesCall: Bool {
        switch self {
        case .auto, .none: false
        case .required, .named, .oneOf: true
        }
    }
}

enum ResponseFormat: Sendable, Equatable {
    case text, jsonObject
    case jsonSchema(name: String, schema: [UInt8])
    /// Gemini `responseMimeType: text/x.enum`: the reply is one member of the schema's `enum`, bare.
    case enumText(schema: [UInt8])
}

struct ThinkingSetting: Sendable, Equatable {
    /// A budget in tokens when the protocol gives one (Anthropic, Gemini).
    var budget: Int?
    /// `low` / `medium` / `high` when the protocol speaks in efforts (OpenAI).
    var effort: String?
}

/// Anthropic's request fields: the Messages API and count_tokens, including the beta fields the
/// `anthropic` SDK's `client.beta.messages` sends to the same routes (`betas` travels as the
/// `anthropic-beta` header, not in the body). Anthropic validates every object strictly; the
/// mock checks the top level and the small fixed objects below.
extension RequestFields {
    /// The first top-level fields of both endpoints (listed first in the docs).
    private static let anthropicLead: [Field] = [
        .honoured("model", "catalog model id or alias"),
        .honoured("messages", "the conversation; drives the reply and the input tokens"),
    ]

    /// The rest of the top level `/v1/messages` shares with `/v1/messages/count_tokens`.
    private static let anthropicCommon: [Field] = [
        .honoured("system", "string or text blocks; counted as input"),
        .honoured("tools", "tool definitions; a tool call answers with arguments built from `input_schema`"),
        .honoured("tool_choice", "`auto`, `any`, `tool`, `none`"),
        .honoured("thinking", "`enabled` (with `budget_tokens`), `adaptive`, `disabled`; needs the `thinking` capability"),
        .honoured("output_config", "`format`: a JSON schema the reply follows (needs `json_schema`); `effort` ignored"),
        .honoured("cache_control", "a breakpoint on the last block (prompt caching, models with `cache_control`)"),
        .ignored("context_management"), .ignored("mcp_servers"), .ignored("speed"),
        .ignored("user_profile_id"), .ignored("workspace_id"), .ignored("billing_policy"), .ignored("compaction"),
    ]

    /// `metadata`, `thinking` and `tool_choice`: small objects whose members are fixed.
    private static let anthropicNested: [Object] = [
        Object("metadata", [.ignored("user_id", "checked to be a string")]),
        Object("thinking", [.honoured("type"), .honoured("budget_tokens", "at least 1024 and below `max_tokens`"),
                            .ignored("display")]),
        Object("tool_choice", [.honoured("type"), .honoured("name"), .honoured("disable_parallel_tool_use", "one tool call per reply")]),
        Object("messages[]", [.honoured("role"), .honoured("content")]),
    ]

    /// `POST /v1/messages`.
    static let messages = RequestFields(
        title: "Anthropic Messages", routes: "`POST /v1/messages`", dialect: .anthropic,
        objects: [Object("", anthropicLead + [
            .honoured("max_tokens", "required; caps the reply, 400 above the model's output limit"),
            .honoured("stream", "server-sent events"),
            .honoured("stop_sequences", "the reply stops at the first one it would contain"),
            .ignored("metadata", "`user_id` only"),
            .ignored("temperature", "0 to 1"), .ignored("top_p", "0 to 1"), .ignored("top_k", "0 or more"),
            .ignored("service_tier"), .ignored("container"), .ignored("inference_geo"), .ignored("diagnostics"),
            .honoured("output_format", "beta structured outputs, as `output_config.format`"), .ignored("fallbacks"), .ignored("fallback_credit_token"),
            .ignored("thread"),
        ] + anthropicCommon)] + anthropicNested)

    /// `POST /v1/messages/count_tokens`: the Messages body without the generation fields
    /// (`max_tokens`, `stream`, `stop_sequences`, sampling), as Anthropic defines it.
    static let countTokens = RequestFields(
        title: "Anthropic count_tokens", routes: "`POST /v1/messages/count_tokens`", dialect: .anthropic,
        objects: [Object("", anthropicLead + anthropicCommon)] + anthropicNested.filter { $0.path != "metadata" })
}

/// OpenAI's request fields: Chat Completions and Responses, as the `openai` SDK's create
/// parameters define them. OpenAI rejects unknown top-level arguments and unknown members of the
/// option objects listed here.
extension RequestFields {
    /// `POST /v1/chat/completions`.
    static let chat = RequestFields(
        title: "OpenAI Chat Completions", routes: "`POST /v1/chat/completions`", dialect: .chat,
        objects: [
            Object("", [
                .honoured("model", "catalog model id or alias"),
                .honoured("messages", "the conversation; drives the reply and the input tokens"),
                .honoured("max_completion_tokens", "caps the reply"), .honoured("max_tokens", "legacy cap, same effect"),
                .honoured("stream", "server-sent events ending in `[DONE]`"),
                .honoured("stream_options", "`include_usage` adds the usage chunk"),
                .honoured("stop", "up to 4 sequences"),
                .honoured("n", "1 only (400 otherwise)"),
                .honoured("tools", "function and custom tools"),
                .honoured("tool_choice", "`none`, `auto`, `required` or a named function"),
                .honoured("response_format", "`text`, `json_object`, `json_schema`"),
                .honoured("logprobs", "needs the `logprobs` capability"), .honoured("top_logprobs", "0 to 20"),
                .honoured("reasoning_effort", "needs the `thinking` capability"),
                .ignored("temperature", "0 to 2"), .ignored("top_p", "0 to 1"),
                .ignored("frequency_penalty", "-2 to 2"), .ignored("presence_penalty", "-2 to 2"),
                .ignored("seed"), .ignored("user"), .ignored("metadata", "string values"),
                .ignored("logit_bias", "-100 to 100"), .ignored("store"), .ignored("service_tier"),
                .honoured("parallel_tool_calls", "`false`: one tool call per reply"), .ignored("modalities"), .ignored("prediction"), .ignored("audio"),
                .ignored("web_search_options"), .ignored("verbosity"), .ignored("prompt_cache_key", "the cache is per account"),
                .honoured("prompt_cache_retention", "`24h` keeps cached prefixes a day"),
                .honoured("prompt_cache_options", "`ttl`"), .ignored("safety_identifier"),
                .ignored("moderation"), .ignored("functions", "deprecated"), .ignored("function_call", "deprecated"),
            ]),
            Object("stream_options", [.honoured("include_usage"), .ignored("include_obfuscation")]),
        ])

    /// `POST /v1/responses`.
    static let responses = RequestFields(
        title: "OpenAI Responses", routes: "`POST /v1/responses`", dialect: .responses,
        objects: [
            Object("", [
                .honoured("model", "catalog model id or alias"),
                .honoured("input", "a string or input items"),
                .honoured("instructions", "counted as input"),
                .honoured("max_output_tokens", "caps the reply"),
                .honoured("stream", "server-sent events"),
                .honoured("tools", "function tools; built-in tools are accepted and not served"),
                .honoured("tool_choice", "`none`, `auto`, `required`, a function or `allowed_tools`"),
                .honoured("text", "`format`: `text`, `json_object`, `json_schema`"),
                .honoured("reasoning", "`effort`; needs the `thinking` capability"),
                .honoured("previous_response_id", "continues a stored response"),
                .honoured("store", "keeps the response for `GET /v1/responses/{id}`"),
                .ignored("temperature", "0 to 2"), .ignored("top_p", "0 to 1"), .ignored("metadata", "string values"),
                .honoured("parallel_tool_calls", "`false`: one tool call per reply"), .ignored("user"),
                .ignored("truncation"), .ignored("include"),
                .ignored("top_logprobs", "0 to 20"), .ignored("max_tool_calls"), .ignored("service_tier"),
                .ignored("background"), .ignored("background_options"),
                .ignored("prompt_cache_key", "the cache is per account"),
                .honoured("prompt_cache_retention", "`24h` keeps cached prefixes a day"),
                .honoured("prompt_cache_options", "`ttl`"), .ignored("safety_identifier"),
                .ignored("stream_options"), .ignored("prompt"), .ignored("conversation"), .ignored("context_management"),
                .ignored("moderation"), .ignored("access_programs"), .ignored("image"),
            ]),
            Object("reasoning", [.honoured("effort"), .ignored("summary"), .ignored("generate_summary"),
                                 .ignored("mode"), .ignored("context")]),
            Object("text", [.honoured("format"), .ignored("verbosity")]),
            Object("stream_options", [.ignored("include_obfuscation")]),
        ])
}

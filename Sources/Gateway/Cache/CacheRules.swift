import HTTPCore

/// Which requests the prompt cache serves, per protocol, and how each protocol counts:
///
/// - **Messages** (explicit): only models with the `cache_control` capability, and only at the
///   request's `cache_control` breakpoints. A prefix shorter than ``explicitMinimum`` tokens is
///   not cached. Reads and writes are reported (`cache_read_input_tokens`,
///   `cache_creation_input_tokens` with its 5-minute / 1-hour split) and billed at the model's
///   `cache_read` and `cache_write` rates; `input_tokens` is what is left.
/// - **Chat Completions and Responses** (implicit, as OpenAI caches): every model without the
///   `cache_control` capability, for prompts of ``implicitMinimum`` tokens or more. The cached
///   count is the longest repeated prefix rounded down to 1,024 plus a multiple of
///   ``openAIIncrement``; it is part of the prompt count and bills at `cache_read`. Writing
///   costs nothing. Entries live ``implicitLifetime`` after their last use, or 24 hours with
///   `prompt_cache_retention: "24h"` (30 minutes with `prompt_cache_options.ttl: "30m"`).
/// - **Gemini** (implicit): the same models and minimum, the exact repeated prefix
///   (`cachedContentTokenCount`), the same lifetime.
///
/// Models with `cache_control` cache only where a breakpoint can be written (Messages), so a
/// Claude model called through the other protocols never caches, as no breakpoint can be
/// expressed there.
///
/// Stateless; the state is the ``PromptCache`` passed in.
enum CacheRules {
    static let explicitMinimum = 1024
    static let implicitMinimum = 1024
    static let openAIIncrement = 128
    static let implicitLifetimeMillis = 5 * 60 * 1000
    static let extendedLifetimeMillis = 24 * 3600 * 1000
    static let optionsLifetimeMillis = 30 * 60 * 1000

    /// The cache counts of `request` (already decoded, `inputTokens` long) on `surface` by
    /// `model`, looked up and stored in `cache` for `scope` at `now` (virtual milliseconds).
    static func usage(_ request: ChatRequest, inputTokens: Int, surface: TextSurface, model: CatalogModel,
                      cache: PromptCache, scope: PromptCache.Scope, now: Int) -> CacheUsage {
        let explicitModel = model.has("cache_control")
        switch surface {
        case .messages:
            guard explicitModel, !request.cacheBreakpoints.isEmpty else { return .none }
            let prefix = PromptPrefix(request, seed: seed("anthropic", model), breakpoints: request.cacheBreakpoints)
            var usage = cache.explicit(prefix, scope: scope, now: now, minimum: explicitMinimum)
            // The cuts' counts and the request's input count agree; the clamp only guards the sum.
            usage.read = min(usage.read, inputTokens)
            usage.written5m = min(usage.written5m, inputTokens - usage.read)
            usage.written1h = min(usage.written1h, inputTokens - usage.read - usage.written5m)
            return usage
        case .chat, .responses, .gemini:
            guard !explicitModel, inputTokens >= implicitMinimum else { return .none }
            let family = surface == .gemini ? "gemini" : "openai"
            let prefix = PromptPrefix(request, seed: seed(family, model), from: implicitMinimum)
            let lifetime = surface == .gemini ? implicitLifetimeMillis : openAILifetime(request.raw)
            let matched = min(cache.implicit(prefix, scope: scope, now: now, lifetime: lifetime), inputTokens)
            guard matched >= implicitMinimum else { return .none }
            if surface == .gemini { return CacheUsage(read: matched) }
            return CacheUsage(read: implicitMinimum + (matched - implicitMinimum) / openAIIncrement * openAIIncrement)
        }
    }

    /// The lifetime an OpenAI request asks for: 24 hours with `prompt_cache_retention: "24h"`,
    /// 30 minutes with `prompt_cache_options.ttl: "30m"`, else the in-memory default.
    static func openAILifetime(_ raw: JSONObject) -> Int {
        if case .string("24h")? = raw["prompt_cache_retention"] { return extendedLifetimeMillis }
        if case .object(let options)? = raw["prompt_cache_options"], case .string("30m")? = options["ttl"] {
            return optionsLifetimeMillis
        }
        return implicitLifetimeMillis
    }

    /// The hash seed of a cache family and model: entries never cross models or families.
    private static func seed(_ family: String, _ model: CatalogModel) -> UInt64 {
        ReplyEngine.hash(0x5043_4143_4845, family, model.id)
    }
}

/// The shapes of the five fixture files, field by field: what the loader checks first and what
/// `Fixtures/schema/*.schema.json` are rendered from (``FixtureSchema/all``). Defaults and
/// ranges in the docs strings are the ones the gateway applies.
///
/// Concurrency: immutable static values.
enum FixtureSchema {
    /// Each file name with its top-level object, in documentation order.
    static let all: [(file: String, object: FixtureObject)] = [
        ("catalog.json", catalog), ("keys.json", keys), ("replies.json", replies), ("faults.json", faults), ("media.json", media),
    ]

    static func object(forFile name: String) -> FixtureObject? { all.first { $0.file == name }?.object }

    static let usd = FixtureShape.number(min: 0, max: 999_999_999_999)
    static let timestamp = FixtureShape.string(format: "date-time")
    static let mode = FixtureField.optional("mode", .string(values: ["extend", "replace"], format: "mode"),
        "extend (default): entries merge with the built-in file by id, later winning; replace: the built-in entries of this file are dropped.")
    static let schemaLink = FixtureField.optional("$schema", .string(),
        "Where an editor finds this file's JSON Schema; the loader ignores it.")

    // MARK: catalog.json

    static let pricing = FixtureObject("pricing", [
        .optional("input", usd, "USD per million input tokens (text models)."),
        .optional("output", usd, "USD per million output tokens."),
        .optional("cache_read", usd, "USD per million cached input tokens read."),
        .optional("cache_write", usd, "USD per million input tokens written to the cache."),
        .optional("per_image", usd, "USD per generated image (image models)."),
        .optional("per_video_second", usd, "USD per second of generated video (video models)."),
    ])

    static let model = FixtureObject("model", [
        .required("id", .string(format: "slug"), "Canonical model id: no spaces, slashes, '?', '#' or '%'."),
        .optional("object", .string(), "The list item's object name (default \"model\")."),
        .required("owned_by", .string(), "Lowercase provider name, e.g. anthropic, openai, google."),
        .required("family", .string(), "Lowercase family name, e.g. claude, gpt, gemini."),
        .required("kind", .string(values: ["text", "image", "video"], format: "model kind"), "What the model generates."),
        .required("capabilities", .array(.string(values: CatalogModel.knownCapabilities.sorted(), format: "capability tag")),
                  "Capability tags; every model carries 'text'. Requests needing a tag the model lacks get a 400."),
        .required("context_window", .integer(0...Int.max), "Input token limit."),
        .required("max_output_tokens", .integer(0...Int.max), "Output token cap."),
        .required("input_modalities", .array(.string(values: CatalogModel.knownModalities.sorted(), format: "modality")), "Accepted input kinds."),
        .required("output_modalities", .array(.string(values: CatalogModel.knownModalities.sorted(), format: "modality")), "Produced output kinds."),
        .optional("pricing_url", .string(), "Default https://bytespike.ai/pricing#<id>."),
        .required("created", .integer(GatewayClock.range), "Unix seconds (years 1970 to 9999)."),
        .optional("protocols", .array(.string(values: CatalogModel.knownProtocols.sorted(), format: "protocol")),
                  "Text surfaces that accept the model (default: all four for text models, none otherwise)."),
        .optional("aliases", .array(.string(format: "slug")), "Other names that resolve to this model."),
        .optional("pricing", .object(pricing), "Prices in USD; absent prices are 0."),
    ])

    static let retired = FixtureObject("retired model", [
        .required("id", .string(format: "slug"), "A slug that used to exist; requests naming it get 400 unsupported_model."),
        .optional("replacement", .string(), "A catalog model the error message suggests."),
    ])

    static let catalog = FixtureObject("catalog.json", [
        schemaLink, mode,
        .optional("models", .array(.object(model)), "The models; merged with the built-in catalog by id."),
        .optional("retired", .array(.object(retired)), "Retired slugs."),
    ])

    // MARK: keys.json

    static let group = FixtureObject("routing group", [
        .required("id", .integer(), "Numeric id, unique."),
        .required("name", .string(format: "slug"), "The name keys refer to in their 'group'."),
        .optional("description", .string(), "Shown by /api/v1/groups/available."),
        .required("models", .array(.string()), "At least one glob over model ids ('claude-*', '*')."),
    ])

    static let account = FixtureObject("account", [
        .required("id", .string(), "Unique id keys refer to in their 'account'."),
        .required("kind", .string(values: ["personal", "org"], format: "account kind"), "A person's wallet or an organisation's."),
        .required("name", .string(), "Display name."),
        .optional("email", .string(), "Contact address (default empty)."),
        .optional("status", .string(values: ["active", "paused"], format: "status"), "Default active; a paused account's keys get 403."),
        .optional("tier", .string(), "free (default, concurrency 5), pro (25), max (100) or enterprise (500); any other tier needs 'concurrency'."),
        .required("balance", usd, "Wallet balance in USD; requests get 402 insufficient_balance at 0."),
        .optional("lifetime_topup", usd, "USD ever topped up (default 0)."),
        .optional("low_balance_threshold", usd, "USD below which the balance counts as low (default 0)."),
        .optional("concurrency", .integer(1...Int.max),
                  "In-flight requests across all the account's keys; more get 429 concurrency_limit. Default: the tier's."),
        .optional("created", timestamp, "RFC 3339 creation time."),
    ])

    static let key = FixtureObject("key", [
        .required("id", .string(), "Unique key id."),
        .required("name", .string(), "Display name."),
        .required("secret", .string(format: "secret"), "The API key clients send: at least 8 characters, no spaces or commas, unique."),
        .required("group", .string(), "Name of a routing group."),
        .required("account", .string(), "Id of the account whose wallet pays."),
        .optional("quota", usd, "Lifetime spend cap in USD (0 or absent: unlimited); beyond it 402 quota_exceeded."),
        .optional("rate_limit_5h", usd, "USD per rolling 5 hours (0: unlimited); beyond it 429 rate_limit_5h."),
        .optional("rate_limit_1d", usd, "USD per rolling day (0: unlimited)."),
        .optional("rate_limit_7d", usd, "USD per rolling 7 days (0: unlimited)."),
        .optional("expires_at", timestamp, "RFC 3339 expiry; null or absent: never."),
        .optional("revoked", .bool, "A revoked key gets 401 (default false)."),
        .optional("ip_whitelist", .array(.string(format: "cidr")), "Addresses or CIDR networks allowed (empty: all)."),
        .optional("ip_blacklist", .array(.string(format: "cidr")), "Addresses or CIDR networks refused."),
        .optional("admin", .bool, "Role admin: may use the key-management endpoints (default false: member)."),
        .optional("created", timestamp, "RFC 3339 creation time."),
    ])

    static let transaction = FixtureObject("transaction", [
        .required("id", .integer(1...999_999_999_999), "Unique numeric id."),
        .required("account", .string(), "Id of the account."),
        .required("created", timestamp, "RFC 3339 time."),
        .required("kind", .string(values: WalletTransaction.Kind.allCases.map(\.rawValue), format: "transaction kind"), "What moved the money."),
        .required("amount", .number(min: -999_999_999_999, max: 999_999_999_999), "USD, negative for a debit, at most 6 decimals."),
        .optional("source", .map(.string()), "Free-form string attributes (payment method, invoice)."),
        .optional("note", .string(), "Free text."),
    ])

    static let keys = FixtureObject("keys.json", [
        schemaLink, mode,
        .optional("groups", .array(.object(group)), "Routing groups, merged by name."),
        .optional("accounts", .array(.object(account)), "Wallets, merged by id."),
        .optional("keys", .array(.object(key)), "API keys, merged by id."),
        .optional("transactions", .array(.object(transaction)), "Past wallet movements (appended; replaced with mode replace)."),
    ])
}

/// What the prompt cache did for one request, in tokens of its prompt: the part read from the
/// cache and the part written to it (explicit caching only), by lifetime.
///
/// A value; each request computes its own once, before its reply is encoded, so the body, every
/// stream event and the ledger row report the same numbers.
struct CacheUsage: Sendable, Equatable {
    /// Prompt tokens served from the cache (billed at the model's `cache_read` rate).
    var read = 0
    /// Prompt tokens written with the 5-minute lifetime (billed at the `cache_write` rate).
    var written5m = 0
    /// Prompt tokens written with the 1-hour lifetime (billed at the `cache_write` rate too:
    /// the catalog has one write price).
    var written1h = 0
    /// Whether the request carried `cache_control` breakpoints its model honours; Anthropic
    /// bodies then carry the `cache_creation` breakdown and the stream's final usage repeats the
    /// cache counts.
    var explicit = false

    static let none = CacheUsage()

    /// Every token written, whatever its lifetime.
    var written: Int { written5m + written1h }
}

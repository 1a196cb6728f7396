import Synchronization

/// The simulated prompt cache: which prompt prefixes each account (and `X-Mock-Session`) has
/// cached, on the gateway's virtual clock.
///
/// Two ways in, one per provider style: ``explicit(_:scope:now:minimum:)`` for Anthropic
/// `cache_control` breakpoints (entries are written at breakpoints only; a lookup checks each
/// breakpoint and the 19 cuts before it) and ``implicit(_:scope:now:lifetime:)`` for the
/// automatic caches of OpenAI and Gemini (every cut past the minimum is looked up; the request's
/// cuts are stored). Both look up and store in one step under the lock, so two requests never
/// see half of each other's writes.
///
/// Budget: at most ``entriesPerScope`` prefixes per account and session and ``maxScopes``
/// account-session pairs; past either, expired entries go first, then the least recently used.
/// Nothing depends on wall time or on dictionary order, so the same requests on the same clock
/// give the same counts.
///
/// Concurrency: Sendable through one Mutex.
final class PromptCache: Sendable {
    /// Whose cache: an account, split by `X-Mock-Session` so parallel tests stay apart.
    struct Scope: Sendable, Hashable {
        var account: String
        var session: String
    }

    static let entriesPerScope = 512
    static let maxScopes = 256
    /// How many cuts before a breakpoint an explicit lookup checks besides the breakpoint itself.
    static let lookback = 19
    /// How many of a request's own cuts an implicit cache stores (the longest ones).
    static let implicitWrites = 16
    /// Use stamps per lookup: every entry a lookup touches gets a stamp of its own (the read
    /// first, then the writes, shortest first), so the least recently used entry is always one.
    private static let stampsPerUse = 64

    private struct State {
        var buckets: [Scope: CacheBucket] = [:]
        var use = 0
    }

    private let state = Mutex(State())
    let entriesPerScope: Int
    let maxScopes: Int

    init(entriesPerScope: Int = PromptCache.entriesPerScope, maxScopes: Int = PromptCache.maxScopes) {
        self.entriesPerScope = max(1, entriesPerScope)
        self.maxScopes = max(1, maxScopes)
    }

    /// Anthropic-style caching of `prefix` (its breakpoints are the cuts with a lifetime) for
    /// `scope` at `now` (virtual milliseconds). Reads the longest live prefix that ends at a
    /// breakpoint or up to ``lookback`` cuts before one, and writes every breakpoint of at
    /// least `minimum` tokens past it; the tokens between the read and the last 1-hour
    /// breakpoint are 1-hour writes, the rest up to the last breakpoint 5-minute writes.
    func explicit(_ prefix: PromptPrefix, scope: Scope, now: Int, minimum: Int) -> CacheUsage {
        let cuts = prefix.cuts
        let breaks = cuts.indices.filter { cuts[$0].ttl != nil }
        var usage = CacheUsage(explicit: true)
        guard !breaks.isEmpty else { return usage }
        state.withLock { s in
            s.use += 1
            let use = s.use * Self.stampsPerUse
            withBucket(scope, now: now, &s) { bucket in
                var hit: Int?
                for b in breaks {
                    for k in stride(from: b, through: max(0, b - Self.lookback), by: -1)
                    where cuts[k].tokens >= minimum && bucket.contains(cuts[k].hash, now: now) {
                        hit = max(hit ?? k, k)
                        break
                    }
                }
                if let hit {
                    usage.read = cuts[hit].tokens
                    bucket.refresh(cuts[hit].hash, now: now, use: use)
                }
                var end5m = 0, end1h = 0
                for (n, b) in breaks.enumerated() where cuts[b].tokens >= minimum && cuts[b].tokens > usage.read {
                    let ttl = cuts[b].ttl ?? .fiveMinutes
                    bucket.store(cuts[b].hash, lifetime: ttl.millis, now: now, use: use + 1 + n)
                    if ttl == .oneHour { end1h = max(end1h, cuts[b].tokens) } else { end5m = max(end5m, cuts[b].tokens) }
                }
                usage.written1h = max(0, end1h - usage.read)
                usage.written5m = max(0, end5m - max(usage.read, end1h))
            }
        }
        return usage
    }

    /// Automatic caching of `prefix` (built from its minimum, so every cut counts) for `scope`
    /// at `now`: the tokens of the longest live cut, which is refreshed; then the request's
    /// longest ``implicitWrites`` cuts past it are stored for `lifetime` milliseconds.
    func implicit(_ prefix: PromptPrefix, scope: Scope, now: Int, lifetime: Int) -> Int {
        let cuts = prefix.cuts
        guard !cuts.isEmpty else { return 0 }
        return state.withLock { s in
            s.use += 1
            let use = s.use * Self.stampsPerUse
            var matched = 0
            withBucket(scope, now: now, &s) { bucket in
                let hit = cuts.indices.last { bucket.contains(cuts[$0].hash, now: now) }
                if let hit {
                    matched = cuts[hit].tokens
                    bucket.refresh(cuts[hit].hash, now: now, use: use)
                }
                let first = max((hit ?? -1) + 1, cuts.count - Self.implicitWrites)
                for k in first..<cuts.count { bucket.store(cuts[k].hash, lifetime: lifetime, now: now, use: use + 1 + k - first) }
            }
            return matched
        }
    }

    /// Runs `body` on `scope`'s bucket, making one when there is none; when ``maxScopes``
    /// buckets exist, the least recently used one whose entries have all expired goes, or else
    /// the least recently used one.
    private func withBucket(_ scope: Scope, now: Int, _ s: inout State, _ body: (inout CacheBucket) -> Void) {
        if s.buckets[scope] == nil, s.buckets.count >= maxScopes {
            let byUse: ((key: Scope, value: CacheBucket), (key: Scope, value: CacheBucket)) -> Bool = { $0.value.lastUse < $1.value.lastUse }
            let victim = s.buckets.filter { $0.value.isDead(now: now) }.min(by: byUse) ?? s.buckets.min(by: byUse)
            if let victim { s.buckets[victim.key] = nil }
        }
        var bucket = s.buckets.removeValue(forKey: scope) ?? CacheBucket(capacity: entriesPerScope)
        body(&bucket)
        bucket.lastUse = s.use * Self.stampsPerUse
        s.buckets[scope] = bucket
    }

    /// Forgets every prefix, or only those of `session` (all accounts).
    func reset(session: String? = nil) {
        state.withLock { s in
            if let session { s.buckets = s.buckets.filter { $0.key.session != session } } else { s = State() }
        }
    }

    /// Prefixes held now (live or not yet evicted), over every scope.
    var count: Int { state.withLock { s in s.buckets.values.reduce(0) { $0 + $1.count } } }
}

/// The cached prefixes of one account and session: prefix hash → lifetime, bounded.
///
/// An entry lives until `expires` (virtual-clock milliseconds); a hit moves that to "now plus
/// the entry's lifetime", as a cache read does at the providers. When the bucket is full, a new
/// entry first drops the expired ones, then the least recently used (by ``PromptCache``'s use
/// counter, so eviction is deterministic).
///
/// Concurrency: a value; ``PromptCache``'s lock guards it.
struct CacheBucket: Sendable {
    struct Entry: Sendable, Equatable {
        var expires: Int
        var lifetime: Int
        var lastUse: Int
    }

    private(set) var entries: [UInt64: Entry] = [:]
    /// The use counter's value at this bucket's last lookup or store.
    var lastUse = 0
    let capacity: Int

    init(capacity: Int) { self.capacity = max(1, capacity) }

    var count: Int { entries.count }

    /// Whether `hash` is cached and alive at `now`, without touching it.
    func contains(_ hash: UInt64, now: Int) -> Bool {
        guard let e = entries[hash] else { return false }
        return now < e.expires
    }

    /// Marks a live entry as read: its lifetime starts again at `now`.
    mutating func refresh(_ hash: UInt64, now: Int, use: Int) {
        guard var e = entries[hash], now < e.expires else { return }
        e.expires = GatewayClock.clamped(now, plus: e.lifetime)
        e.lastUse = use
        entries[hash] = e
    }

    /// Caches `hash` for `lifetime` milliseconds from `now`; an entry already there keeps the
    /// longer of its lifetime and the new one.
    mutating func store(_ hash: UInt64, lifetime: Int, now: Int, use: Int) {
        let expires = GatewayClock.clamped(now, plus: lifetime)
        if var e = entries[hash], now < e.expires {
            e.lifetime = max(e.lifetime, lifetime)
            e.expires = max(e.expires, expires)
            e.lastUse = use
            entries[hash] = e
            return
        }
        if entries.count >= capacity { evict(now: now) }
        entries[hash] = Entry(expires: expires, lifetime: lifetime, lastUse: use)
    }

    /// Makes room for one entry: the expired go first; if none had expired, the least recently used.
    private mutating func evict(now: Int) {
        let before = entries.count
        entries = entries.filter { now < $0.value.expires }
        guard entries.count == before, let oldest = entries.min(by: { $0.value.lastUse < $1.value.lastUse }) else { return }
        entries[oldest.key] = nil
    }

    /// Whether nothing in the bucket is alive at `now`.
    func isDead(now: Int) -> Bool { entries.values.allSatisfy { now >= $0.expires } }
}

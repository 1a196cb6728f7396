import Synchronization

/// The encoded `/v1/models` bodies: one per routing group for the unfiltered list (built at
/// start-up), and filtered lists built on first use and cached.
///
/// A filtered body is cached twice over: under the normalized filter (so `family=OpenAI&capability=vision`
/// and `capability=vision&family=openai` share one encode) and under the raw query string as the
/// client sent it, so a repeated request costs one hash lookup, like the unfiltered list: no
/// query parsing, percent-decoding or sorting.
///
/// Budget: at most ``maxCached`` entries (raw and normalized keys together) and ``maxCachedBytes``
/// bytes (key plus body bytes per entry, counted per entry though the two entries of one filter
/// share their body's storage); when either would be passed the cache is emptied and refills on
/// demand (a miss only costs an encode). So a client sending ever-new query strings costs at most
/// that much memory.
///
/// Invalidation: the cache belongs to one ``FixtureView``; a fixture reload builds a new view,
/// so bodies never outlive the catalog and routing groups they were encoded from. Key changes
/// (created, revoked, moved to another group) need nothing: bodies are per routing group, not per key.
///
/// Filters: `capability` (repeatable, all must match), `family` (repeatable, any may match;
/// a provider name matched against `owned_by`, or a family name such as `claude`). Values are
/// case-insensitive; an unknown value matches nothing. Other parameters are ignored.
///
/// Concurrency: Sendable; the catalog and unfiltered bodies are immutable, the filtered bodies sit
/// behind a Mutex held only for a lookup or an insert (never while encoding).
final class ModelListCache: Sendable {
    private let catalog: Catalog
    private let unfiltered: [String: [UInt8]]
    private let filtered = Mutex<(bodies: [Key: [UInt8]], bytes: Int)>(([:], 0))
    static let maxCached = 512
    static let maxCachedBytes = 4 << 20

    /// A cache key: the raw query string as sent, or the normalized filter.
    private struct Key: Hashable {
        var normalized: Bool
        var group: String
        var filter: String
        var bytes: Int { group.utf8.count + filter.utf8.count }
    }

    init(catalog: Catalog) {
        self.catalog = catalog
        var u: [String: [UInt8]] = [:]
        for (i, g) in catalog.groups.enumerated() { u[g.name] = catalog.encodeList(catalog.membersByGroup[i]) }
        unfiltered = u
    }

    func body(group: String, query: String?) -> [UInt8] {
        guard let query, !query.isEmpty else { return unfiltered[group] ?? normalizedBody(group: group, query: nil) }
        let raw = Key(normalized: false, group: group, filter: query)
        if let hit = filtered.withLock({ $0.bodies[raw] }) { return hit }
        let body = normalizedBody(group: group, query: query)
        insert(raw, body)
        return body
    }

    /// The body for the filter `query` means, from the normalized-key cache or encoded now.
    private func normalizedBody(group: String, query: String?) -> [UInt8] {
        let q = Query(query)
        let caps = q.values("capability").map { $0.lowercased() }
        let fams = q.values("family").map { $0.lowercased() }
        if caps.isEmpty, fams.isEmpty, let body = unfiltered[group] { return body }
        let key = Key(normalized: true, group: group,
                      filter: Set(caps).sorted().joined(separator: ",") + "|" + Set(fams).sorted().joined(separator: ","))
        if let hit = filtered.withLock({ $0.bodies[key] }) { return hit }
        let members = catalog.groupIndex(named: group).map { catalog.membersByGroup[$0] } ?? []
        let chosen = members.filter { i in
            let m = catalog.models[i]
            return caps.allSatisfy { m.has($0) } && (fams.isEmpty || fams.contains { $0 == m.ownedBy || $0 == m.family })
        }
        let body = catalog.encodeList(chosen)
        insert(key, body)
        return body
    }

    private func insert(_ key: Key, _ body: [UInt8]) {
        let cost = body.count + key.bytes
        filtered.withLock { c in
            guard c.bodies[key] == nil else { return }
            if c.bodies.count >= Self.maxCached || c.bytes + cost > Self.maxCachedBytes {
                c = ([:], 0)
            }
            c.bodies[key] = body
            c.bytes += cost
        }
    }

    /// Filtered bodies cached (raw and normalized entries) and their bytes.
    var cached: (count: Int, bytes: Int) { filtered.withLock { ($0.bodies.count, $0.bytes) } }
}

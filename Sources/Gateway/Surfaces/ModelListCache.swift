import Synchronization

/// The encoded `/v1/models` bodies: one per routing group for the unfiltered list (built at
/// start-up), and filtered lists built on first use and cached.
///
/// Budget: at most ``maxCached`` filtered bodies and ``maxCachedBytes`` bytes; when either would
/// be passed the cache is emptied and refills on demand (a miss only costs an encode).
///
/// Filters: `capability` (repeatable, all must match), `family` (repeatable, any may match;
/// a provider name matched against `owned_by`, or a family name such as `claude`). Values are
/// case-insensitive; an unknown value matches nothing. Other parameters are ignored.
final class ModelListCache: Sendable {
    private let catalog: Catalog
    private let unfiltered: [String: [UInt8]]
    private let filtered = Mutex<(bodies: [String: [UInt8]], bytes: Int)>(([:], 0))
    static let maxCached = 512
    static let maxCachedBytes = 4 << 20

    init(catalog: Catalog) {
        self.catalog = catalog
        var u: [String: [UInt8]] = [:]
        for (i, g) in catalog.groups.enumerated() { u[g.name] = catalog.encodeList(catalog.membersByGroup[i]) }
        unfiltered = u
    }

    func body(group: String, query: String?) -> [UInt8] {
        let q = Query(query)
        let caps = q.values("capability").map { $0.lowercased() }
        let fams = q.values("family").map { $0.lowercased() }
        if caps.isEmpty, fams.isEmpty, let body = unfiltered[group] { return body }
        let cacheKey = group + "|" + Set(caps).sorted().joined(separator: ",") + "|" + Set(fams).sorted().joined(separator: ",")
        if let hit = filtered.withLock({ $0.bodies[cacheKey] }) { return hit }
        let members = catalog.groupIndex(named: group).map { catalog.membersByGroup[$0] } ?? []
        let chosen = members.filter { i in
            let m = catalog.models[i]
            return caps.allSatisfy { m.has($0) } && (fams.isEmpty || fams.contains { $0 == m.ownedBy || $0 == m.family })
        }
        let body = catalog.encodeList(chosen)
        filtered.withLock { c in
            guard c.bodies[cacheKey] == nil else { return }
            if c.bodies.count >= Self.maxCached || c.bytes + body.count + cacheKey.utf8.count > Self.maxCachedBytes {
                c = ([:], 0)
            }
            c.bodies[cacheKey] = body
            c.bytes += body.count + cacheKey.utf8.count
        }
        return body
    }

    /// Filtered bodies cached and their bytes.
    var cached: (count: Int, bytes: Int) { filtered.withLock { ($0.bodies.count, $0.bytes) } }
}

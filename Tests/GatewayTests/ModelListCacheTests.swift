import Testing
@testable import BytespikeMock

/// The filtered `/v1/models` bodies the cache hands out are byte for byte what an encode of the
/// matching models gives, on the first request (miss) and every later one (raw-query and
/// normalized hits), and a cache never outlives the catalog it was built from.
@Suite struct ModelListCacheTests {
    static let fixtures = try! FixtureLoader.load()
    let catalog = Catalog(models: Self.fixtures.models, retired: Self.fixtures.retired, groups: Self.fixtures.groups)

    /// The body computed without any cache: the group's members that pass the filter, encoded.
    func uncached(_ group: String, caps: [String], fams: [String]) -> [UInt8] {
        let members = catalog.groupIndex(named: group).map { catalog.membersByGroup[$0] } ?? []
        return catalog.encodeList(members.filter { i in
            let m = catalog.models[i]
            return caps.allSatisfy { m.has($0) } && (fams.isEmpty || fams.contains { $0 == m.ownedBy || $0 == m.family })
        })
    }

    @Test func cachedBodies_equalTheUncachedEncode_onMissAndOnEveryHit() {
        let cache = ModelListCache(catalog: catalog)
        let cases: [(group: String, query: String, caps: [String], fams: [String])] = [
            ("default", "capability=vision&capability=tool_use&family=anthropic", ["vision", "tool_use"], ["anthropic"]),
            ("default", "family=anthropic&capability=tool_use&capability=vision", ["vision", "tool_use"], ["anthropic"]),
            ("default", "capability=Vision&family=ANTHROPIC", ["vision"], ["anthropic"]),
            ("default", "capability=%76ision&family=anthrop%69c", ["vision"], ["anthropic"]),
            ("default", "family=google&family=moonshot", [], ["google", "moonshot"]),
            ("default", "capability=thinking", ["thinking"], []),
            ("claude-default", "capability=thinking", ["thinking"], []),
            ("claude-default", "capability=vision&family=anthropic", ["vision"], ["anthropic"]),
            ("no-such-group", "capability=vision", ["vision"], []),
            ("default", "family=bogus", [], ["bogus"]),
            ("default", "limit=5", [], []),
            ("default", "capability=vision&&family=", ["vision"], [""]),
        ]
        for round in 0..<3 {  // 0: misses, 1 and 2: hits
            for c in cases {
                let got = cache.body(group: c.group, query: c.query)
                #expect(got == uncached(c.group, caps: c.caps, fams: c.fams), "round \(round): \(c.group) ?\(c.query)")
                #expect(got == ModelListCache(catalog: catalog).body(group: c.group, query: c.query), "fresh cache: \(c.query)")
            }
        }
        #expect(cache.body(group: "default", query: nil) == uncached("default", caps: [], fams: []))
        #expect(cache.body(group: "default", query: "") == uncached("default", caps: [], fams: []))
        #expect(!uncached("default", caps: ["vision", "tool_use"], fams: ["anthropic"]).isEmpty)
    }

    @Test func repeatedQuery_isServedFromTheRawKeyWithoutGrowingTheCache() {
        let cache = ModelListCache(catalog: catalog)
        _ = cache.body(group: "default", query: "capability=vision&family=anthropic")
        let after = cache.cached
        #expect(after.count == 2)  // the raw query string and the normalized filter
        for _ in 0..<100 { _ = cache.body(group: "default", query: "capability=vision&family=anthropic") }
        #expect(cache.cached.count == after.count && cache.cached.bytes == after.bytes)
        // The same filter spelled differently: one more raw entry, no second normalized one.
        _ = cache.body(group: "default", query: "family=Anthropic&capability=vision")
        #expect(cache.cached.count == 3)
    }

    @Test func fixtureReload_startsFromAnEmptyCacheForTheNewCatalog() throws {
        let gateway = try Gateway(fixtures: Self.fixtures)
        let query = "capability=vision&family=anthropic"
        let before = gateway.modelLists.body(group: "default", query: query)
        #expect(before.count > 20)
        var edited = Self.fixtures
        edited.models.removeAll { $0.ownedBy == "anthropic" }
        gateway.reload(edited)
        let after = gateway.modelLists.body(group: "default", query: query)
        #expect(after != before)
        #expect(String(decoding: after, as: UTF8.self) == #"{"object":"list","data":[]}"#)
        #expect(gateway.modelLists.cached.count == 2)
    }
}

import HTTPCore
import Testing
@testable import BytespikeMock

/// Every cache the gateway keeps stays within its documented budget and evicts oldest first.
@Suite struct CacheBudgetTests {
    static let fixtures = try! FixtureLoader.load()

    @Test func fileStore_forgetsTheOldestFilesPastItsEntryBudget() {
        let store = FileStore(seed: 1, cacheLimit: 1 << 20, maxEntries: 3)
        let names = (0..<5).map { i in
            store.add(.png(width: 8, height: 8, seed: UInt64(i)), accountID: "a", session: "", now: 0, ttl: 60).name
        }
        #expect(store.count == 3)
        for (i, name) in names.enumerated() {
            let found = if case .found = store.lookup(name, now: 1) { true } else { false }
            #expect(found == (i >= 2), "\(name)")
        }
    }

    @Test func fileStore_keepsRenderedBytesWithinItsCacheLimit() {
        let one = FileStore.render(.png(width: 64, height: 64, seed: 0)).count
        let store = FileStore(seed: 1, cacheLimit: one * 3 + one / 2)
        var entries: [FileStore.Entry] = []
        for i in 0..<10 {
            let e = store.add(.png(width: 64, height: 64, seed: UInt64(i)), accountID: "a", session: "", now: 0, ttl: 60)
            entries.append(e)
            _ = store.bytes(of: e)
            #expect(store.cachedBytes <= store.cacheLimit)
        }
        // Evicted bytes render again, identically.
        #expect(store.bytes(of: entries[0]) == FileStore.render(entries[0].recipe))
        #expect(store.cachedBytes <= store.cacheLimit)
    }

    static func entry(_ text: String) -> ResponseStore.Entry {
        ResponseStore.Entry(accountID: "a", body: Array(text.utf8), messages: [ChatMessage(role: .user, parts: [.text(text)])])
    }

    @Test func responseStore_dropsTheOldestPastItsCount() {
        let store = ResponseStore(capacity: 3)
        for i in 0..<5 { store.put("r\(i)", Self.entry("hello \(i)")) }
        #expect(store.usage.count == 3)
        #expect(store.get("r0", accountID: "a") == nil && store.get("r1", accountID: "a") == nil)
        #expect(store.get("r4", accountID: "a")?.body == Array("hello 4".utf8))
    }

    @Test func responseStore_dropsTheOldestPastItsBytes() {
        let big = String(repeating: "x", count: 10_000)
        let cost = Self.entry(big).cost
        let store = ResponseStore(capacity: 1000, byteBudget: cost * 4)
        for i in 0..<20 { store.put("r\(i)", Self.entry(big)) }
        #expect(store.usage.bytes <= cost * 4)
        #expect(store.usage.count == 4)
        #expect(store.get("r19", accountID: "a") != nil && store.get("r15", accountID: "a") == nil)
        // An entry larger than the whole budget is not kept (and evicts nothing).
        store.put("huge", Self.entry(String(repeating: "y", count: cost * 5)))
        #expect(store.get("huge", accountID: "a") == nil && store.usage.count == 4)
    }

    @Test func responseStore_deletesDoNotGrowItsQueue() {
        let store = ResponseStore(capacity: 10)
        for i in 0..<50_000 {
            store.put("r\(i)", Self.entry("x"))
            store.remove("r\(i)", accountID: "a")
        }
        #expect(store.usage.count == 0 && store.usage.bytes == 0)
    }

    @Test func modelListCache_staysWithinItsBudget() {
        let c = Catalog(models: Self.fixtures.models, retired: Self.fixtures.retired, groups: Self.fixtures.groups)
        let cache = ModelListCache(catalog: c)
        for i in 0..<2000 {
            _ = cache.body(group: "default", query: i % 2 == 0 ? "family=x\(i)" : "capability=text&family=z\(i)")
            #expect(cache.cached.count <= ModelListCache.maxCached)
        }
        #expect(cache.cached.bytes <= ModelListCache.maxCachedBytes)
    }

    @Test func faultEngine_attemptMemoryIsBoundedOverAllSessions() {
        let engine = FaultEngine(rules: [], seed: 1)
        func attempt(_ session: String, _ body: String) -> Int {
            engine.arrive(session: session, method: "POST", path: "/v1/chat/completions", body: Array(body.utf8),
                          retryCount: nil, idempotencyKey: nil).attempt
        }
        #expect(attempt("s0", "first") == 1)
        #expect(attempt("s0", "first") == 2)
        // Filling the shared memory from other sessions forgets every session's identities.
        for i in 0..<FaultEngine.attemptMemory { _ = attempt("s\(i % 7 + 1)", "body \(i)") }
        #expect(attempt("s0", "first") == 1)
    }

    static func task(_ id: String, submittedAt: Int) -> MediaTask {
        var t = MediaTaskTests.task()
        t.id = id
        t.submittedAt = submittedAt
        return t
    }

    @Test func taskEngine_forgetsTheOldestSettledTasksPastItsBudget() {
        let clock = GatewayClock()
        clock.freeze(at: 1_000)
        let accounting = Accounting(keys: Self.fixtures.keys, accounts: Self.fixtures.accounts)
        let engine = TaskEngine(options: TaskOptions(), clock: clock, files: FileStore(seed: 1), accounting: accounting,
                                fileTTL: 60, seed: 1, maxTasks: 3) { _, _ in }
        let start = clock.nowMillis
        for i in 0..<3 { _ = engine.submit(Self.task("t\(i)", submittedAt: start)) }
        // Unsettled tasks are never forgotten, even past the budget.
        _ = engine.submit(Self.task("t3", submittedAt: start))
        #expect(engine.count == 4)
        clock.advance(by: 3600)
        engine.settle()
        _ = engine.submit(Self.task("t4", submittedAt: clock.nowMillis))
        #expect(engine.count == 3)
        #expect(engine.task("t0") == nil && engine.task("t1") == nil)
        #expect(engine.task("t3") != nil && engine.task("t4") != nil)
    }
}

@testable import BytespikeMock
import Glibc
import HTTPCore
@testable import HTTPServer
import Synchronization
import Testing

/// The request journal: the ring, filters, clearing, and waiters. No sockets (the waiter tests
/// run a real event loop thread, which is how `done` is delivered).
@Suite struct JournalTests {
    static func journal(_ capacity: Int, _ entries: [JournalEntry]) -> Journal {
        let j = Journal(capacity: capacity)
        for e in entries { j.record(e) }
        return j
    }

    static func ids(_ entries: [JournalEntry]) -> [String] { entries.map(\.id) }

    // MARK: the ring

    @Test func ring_keepsOrderAndOverwritesTheOldestBeyondCapacity() {
        let j = Self.journal(3, (1...5).map { FaultMake.entry("e\($0)") })
        #expect(Self.ids(j.entries(JournalFilter())) == ["e3", "e4", "e5"])
        #expect(j.entries(JournalFilter()).map(\.index) == [3, 4, 5])
        #expect([j.counts.total, j.counts.dropped] == [5, 2])
        #expect(j.entry("e1") == nil)
        #expect(j.entry("e4")?.index == 4)
        j.record(FaultMake.entry("e6"))
        j.record(FaultMake.entry("e7"))
        #expect(Self.ids(j.entries(JournalFilter())) == ["e5", "e6", "e7"])
        #expect([j.counts.total, j.counts.dropped] == [7, 4])
    }

    @Test func ring_belowCapacityDropsNothing_andCapacityIsAtLeastOne() {
        let j = Self.journal(10, (1...4).map { FaultMake.entry("e\($0)") })
        #expect(Self.ids(j.entries(JournalFilter())) == ["e1", "e2", "e3", "e4"])
        #expect([j.counts.total, j.counts.dropped] == [4, 0])
        let tiny = Self.journal(0, [FaultMake.entry("a"), FaultMake.entry("b")])
        #expect(tiny.capacity == 1)
        #expect(Self.ids(tiny.entries(JournalFilter())) == ["b"])
        #expect([tiny.counts.total, tiny.counts.dropped] == [2, 1])
    }

    @Test func ring_wrapsManyTimesInOrder() {
        let j = Journal(capacity: 7)
        for i in 1...100 { j.record(FaultMake.entry("e\(i)")) }
        #expect(Self.ids(j.entries(JournalFilter())) == (94...100).map { "e\($0)" })
        #expect([j.counts.total, j.counts.dropped] == [100, 93])
    }

    @Test func entries_limitKeepsTheNewest() {
        let j = Self.journal(10, (1...6).map { FaultMake.entry("e\($0)") })
        #expect(Self.ids(j.entries(JournalFilter(), limit: 2)) == ["e5", "e6"])
        #expect(Self.ids(j.entries(JournalFilter(), limit: 0)) == [])
        #expect(j.entries(JournalFilter(), limit: 100).count == 6)
        var f = JournalFilter()
        f.since = 2
        #expect(Self.ids(j.entries(f, limit: 3)) == ["e4", "e5", "e6"])
    }

    // MARK: filters

    static let mixed: [JournalEntry] = [
        FaultMake.entry("a", session: "s1", surface: "chat", path: "/v1/chat/completions", model: "gpt-5-4-nano", keyID: "key_default",
                        stream: false, status: 200),
        FaultMake.entry("b", session: "s2", surface: "messages", path: "/v1/messages", model: "claude-sonnet-4-5", keyID: "key_claude",
                        stream: true, status: 429, faults: [FaultMake.applied("r429")]),
        FaultMake.entry("c", session: "s1", surface: "gemini", path: "/v1beta/models/gemini-2.5-flash:generateContent",
                        model: "gemini-2.5-flash", keyID: nil, stream: false, status: 0, faults: [FaultMake.applied("cut")]),
        FaultMake.entry("d", session: "", surface: "models", path: "/v1/models", model: nil, keyID: "key_default",
                        stream: false, status: 503, faults: [FaultMake.applied("x"), FaultMake.applied("r429")]),
        FaultMake.entry("e", session: "s2", surface: "responses", path: "/v1/responses", model: "gpt-5-4", keyID: "key_default",
                        stream: true, status: 200),
    ]

    static func select(_ edit: (inout JournalFilter) -> Void) -> [String] {
        var f = JournalFilter()
        edit(&f)
        return ids(journal(10, mixed).entries(f))
    }

    @Test func filter_everyField() {
        #expect(Self.select { _ in } == ["a", "b", "c", "d", "e"])
        #expect(Self.select { $0.session = "s1" } == ["a", "c"])
        #expect(Self.select { $0.session = "" } == ["d"])
        #expect(Self.select { $0.surface = "messages" } == ["b"])
        #expect(Self.select { $0.path = "/v1/*" } == ["a", "b", "d", "e"])
        #expect(Self.select { $0.path = "*:generateContent" } == ["c"])
        #expect(Self.select { $0.model = "gpt-*" } == ["a", "e"])
        #expect(Self.select { $0.model = "*" } == ["a", "b", "c", "e"], "entries without a model never match a model filter")
        #expect(Self.select { $0.key = "key_default" } == ["a", "d", "e"])
        #expect(Self.select { $0.status = [429...429] } == ["b"])
        #expect(Self.select { $0.status = [400...499, 500...599] } == ["b", "d"])
        #expect(Self.select { $0.status = [0...0] } == ["c"])
        #expect(Self.select { $0.faulted = true } == ["b", "c", "d"])
        #expect(Self.select { $0.faulted = false } == ["a", "e"])
        #expect(Self.select { $0.rule = "r429" } == ["b", "d"])
        #expect(Self.select { $0.rule = "x" } == ["d"])
        #expect(Self.select { $0.rule = "nope" } == [])
        #expect(Self.select { $0.stream = true } == ["b", "e"])
        #expect(Self.select { $0.stream = false } == ["a", "c", "d"])
        #expect(Self.select { $0.since = 3 } == ["d", "e"])
        #expect(Self.select { $0.since = 5 } == [])
        #expect(Self.select { $0.session = "s2"; $0.stream = true; $0.status = [200...200] } == ["e"], "every condition must hold")
    }

    @Test func since_isAnIndexThatSurvivesOverwrites() {
        let j = Self.journal(3, (1...8).map { FaultMake.entry("e\($0)") })
        var f = JournalFilter()
        f.since = 2
        #expect(Self.ids(j.entries(f)) == ["e6", "e7", "e8"])
        f.since = 7
        #expect(Self.ids(j.entries(f)) == ["e8"])
    }

    // MARK: clearing

    @Test func clearSession_removesOnlyThatSessionsEntriesAndKeepsOrder() {
        // A wrapped ring: capacity 4, six entries.
        let sessions = ["a", "b", "a", "c", "a", "b"]
        let j = Self.journal(4, sessions.enumerated().map { FaultMake.entry("e\($0.offset + 1)", session: $0.element) })
        #expect(Self.ids(j.entries(JournalFilter())) == ["e3", "e4", "e5", "e6"])
        j.clear(session: "a")
        #expect(Self.ids(j.entries(JournalFilter())) == ["e4", "e6"])
        j.record(FaultMake.entry("e7", session: "a"))
        j.record(FaultMake.entry("e8", session: "c"))
        j.record(FaultMake.entry("e9", session: "b"))
        #expect(Self.ids(j.entries(JournalFilter())) == ["e6", "e7", "e8", "e9"], "the ring refills to capacity, oldest out first")
        #expect(j.entries(JournalFilter()).map(\.index) == [6, 7, 8, 9])
        #expect(j.entry("e4") == nil)
    }

    @Test func clearAll_forgetsEntriesButIndicesKeepRising() {
        let j = Self.journal(10, (1...3).map { FaultMake.entry("e\($0)") })
        j.clear(session: nil)
        #expect(j.entries(JournalFilter()).isEmpty)
        #expect(j.entry("e1") == nil)
        j.record(FaultMake.entry("e4"))
        #expect(j.entries(JournalFilter()).map(\.index) == [4], "a since= cursor taken before the clear still works")
    }

    @Test func counts_clearedEntriesAreNotReportedAsDropped() {
        // `dropped` is documented as "how many fell out of the ring"; clearing is not falling out.
        let j = Self.journal(10, (1...3).map { FaultMake.entry("e\($0)", session: $0 == 2 ? "s" : "") })
        #expect(j.counts.dropped == 0)
        j.clear(session: "s")
        #expect(j.counts.dropped == 0, "after clear(session:): \(j.counts)")
        j.clear(session: nil)
        #expect(j.counts.dropped == 0, "after clear(nil): \(j.counts)")
    }

    // MARK: waiters

    /// A started event loop for the duration of `body`.
    static func withLoop(_ body: (EventLoop) async throws -> Void) async throws {
        let loop = try EventLoop(index: 0)
        loop.start()
        defer { loop.stop(); loop.join() }
        try await body(loop)
    }

    /// Polls `condition` for up to two seconds.
    static func eventually(_ condition: () -> Bool) async -> Bool {
        for _ in 0..<200 {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }

    final class Flag: Sendable {
        let calls = Atomic<Int>(0)
        let thread = Mutex<pthread_t?>(nil)
        func fire() {
            let me = pthread_self()
            thread.withLock { $0 = me }
            calls.add(1, ordering: .sequentiallyConsistent)
        }
        var count: Int { calls.load(ordering: .sequentiallyConsistent) }
    }

    @Test func wait_answersAtOnceWhenEnoughEntriesExist() async throws {
        try await Self.withLoop { loop in
            let j = Self.journal(10, Self.mixed)
            var f = JournalFilter()
            f.session = "s1"
            let flag = Flag()
            guard case .success(let id) = j.wait(f, count: 2, loop: loop, done: { flag.fire() }) else {
                Issue.record("wait failed"); return
            }
            #expect(id == nil)
            guard case .success(let zero) = j.wait(JournalFilter(), count: 0, loop: loop, done: { flag.fire() }) else {
                Issue.record("wait failed"); return
            }
            #expect(zero == nil)
            try await Task.sleep(for: .milliseconds(50))
            #expect(flag.count == 0, "an immediate answer does not call done")
        }
    }

    @Test func wait_callsDoneOnTheLoopWhenTheNthMatchingEntryIsRecorded() async throws {
        try await Self.withLoop { loop in
            let j = Journal(capacity: 10)
            j.record(FaultMake.entry("old", session: "w", status: 429))
            var f = JournalFilter()
            f.session = "w"
            f.status = [429...429]
            let flag = Flag()
            guard case .success(let registered) = j.wait(f, count: 3, loop: loop, done: { flag.fire() }),
                  let id = registered else { Issue.record("expected a registered waiter"); return }
            j.record(FaultMake.entry("n1", session: "w", status: 429))
            j.record(FaultMake.entry("x1", session: "other", status: 429))
            j.record(FaultMake.entry("x2", session: "w", status: 200))
            try await Task.sleep(for: .milliseconds(50))
            #expect(flag.count == 0, "two of three matching entries")
            j.record(FaultMake.entry("n2", session: "w", status: 429))
            #expect(await Self.eventually { flag.count == 1 })
            // `done` ran on the loop's thread, not the recording one.
            let probe = Flag()
            loop.execute { probe.fire() }
            #expect(await Self.eventually { probe.count == 1 })
            let ran = try #require(flag.thread.withLock { $0 })
            let expected = try #require(probe.thread.withLock { $0 })
            #expect(pthread_equal(ran, expected) != 0)
            #expect(pthread_equal(ran, pthread_self()) == 0)
            // It fires once, and cannot be cancelled afterwards.
            j.record(FaultMake.entry("n3", session: "w", status: 429))
            try await Task.sleep(for: .milliseconds(50))
            #expect(flag.count == 1)
            #expect(!j.cancelWait(id))
        }
    }

    @Test func cancelWait_trueOnceThenFalse_andACancelledWaiterNeverFires() async throws {
        try await Self.withLoop { loop in
            let j = Journal(capacity: 10)
            let flag = Flag()
            guard case .success(let registered) = j.wait(JournalFilter(), count: 1, loop: loop, done: { flag.fire() }),
                  let id = registered else { Issue.record("expected a registered waiter"); return }
            #expect(j.cancelWait(id))
            #expect(!j.cancelWait(id))
            #expect(!j.cancelWait(id + 1000))
            j.record(FaultMake.entry("a"))
            try await Task.sleep(for: .milliseconds(50))
            #expect(flag.count == 0)
        }
    }

    @Test func wait_survivesClearAll() async throws {
        try await Self.withLoop { loop in
            let j = Journal(capacity: 10)
            let flag = Flag()
            guard case .success(let id) = j.wait(JournalFilter(), count: 1, loop: loop, done: { flag.fire() }) else {
                Issue.record("wait failed"); return
            }
            #expect(id != nil)
            j.clear(session: nil)
            j.record(FaultMake.entry("a"))
            #expect(await Self.eventually { flag.count == 1 })
        }
    }

    @Test func wait_beyondMaxWaitersEvictsTheOldest() async throws {
        try await Self.withLoop { loop in
            let j = Journal(capacity: 10)
            var ids: [Int] = []
            let first = Flag(), others = Flag()
            for n in 0..<Journal.maxWaiters {
                let evicted = n == 0 ? first : others
                guard case .success(let id?) = j.wait(JournalFilter(), count: 5, loop: loop, done: {}, evicted: { evicted.fire() }) else {
                    Issue.record("waiter \(ids.count + 1) was refused"); return
                }
                ids.append(id)
            }
            #expect(Set(ids).count == Journal.maxWaiters)
            // A full table takes the newer wait and tells the oldest, on its loop.
            guard case .success(let newer?) = j.wait(JournalFilter(), count: 5, loop: loop, done: {}) else {
                Issue.record("waiter \(Journal.maxWaiters + 1) was refused"); return
            }
            #expect(!ids.contains(newer))
            try await Task.sleep(for: .milliseconds(50))
            #expect(first.count == 1)
            #expect(others.count == 0)
            #expect(!j.cancelWait(ids[0]), "the evicted wait is gone")
            for id in ids.dropFirst() + [newer] { #expect(j.cancelWait(id)) }
        }
    }
}

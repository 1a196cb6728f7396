@testable import BytespikeMock
import HTTPCore
import HTTPServer
import Testing

/// The fault engine's decisions: schedules, seeds, order, stages, sessions, attempts and the
/// runtime rule list. No sockets.
@Suite struct FaultEngineTests {
    static func engine(_ specs: [(String, String)], seed: UInt64 = 0) throws -> FaultEngine {
        FaultEngine(rules: try specs.map { try FaultMake.rule($0.1, id: $0.0) }, seed: seed)
    }

    /// `[matched, applied]` of rule `id` as listed for `session`, or nil when it is not listed.
    static func counters(_ engine: FaultEngine, _ id: String, session: String? = nil) -> [Int]? {
        guard let l = engine.list(session: session).first(where: { $0.rule.id == id }) else { return nil }
        return [l.matched, l.applied]
    }

    // MARK: schedules

    static let schedules: [(String, [Int])] = [
        ("500", Array(1...12)),
        ("500 first=3", [1, 2, 3]),
        ("500 times=2", [1, 2]),
        ("500 every=3", [3, 6, 9, 12]),
        ("500 after=9", [10, 11, 12]),
        ("500 after=0", Array(1...12)),
        ("500 first=6 every=2", [2, 4, 6]),
        ("500 after=2 every=3", [3, 6, 9, 12]),
        ("500 after=3 first=5", [4, 5]),
        ("500 probability=0", []),
        ("500 probability=1", Array(1...12)),
    ]

    @Test(arguments: schedules)
    func schedule_firesOnExactlyTheseRequests(_ spec: String, _ expected: [Int]) throws {
        let e = try Self.engine([("r", spec)])
        #expect(FaultMake.indices(e, rule: "r", count: 12) == expected)
        #expect(Self.counters(e, "r")?.first == 12)
        #expect(Self.counters(e, "r")?.last == expected.count)
    }

    @Test func schedule_windowUsesTheVirtualClock() throws {
        let e = try Self.engine([("w", "500 from=100 until=200")])
        let fired = [50, 99, 100, 150, 199, 200, 250].filter { now in
            e.decide(FaultMake.context(now: now), header: []).response != nil
        }
        #expect(fired == [100, 150, 199])
    }

    @Test func schedule_reasonSaysWhyItFired() throws {
        let e = try Self.engine([("a", "500 first=2"), ("b", "latency 10ms every=2 after=1")])
        let one = e.decide(FaultMake.context(), header: [])
        #expect(one.applied.map(\.reason) == ["n=1: first=2"])
        let two = e.decide(FaultMake.context(), header: [])
        #expect(two.applied.first { $0.ruleID == "b" }?.reason == "n=2: every=2 after=1")
        #expect(two.applied.first { $0.ruleID == "a" }?.n == 2)
        let always = try Self.engine([("c", "503")]).decide(FaultMake.context(), header: [])
        #expect(always.applied.first?.reason == "n=1: always")
    }

    @Test func probability_sameSeedSameIndices_differentSeedDifferent() throws {
        func fired(_ spec: String, engineSeed: UInt64) throws -> [Int] {
            FaultMake.indices(try Self.engine([("p", spec)], seed: engineSeed), rule: "p", count: 300)
        }
        let a = try fired("500 probability=0.3 seed=42", engineSeed: 1)
        let b = try fired("500 probability=0.3 seed=42", engineSeed: 99)
        #expect(a == b, "a rule's own seed wins over the engine's")
        #expect((45...135).contains(a.count), "about 30% of 300: \(a.count)")
        let c = try fired("500 probability=0.3 seed=43", engineSeed: 1)
        #expect(c != a)
        // Without a rule seed, the engine seed (mixed with the rule id) decides.
        let d1 = try fired("500 probability=0.3", engineSeed: 5)
        let d2 = try fired("500 probability=0.3", engineSeed: 5)
        let d3 = try fired("500 probability=0.3", engineSeed: 6)
        #expect(d1 == d2)
        #expect(d1 != d3)
    }

    @Test func probability_recordsSeedAndRollBelowP() throws {
        let e = try Self.engine([("p", "503 probability=0.5 seed=42")])
        var checked = 0
        for _ in 1...50 {
            for a in e.decide(FaultMake.context(), header: []).applied {
                #expect(a.seed == 42)
                let roll = try #require(a.roll)
                #expect(roll >= 0 && roll < 0.5)
                #expect(a.reason.contains("probability=0.5 seed=42 roll="))
                checked += 1
            }
        }
        #expect(checked > 0)
    }

    @Test func probability_withoutRuleSeedDrawsFromEngineSeedMixedWithTheId() throws {
        // Two rules differing only in id draw differently.
        let e = try Self.engine([("x", "latency 1ms probability=0.5"), ("y", "500 probability=0.5")], seed: 3)
        var xs: [Int] = [], ys: [Int] = []
        for n in 1...200 {
            let d = e.decide(FaultMake.context(), header: [])
            if d.applied.contains(where: { $0.ruleID == "x" }) { xs.append(n) }
            if d.applied.contains(where: { $0.ruleID == "y" }) { ys.append(n) }
        }
        #expect(!xs.isEmpty && !ys.isEmpty)
        #expect(xs != ys)
    }

    @Test func rules_decideIndependently_aSecondRuleDoesNotShiftTheFirst() throws {
        let alone = try Self.engine([("a", "503 probability=0.4")], seed: 11)
        let together = try Self.engine([("b", "latency 5ms probability=0.5"), ("a", "503 probability=0.4")], seed: 11)
        let aAlone = FaultMake.indices(alone, rule: "a", count: 200)
        let aTogether = FaultMake.indices(together, rule: "a", count: 200)
        #expect(!aAlone.isEmpty)
        #expect(aAlone == aTogether)
        // The same holds when the other rule is of the same stage: it counts, the schedule alone decides.
        let first = try Self.engine([("a", "500 every=3")])
        let second = try Self.engine([("b", "503 every=2"), ("a", "500 every=3")])
        for _ in 1...12 {
            _ = first.decide(FaultMake.context(), header: [])
            _ = second.decide(FaultMake.context(), header: [])
        }
        #expect(Self.counters(first, "a")?.first == 12)
        #expect(Self.counters(second, "a")?.first == 12)
    }

    // MARK: order and stages

    @Test func firstFiringRulePerStageActs_laterOnesCountButAreNotApplied() throws {
        let e = try Self.engine([("x", "500 every=2"), ("y", "503")])
        var statuses: [Int] = []
        for _ in 1...4 {
            let d = e.decide(FaultMake.context(), header: [])
            statuses.append(d.response?.status ?? 0)
            #expect(d.applied.count == 1)
        }
        #expect(statuses == [503, 500, 503, 500])
        #expect(Self.counters(e, "x") == [4, 2])
        #expect(Self.counters(e, "y") == [4, 2])
    }

    @Test func delayAndResponseCombine_oneRulePerStage() throws {
        let e = try Self.engine([("l1", "latency 100ms"), ("l2", "latency 200ms"), ("s1", "500"), ("s2", "429")])
        let d = e.decide(FaultMake.context(), header: [])
        #expect(d.delayMillis == 100)
        #expect(d.response?.status == 500)
        #expect(d.stream == nil)
        #expect(d.applied.map(\.ruleID) == ["l1", "s1"])
        #expect(d.applied.map(\.stage) == [.delay, .response])
        #expect(d.applied.first?.latencyMillis == 100)
        #expect(Self.counters(e, "l2") == [1, 0])
        #expect(Self.counters(e, "s2") == [1, 0])
    }

    @Test func preHeadStallIsADelay_zeroLatencyStillTakesTheDelayStage() throws {
        let stall = try Self.engine([("s", "stall for=2s")]).decide(FaultMake.context(), header: [])
        #expect(stall.delayMillis == 2000)
        #expect(stall.applied.first?.stage == .delay)
        #expect(stall.applied.first?.action == "stall for=2s")
        let e = try Self.engine([("z", "latency 0ms"), ("l", "latency 300ms")])
        let d = e.decide(FaultMake.context(), header: [])
        #expect(d.delayMillis == 0)
        #expect(d.applied.map(\.ruleID) == ["z"])
    }

    @Test func streamFaultsOnlySelectStreamedRequests() throws {
        let e = try Self.engine([("e", "end after_events=2"), ("i", "500 after_events=1"), ("d", "drip tps=3"),
                                 ("m", "malformed")])
        let plain = e.decide(FaultMake.context(stream: false), header: [])
        #expect(plain.stream == nil)
        #expect(plain.response?.action == .malformed)
        #expect(Self.counters(e, "e")?.first == 0)
        #expect(Self.counters(e, "i")?.first == 0)
        #expect(Self.counters(e, "d")?.first == 0)
        let streamed = e.decide(FaultMake.context(stream: true), header: [])
        #expect(streamed.stream?.id == "e")
        // On a stream, `malformed` without after_events breaks event 0: a stream-stage rule,
        // so the earlier `end` wins that stage and `m` only counts.
        #expect(streamed.response == nil)
        #expect(Self.counters(e, "m") == [2, 1])
        #expect(Self.counters(e, "i") == [1, 0])
        #expect(Self.counters(e, "d") == [1, 0])
    }

    @Test func headerRulesComeFirst_andCountByTheirText() throws {
        let e = try Self.engine([("base", "500")])
        let header = try FaultRule.parseList("429 first=1", origin: "header", now: 0)
        let one = e.decide(FaultMake.context(session: "h"), header: header)
        #expect(one.response?.status == 429)
        #expect(one.applied.map(\.origin) == ["header"])
        #expect(Self.counters(e, "base", session: "h") == [1, 0])
        let two = e.decide(FaultMake.context(session: "h"), header: header)
        #expect(two.response?.status == 500, "the header rule's first=1 is used up in this session")
        let other = e.decide(FaultMake.context(session: "other"), header: header)
        #expect(other.response?.status == 429, "header counters are per session too")
    }

    @Test func acceptRulesOnlyActInAcceptFault() throws {
        let e = try Self.engine([("acc", "reset on=accept")])
        let d = e.decide(FaultMake.context(), header: [])
        #expect(d.applied.isEmpty)
        #expect(d.response == nil)
        #expect(Self.counters(e, "acc")?.first == 0)
        let hit = try #require(e.acceptFault(now: 0))
        #expect(hit.rule.id == "acc")
        #expect(hit.applied.stage == .accept)
        #expect(hit.applied.action == "reset on=accept")
        #expect(hit.rule.action.disconnect == .reset)
        #expect(FaultRule.Action.cut.disconnect == .close)
    }

    @Test func acceptFault_connectionPicksTheNthConnection_everyCountsConnections() throws {
        let nth = try Self.engine([("r", "reset on=accept connection=3")])
        let fired = (1...6).filter { _ in nth.acceptFault(now: 0) != nil }
        #expect(fired == [3])
        let hit = try Self.engine([("r", "reset on=accept connection=2")])
        _ = hit.acceptFault(now: 0)
        #expect(hit.acceptFault(now: 0)?.applied.n == 2)
        let every = try Self.engine([("c", "cut on=accept every=2")])
        #expect((1...6).filter { _ in every.acceptFault(now: 0) != nil } == [2, 4, 6])
        every.reset(session: nil)
        #expect((1...2).filter { _ in every.acceptFault(now: 0) != nil } == [2], "a reset restarts the count")
    }

    // MARK: latency draws

    @Test func latencyDraws_areRecordedConcretelyAndReproducible() throws {
        func draws(_ engineSeed: UInt64) throws -> [Int] {
            let e = try Self.engine([("l", "latency 100ms..300ms seed=7")], seed: engineSeed)
            return try (1...20).map { _ in
                let d = e.decide(FaultMake.context(), header: [])
                let a = try #require(d.applied.first)
                #expect(a.action == "latency " + Delay.millisText(d.delayMillis))
                #expect(a.latencyMillis == d.delayMillis)
                #expect(a.seed == 7)
                #expect((100..<300).contains(d.delayMillis))
                // The recorded action replays the same delay.
                #expect(try FaultMake.rule(a.action).latency == .fixed(d.delayMillis))
                return d.delayMillis
            }
        }
        let one = try draws(1), two = try draws(2)
        #expect(one == two)
        #expect(Set(one).count > 1, "the draws vary from request to request")
    }

    @Test func latencyDraws_onAStatusFaultAreConcreteToo_fixedOnesAreUnchanged() throws {
        let e = try Self.engine([("s", "503 latency=normal(200ms,50ms) seed=3")])
        let d = e.decide(FaultMake.context(), header: [])
        let a = try #require(d.applied.first)
        #expect(a.action == "503 latency=\(Delay.millisText(d.delayMillis))")
        #expect(a.latencyMillis == d.delayMillis)
        #expect(a.seed == 3)
        let fixed = try Self.engine([("f", "latency 250ms")]).decide(FaultMake.context(), header: [])
        #expect(fixed.applied.first?.action == "latency 250ms")
        #expect(fixed.applied.first?.seed == nil)
        #expect(fixed.applied.first?.roll == nil)
        #expect(fixed.delayMillis == 250)
    }

    // MARK: selectors

    @Test func selectors_allGivenMustHold() throws {
        let base = FaultMake.context()
        func hits(_ spec: String, _ ctx: FaultContext) throws -> Bool {
            try Self.engine([("r", spec)]).decide(ctx, header: []).response != nil
        }
        var other = base
        #expect(try hits("500 surface=chat|responses", base))
        other.surface = "messages"
        #expect(try !hits("500 surface=chat|responses", other))
        #expect(try hits("500 path=/v1/chat/*", base))
        #expect(try !hits("500 path=/v1/messages", base))
        #expect(try hits("500 model=gpt-*", base))
        #expect(try !hits("500 model=claude-*", base))
        other = base; other.model = nil
        #expect(try !hits("500 model=*", other), "no model never matches a model selector")
        #expect(try hits("500 key=key_default", base))
        #expect(try hits("500 key=sk-byts-default-test-key-0001", base))
        #expect(try !hits("500 key=key_other", base))
        #expect(try hits("500 method=post", base))
        #expect(try !hits("500 method=GET", base))
        #expect(try hits("500 stream=false", base))
        #expect(try !hits("500 stream=true", base))
        other = base; other.seq = 4
        #expect(try hits("500 seq=4", other))
        #expect(try !hits("500 seq=4", base))
        other = base; other.attempt = 3
        #expect(try hits("500 attempt=first", base))
        #expect(try !hits("500 attempt=first", other))
        #expect(try hits("500 attempt=retry", other))
        #expect(try !hits("500 attempt=retry", base))
        #expect(try hits("500 attempt=3", other))
        #expect(try !hits("500 attempt=2", other))
        #expect(try hits("500 surface=chat model=gpt-* method=POST stream=false attempt=first", base))
        #expect(try !hits("500 surface=chat model=gpt-* method=POST stream=true attempt=first", base))
    }

    @Test func selectors_unmatchedRequestsAreNotCounted() throws {
        let e = try Self.engine([("r", "500 model=claude-* first=1")])
        _ = e.decide(FaultMake.context(model: "gpt-5-4-nano"), header: [])
        #expect(Self.counters(e, "r") == [0, 0])
        #expect(e.decide(FaultMake.context(model: "claude-sonnet-4-5"), header: []).response != nil,
                "the first matching request is n=1")
    }

    // MARK: sessions

    @Test func sessionRulesApplyOnlyToTheirSession() throws {
        let e = try Self.engine([])
        _ = e.add([try FaultMake.rule("500 session=s1", id: "own")])
        #expect(e.decide(FaultMake.context(session: "s2"), header: []).response == nil)
        #expect(e.decide(FaultMake.context(session: ""), header: []).response == nil)
        #expect(e.decide(FaultMake.context(session: "s1"), header: []).response?.id == "own")
        #expect(e.list(session: "s2").isEmpty)
        #expect(e.list(session: "s1").map(\.rule.id) == ["own"])
        #expect(e.list(session: nil).map(\.rule.id) == ["own"])
        #expect(Self.counters(e, "own", session: "s1") == [1, 1])
    }

    @Test func countersArePerSession_andListSumsThemWithoutASession() throws {
        let e = try Self.engine([("a", "500 first=1")])
        #expect(e.decide(FaultMake.context(session: "A"), header: []).response != nil)
        #expect(e.decide(FaultMake.context(session: "A"), header: []).response == nil)
        #expect(e.decide(FaultMake.context(session: "B"), header: []).response != nil)
        #expect(Self.counters(e, "a", session: "A") == [2, 1])
        #expect(Self.counters(e, "a", session: "B") == [1, 1])
        #expect(Self.counters(e, "a", session: "C") == [0, 0])
        #expect(Self.counters(e, "a") == [3, 2])
    }

    // MARK: arrival: seq and attempt

    @Test func arrive_statedRetryCountWins() throws {
        let e = try Self.engine([])
        let body = Array(#"{"x":1}"#.utf8)
        #expect(e.arrive(session: "", method: "POST", path: "/p", body: body, retryCount: "0", idempotencyKey: nil).attempt == 1)
        #expect(e.arrive(session: "", method: "POST", path: "/p", body: body, retryCount: "2", idempotencyKey: nil).attempt == 3)
        #expect(e.arrive(session: "", method: "POST", path: "/p", body: body, retryCount: "2", idempotencyKey: "k").attempt == 3)
        // A header that is not a count falls back to remembering the request.
        #expect(e.arrive(session: "", method: "POST", path: "/p", body: body, retryCount: "x", idempotencyKey: nil).attempt == 1)
        #expect(e.arrive(session: "", method: "POST", path: "/p", body: body, retryCount: "-1", idempotencyKey: nil).attempt == 2)
    }

    @Test func arrive_sameBodyInASessionIsTheNextAttempt() throws {
        let e = try Self.engine([])
        let body = Array(#"{"model":"m","messages":[]}"#.utf8)
        func arrive(_ session: String, _ path: String = "/v1/chat/completions", _ b: [UInt8]? = nil, method: String = "POST") -> Int {
            e.arrive(session: session, method: method, path: path, body: b ?? body, retryCount: nil, idempotencyKey: nil).attempt
        }
        #expect(arrive("s") == 1)
        #expect(arrive("s") == 2)
        #expect(arrive("s") == 3)
        #expect(arrive("t") == 1, "another session starts again")
        #expect(arrive("s", "/v1/responses") == 1, "another path is another call")
        #expect(arrive("s", method: "PUT") == 1, "another method is another call")
        #expect(arrive("s", "/v1/chat/completions", body + [0x20]) == 1, "another body is another call")
        #expect(arrive("s", "/v1/chat/completions", []) == 1)
        #expect(arrive("s", "/v1/chat/completions", []) == 2)
    }

    @Test func arrive_idempotencyKeyGroupsDifferentBodies() throws {
        let e = try Self.engine([])
        func arrive(_ body: String, key: String?) -> Int {
            e.arrive(session: "s", method: "POST", path: "/v1/messages", body: Array(body.utf8), retryCount: nil, idempotencyKey: key).attempt
        }
        #expect(arrive("one", key: "k1") == 1)
        #expect(arrive("two", key: "k1") == 2, "same key, different body: the same call")
        #expect(arrive("one", key: "k2") == 1, "another key: another call")
        #expect(arrive("one", key: nil) == 1, "without a key the body decides")
    }

    @Test func arrive_numbersRequestsPerSession() throws {
        let e = try Self.engine([])
        func seq(_ s: String) -> Int { e.arrive(session: s, method: "GET", path: "/v1/models", body: [], retryCount: "0", idempotencyKey: nil).seq }
        #expect([seq("a"), seq("a"), seq("b"), seq("a"), seq("b"), seq("")] == [1, 2, 1, 3, 2, 1])
    }

    // MARK: reset

    @Test func resetSession_clearsOnlyThatSession() throws {
        let e = try Self.engine([("base", "500 first=1")])
        _ = e.add([try FaultMake.rule("latency 10ms session=s1", id: "r1"), try FaultMake.rule("latency 20ms session=s2", id: "r2")])
        let body = Array("b".utf8)
        for s in ["s1", "s2"] {
            _ = e.arrive(session: s, method: "POST", path: "/p", body: body, retryCount: nil, idempotencyKey: nil)
            _ = e.decide(FaultMake.context(session: s), header: [])
        }
        e.reset(session: "s1")
        #expect(e.list(session: nil).map(\.rule.id) == ["r2", "base"])
        #expect(Self.counters(e, "base", session: "s1") == [0, 0])
        #expect(Self.counters(e, "base", session: "s2") == [1, 1])
        let s1 = e.arrive(session: "s1", method: "POST", path: "/p", body: body, retryCount: nil, idempotencyKey: nil)
        #expect(s1.seq == 1 && s1.attempt == 1)
        let s2 = e.arrive(session: "s2", method: "POST", path: "/p", body: body, retryCount: nil, idempotencyKey: nil)
        #expect(s2.seq == 2 && s2.attempt == 2)
        #expect(e.decide(FaultMake.context(session: "s1"), header: []).response != nil, "first=1 starts over for s1")
        #expect(e.decide(FaultMake.context(session: "s2"), header: []).response == nil)
    }

    @Test func resetAll_restoresTheBaseRulesAndZeroesEverything() throws {
        let e = try Self.engine([("cli-1", "500 first=1"), ("fixture-1", "latency 5ms")])
        _ = e.add([try FaultMake.rule("429")])
        #expect(e.remove("fixture-1", session: nil))
        _ = e.decide(FaultMake.context(), header: [])
        _ = e.arrive(session: "", method: "POST", path: "/p", body: [], retryCount: nil, idempotencyKey: nil)
        _ = e.acceptFault(now: 0)
        e.reset(session: nil)
        let listed = e.list(session: nil)
        #expect(listed.map(\.rule.id) == ["cli-1", "fixture-1"])
        #expect(listed.allSatisfy { $0.matched == 0 && $0.applied == 0 })
        let again = e.arrive(session: "", method: "POST", path: "/p", body: [], retryCount: nil, idempotencyKey: nil)
        #expect(again.seq == 1 && again.attempt == 1)
        #expect(e.decide(FaultMake.context(), header: []).response?.id == "cli-1")
    }

    // MARK: runtime rules

    @Test func add_assignsFreshIdsWithoutClashing() throws {
        let e = try Self.engine([])
        let a = e.add([try FaultMake.rule("500"), try FaultMake.rule("502")])
        #expect(a.map(\.id) == ["fault-1", "fault-2"])
        #expect(a.allSatisfy { $0.origin == "runtime" })
        _ = e.add([try FaultMake.rule("503", id: "fault-4")])
        let b = e.add([try FaultMake.rule("504"), try FaultMake.rule("429")])
        #expect(b.map(\.id) == ["fault-3", "fault-5"])
        #expect(Set(e.list(session: nil).map(\.rule.id)).count == 5)
        #expect(e.remove("fault-5", session: nil))
        #expect(e.add([try FaultMake.rule("500")]).first?.id == "fault-6", "ids are not reused after a removal")
    }

    @Test func add_sameIdReplacesInPlace() throws {
        let e = try Self.engine([("cli-1", "500")])
        _ = e.add([try FaultMake.rule("429", id: "x"), try FaultMake.rule("503", id: "y")])
        _ = e.add([try FaultMake.rule("latency 1s", id: "x")])
        let listed = e.list(session: nil)
        #expect(listed.map(\.rule.id) == ["x", "y", "cli-1"])
        #expect(listed.first?.rule.text == "latency 1s")
    }

    @Test func add_insertsRuntimeRulesAfterEarlierRuntimeRulesBeforeBaseRules() throws {
        let e = try Self.engine([("cli-1", "500"), ("fixture-1", "502")])
        _ = e.add([try FaultMake.rule("429", id: "a")])
        _ = e.add([try FaultMake.rule("503", id: "b")])
        #expect(e.list(session: nil).map(\.rule.id) == ["a", "b", "cli-1", "fixture-1"])
        #expect(e.decide(FaultMake.context(), header: []).response?.id == "a")
        #expect(!e.isEmpty)
        #expect(try Self.engine([]).isEmpty)
    }

    @Test func remove_andClearRuntime_respectSessions() throws {
        let e = try Self.engine([("cli-1", "500")])
        _ = e.add([try FaultMake.rule("429 session=s1", id: "a"), try FaultMake.rule("503 session=s2", id: "b"),
                   try FaultMake.rule("502", id: "c")])
        #expect(!e.remove("a", session: "s2"))
        #expect(!e.remove("nope", session: nil))
        #expect(e.remove("a", session: "s1"))
        #expect(!e.remove("a", session: "s1"))
        _ = e.add([try FaultMake.rule("429 session=s1", id: "a2")])
        e.clearRuntime(session: "s1")
        #expect(e.list(session: nil).map(\.rule.id) == ["b", "c", "cli-1"])
        e.clearRuntime(session: nil)
        #expect(e.list(session: nil).map(\.rule.id) == ["cli-1"])
        #expect(e.remove("cli-1", session: nil), "a base rule can be removed too")
        #expect(e.list(session: nil).isEmpty)
        e.reset(session: nil)
        #expect(e.list(session: nil).map(\.rule.id) == ["cli-1"])
    }
}

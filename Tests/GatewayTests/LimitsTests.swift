import HTTPCore
import Testing
@testable import BytespikeMock

/// The range helpers behind docs/limits.md: each bound holds at its edge, and the arithmetic
/// behind it saturates instead of trapping when handed the extremes of `Int` and `Double`.
@Suite struct LimitsTests {
    // MARK: pacing

    @Test func pacing_rateFloorAndCeiling() {
        #expect(Pacing.rateProblem(0, unpaced: true) == nil)
        #expect(Pacing.rateProblem(0, unpaced: false) != nil)
        for ok in [0.1, 1, 50, 1_000_000] { #expect(Pacing.rateProblem(ok, unpaced: false) == nil, "\(ok)") }
        for bad in [0.099, 1e-9, 1e-300, -1, 1_000_000.5, .infinity, .nan] {
            #expect(Pacing.rateProblem(bad, unpaced: true) != nil, "\(bad)")
        }
        #expect(Pacing.firstTokenProblem(600_000) == nil && Pacing.firstTokenProblem(600_001) != nil)
        #expect(Pacing.firstTokenProblem(-1) != nil && Pacing.firstTokenProblem(Int.max) != nil)
    }

    @Test func pacing_delaySaturatesAtADayInsteadOfTrapping() {
        #expect(Pacing.delayMicros(tokens: 1, tokensPerSecond: 2) == 500_000)
        #expect(Pacing.delayMicros(tokens: 3, tokensPerSecond: 0.1) == 30_000_000)
        #expect(Pacing.delayMicros(tokens: 0, tokensPerSecond: 1) == 0)
        #expect(Pacing.delayMicros(tokens: 5, tokensPerSecond: 0) == 0)
        #expect(Pacing.delayMicros(tokens: 1, tokensPerSecond: 1e-300) == 86_400_000_000)
        #expect(Pacing.delayMicros(tokens: Int.max, tokensPerSecond: .leastNonzeroMagnitude) == 86_400_000_000)
        #expect(Pacing(firstTokenMillis: 0, tokensPerSecond: 1e-300).delay(forTokens: 9) == .seconds(86_400))
    }

    @Test func pacing_everyChannelRefusesARateBelowTheFloor() throws {
        if case .success = Pacing.parseHeader("ttft=0, tps=1e-300") { Issue.record("header accepted 1e-300") }
        if case .success = Pacing.parseHeader("tps=0.05") { Issue.record("header accepted 0.05") }
        if case .success = Pacing.parseHeader("ttft=600001") { Issue.record("header accepted ttft past 10 minutes") }
        #expect(try Pacing.parseHeader("ttft=600000, tps=0.1").get() == Pacing(firstTokenMillis: 600_000, tokensPerSecond: 0.1))
        #expect(try Pacing.parseHeader("tps=0").get() == Pacing())
        func fixture(_ json: String) -> String? {
            do {
                _ = try Pacing(FixtureReader.root(Array(json.utf8), file: "replies.json"))
                return nil
            } catch { return "\(error)" }
        }
        #expect(fixture(#"{"tokens_per_second": 1e-300}"#)?.contains("tokens_per_second") == true)
        #expect(fixture(#"{"first_token_ms": 9223372036854775807}"#)?.contains("first_token_ms") == true)
        #expect(fixture(#"{"tokens_per_second": 0.1, "first_token_ms": 0}"#) == nil)
    }

    // MARK: clock

    @Test func clock_staysWithinEpochToYear9999() {
        let clock = GatewayClock()
        clock.freeze(at: Int.max)
        #expect(clock.now == GatewayClock.range.upperBound)
        clock.freeze(at: Int.min)
        #expect(clock.now == 0)
        clock.advance(millis: Int.max)
        #expect(clock.nowMillis == GatewayClock.millisRange.upperBound)
        clock.advance(by: Int.max)
        #expect(clock.now == GatewayClock.range.upperBound)
        #expect(!clock.canAdvance(millis: 1))
        clock.freeze(at: 1_000)
        #expect(clock.canAdvance(millis: 5_000) && !clock.canAdvance(millis: -1) && !clock.canAdvance(millis: Int.max))
        clock.resume()
        clock.advance(millis: Int.max)
        #expect(clock.now == GatewayClock.range.upperBound)
        clock.advance(millis: Int.min)
        #expect(clock.now == 0)
    }

    @Test func timestamp_formatClampsToWhatFourYearDigitsWrite() {
        #expect(Timestamp.format(GatewayClock.range.upperBound) == "9999-12-31T23:59:59Z")
        #expect(Timestamp.format(Int.max) == "9999-12-31T23:59:59Z")
        #expect(Timestamp.format(Int.min) == "0000-01-01T00:00:00Z")
        #expect(Timestamp.format(0) == "1970-01-01T00:00:00Z")
    }

    // MARK: money

    @Test func credits_sumsSaturateInsteadOfOverflowing() {
        let big = Credits(micros: Int.max)
        #expect((big + big) == Credits.max)
        #expect((Credits(micros: -Credits.max.micros) - big).micros == -Credits.max.micros)
        #expect((Credits(micros: 5) - Credits(micros: Int.min)) == Credits.max)
        #expect((Credits(micros: 7) + Credits(micros: 3)).micros == 10)
    }

    @Test func cost_saturatesForAnyCountAndPrice() {
        var p = CatalogModel.Pricing()
        p.inputPerMTok = Credits(micros: 15_000_000)
        p.outputPerMTok = Credits(micros: Int.max)
        p.perImage = Credits(micros: Int.max)
        #expect(p.cost(of: Usage(inputTokens: 1_000)).micros == 15_000)
        #expect(p.cost(of: Usage(inputTokens: 1)).micros == 15)
        #expect(p.cost(of: Usage(inputTokens: Int.max, outputTokens: Int.max)) == Credits.max)
        #expect(p.cost(of: Usage(images: Int.max, videoSeconds: Int.max)) == Credits.max)
        #expect(p.cost(of: Usage(inputTokens: -5)) == .zero)
    }

    // MARK: suggestions and the fault grammar

    @Test func suggestion_findsTyposAndIgnoresStrangers() {
        let kinds = FaultRule.kindNames
        #expect(Suggestion.closest(to: "latancy", among: kinds) == "latency")
        #expect(Suggestion.closest(to: "RESETT", among: kinds) == "reset")
        #expect(Suggestion.closest(to: "stal", among: kinds) == "stall")
        #expect(Suggestion.closest(to: "teapot", among: kinds) == nil)
        #expect(Suggestion.closest(to: "", among: kinds) == nil)
        #expect(Suggestion.distance(Array("kitten".utf8), Array("sitting".utf8), limit: 5) == 3)
        #expect(Suggestion.distance(Array("abc".utf8), Array("abcdefgh".utf8), limit: 2) == 3)
    }

    @Test(arguments: [
        ("timeout", "unknown fault 'timeout'; did you mean latency"),
        ("latancy 1s", "unknown fault 'latancy'; did you mean latency?"),
        ("slow", "did you mean drip"),
        ("status=503", "is not a fault"),
        ("429 retry_aftr=1", "retry_aftr: unknown option; did you mean retry_after?"),
        ("429 surface=gemeni", "unknown surface 'gemeni'; did you mean gemini?"),
        ("stall for=5 after_events=1", "for: '5' has no unit; write 5ms or 5s"),
        ("latency 1.5", "latency: '1.5' has no unit"),
        ("latency 100..300", "latency: '100' has no unit"),
        ("429 until=+30", "until: '30' has no unit"),
        ("drip tps=0.01", "tps: expected tokens per second from 0.1 to 1000000"),
        ("drip tps=1e300", "tps: expected tokens per second from 0.1"),
        ("429 retry_after=86401", "retry_after: 86401 is more than it takes (at most 86400"),
        ("429 retry_after_ms=86400001", "retry_after_ms: 86400001 is more than it takes"),
        ("429 every=1000000001", "every: 1000000001 is more than it takes"),
        ("429 attempt=9223372036854775807", "attempt: 9223372036854775807 is more than it takes"),
        ("429 from=253402300800", "from: '253402300800' is outside the clock's range"),
        ("429 from=-1", "from: '-1' is outside the clock's range"),
        ("429 from=0000-01-01T00:00:00Z", "outside the clock's range"),
    ])
    func faultGrammar_rangesAndMessages(_ spec: String, _ message: String) {
        let got = FaultMake.rejection(spec)
        #expect(got?.contains(message) == true, "'\(spec)' → \(got ?? "accepted")")
    }

    @Test func faultGrammar_acceptsTheBoundsThemselves() throws {
        #expect(try FaultMake.rule("drip tps=0.1 ttft=10m").tokensPerSecond == 0.1)
        #expect(try FaultMake.rule("429 retry_after=86400 first=1000000000").retryAfter == 86_400)
        #expect(try FaultMake.rule("429 from=253402300799").from == 253_402_300_799)
        #expect(try FaultMake.rule("stall for=0 after_events=1").stallMillis == 0)
        #expect(try FaultMake.rule("429 until=+10m", now: GatewayClock.range.upperBound).until == GatewayClock.range.upperBound)
    }

    @Test func delay_normalIsClampedToTenMinutes() {
        let wide = Delay.normal(600_000, 600_000)
        for u in [0.000_001, 0.25, 0.5, 0.999_999] {
            #expect((0...600_000).contains(wide.sample(u, 0.0)), "\(u)")
        }
    }

    // MARK: typed fields

    @Test func bodyReader_checksTypesAndRanges() throws {
        func problem(_ json: String, _ fields: [(String, BodyReader.Field)]) -> String? {
            guard case .object(let o)? = try? JSONParser.parse(Array(json.utf8)) else { return "not an object" }
            do throws(GatewayError) { try BodyReader(o).check(fields); return nil } catch { return error.message }
        }
        #expect(problem(#"{"t":"hot"}"#, [("t", .number(0...2))]) == "t: expected a number, found a string")
        #expect(problem(#"{"t":2.5}"#, [("t", .number(0...2))]) == "t: expected a number from 0 to 2, found 2.5")
        #expect(problem(#"{"t":null}"#, [("t", .number(0...2))]) == nil)
        #expect(problem(#"{"n":3}"#, [("n", .integer(1...Int.max))]) == nil)
        #expect(problem(#"{"n":0}"#, [("n", .integer(1...Int.max))]) == "n: expected an integer of at least 1, found 0")
        #expect(problem(#"{"m":{"a":"b","c":1}}"#, [("m", .stringMap)]) == "m.c: expected a string, found a number")
        #expect(problem(#"{"m":{"1":101}}"#, [("m", .numberMap(-100...100))]) == "m.1: expected a number from -100 to 100, found 101")
        #expect(problem(#"{"s":["a",2]}"#, [("s", .strings)]) == "s[1]: expected a string, found a number")
        #expect(problem(#"{"b":"yes"}"#, [("b", .bool)]) == "b: expected a boolean, found a string")
    }
}

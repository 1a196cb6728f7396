@testable import BytespikeMock
import HTTPCore
import Testing

/// The fault grammar: tokens, fields, canonical text, JSON form, rejections, delays. No sockets.
@Suite struct FaultRuleTests {
    // MARK: tokens

    @Test func tokenize_splitsOnSpacesTabsCommasAndNewlines() throws {
        #expect(try FaultRule.tokenize("a  b,c\t d ,, e\nf\rg") == ["a", "b", "c", "d", "e", "f", "g"])
        #expect(try FaultRule.tokenize("   ") == [])
    }

    @Test func tokenize_treatsCRLFAsWhitespaceToo() throws {
        // A plain-text `POST /__mock/faults` body written on Windows ends in CRLF, which Swift
        // iterates as a single Character "\r\n".
        let tokens = try FaultRule.tokenize("429 first=1\r\nsurface=chat\r\n")
        #expect(tokens == ["429", "first=1", "surface=chat"])
        let rules = try FaultRule.parseList("429 first=1\r\n", origin: "runtime", now: 0)
        #expect(rules.first?.first == 1)
    }

    @Test func tokenize_keepsQuotedSpacesAndEscapedQuotes_andDropsTheQuotes() throws {
        #expect(try FaultRule.tokenize(#"500 message="a, b; c" x"#) == ["500", "message=a, b; c", "x"])
        #expect(try FaultRule.tokenize(#"message="say \"hi\" \\ ok""#) == [#"message=say "hi" \ ok"#])
        #expect(try FaultRule.tokenize(#"message="""#) == ["message="], "an empty quoted value is still a token")
    }

    @Test func tokenize_keepsCommasInsideParentheses() throws {
        #expect(try FaultRule.tokenize("latency normal(200ms,50ms), first=1") == ["latency", "normal(200ms,50ms)", "first=1"])
        #expect(try FaultRule.tokenize("latency=lognormal(1s,0.5),x") == ["latency=lognormal(1s,0.5)", "x"])
    }

    @Test func tokenize_rejectsUnterminatedQuotesAndUnbalancedParentheses() {
        #expect(throws: FaultSpecError.self) { try FaultRule.tokenize(#"500 message="oops"#) }
        #expect(throws: FaultSpecError.self) { try FaultRule.tokenize("latency normal(1s,2s") }
        #expect(throws: FaultSpecError.self) { try FaultRule.tokenize("latency 1s)") }
    }

    // MARK: fields of every action and option

    @Test func parse_statusFaultWithEveryStatusOption() throws {
        let r = try FaultMake.rule(#"429 retry_after=2 retry_after_ms=1500 should_retry=false code=slow_down message="wait please""#)
        #expect(r.action == .status)
        #expect(r.status == 429)
        #expect(r.retryAfter == 2)
        #expect(r.retryAfterMillis == 1500)
        #expect(r.shouldRetry == false)
        #expect(r.code == "slow_down")
        #expect(r.message == "wait please")
        #expect(r.stage == .response)
        #expect(r.origin == "cli")
        let e = r.error
        #expect(e.status.code == 429)
        #expect(e.headers.first(where: { $0.name == "Retry-After" })?.value == "2")
        #expect(e.headers.first(where: { $0.name == "retry-after-ms" })?.value == "1500")
        #expect(e.headers.first(where: { $0.name == "x-should-retry" })?.value == "false")
    }

    @Test func parse_statusFaultWithoutRetryOptionsSendsNoRetryHeaders() throws {
        let r = try FaultMake.rule("503 retry_after=none", id: "r1")
        #expect(r.retryAfter == nil)
        #expect(r.error.headers.count == 0)
        #expect(r.statusMessage == "service unavailable (injected by bytespike-mock fault rule r1)")
        #expect(r.statusCode == "service_unavailable")
    }

    @Test func parse_errorIsAStatusFaultDefaulting500_andTakesStatus() throws {
        let plain = try FaultMake.rule("error")
        #expect(plain.action == .status)
        #expect(plain.status == 500)
        let given = try FaultMake.rule("ERROR Status=502")
        #expect(given.action == .status)
        #expect(given.status == 502)
    }

    @Test func parse_latencyPositionalAndAsOption() throws {
        let positional = try FaultMake.rule("latency 250ms")
        #expect(positional.action == .latency)
        #expect(positional.latency == .fixed(250))
        #expect(positional.stage == .delay)
        let option = try FaultMake.rule("latency latency=2s")
        #expect(option.latency == .fixed(2000))
        let onStatus = try FaultMake.rule("503 latency=100ms..300ms")
        #expect(onStatus.action == .status)
        #expect(onStatus.latency == .uniform(100, 300))
        #expect(onStatus.stage == .response)
    }

    @Test func parse_delayIsAnAliasOfLatency() throws {
        let option = try FaultMake.rule("delay latency=300ms")
        #expect(option.action == .latency)
        #expect(option.latency == .fixed(300))
        // As `latency 300ms` takes its duration as the second word, so should its alias.
        let positional = try FaultMake.rule("delay 300ms")
        #expect(positional.action == .latency)
        #expect(positional.latency == .fixed(300))
    }

    @Test func parse_durationsInEveryUnit() throws {
        let cases: [(String, Int)] = [("250ms", 250), ("2s", 2000), ("1.5s", 1500), ("1m", 60_000),
                                      ("0", 0), ("0.0", 0), ("10m", 600_000), ("600s", 600_000), ("2S", 2000)]
        for (text, ms) in cases {
            #expect(try FaultMake.rule("latency \(text)").latency == .fixed(ms), "latency \(text)")
        }
    }

    @Test func parse_delayDistributions() throws {
        #expect(try FaultMake.rule("latency 100ms..1s").latency == .uniform(100, 1000))
        #expect(try FaultMake.rule("latency 200ms..200ms").latency == .uniform(200, 200))
        #expect(try FaultMake.rule("latency normal(200ms,50ms)").latency == .normal(200, 50))
        #expect(try FaultMake.rule("latency NORMAL(1s,100ms)").latency == .normal(1000, 100))
        #expect(try FaultMake.rule("latency lognormal(200ms,0.5)").latency == .lognormal(200, 0.5))
        #expect(try FaultMake.rule("latency lognormal(1s,0)").latency == .lognormal(1000, 0))
        #expect(try FaultMake.rule("latency lognormal(1s,5)").latency == .lognormal(1000, 5))
    }

    @Test func parse_spaceInsideParenthesesStaysInTheDuration() throws {
        // tokenize documents splitting "outside double quotes and parentheses"; `delay` trims the arguments.
        #expect(try FaultMake.rule("latency normal(200ms, 50ms)").latency == .normal(200, 50))
        #expect(try FaultMake.rule("latency lognormal( 1s , 0.5 ) first=1").latency == .lognormal(1000, 0.5))
    }

    @Test func parse_stallPositionalOrFor_andItsStage() throws {
        let preHead = try FaultMake.rule("stall 5s")
        #expect(preHead.action == .stall)
        #expect(preHead.stallMillis == 5000)
        #expect(preHead.afterEvents == nil)
        #expect(preHead.stage == .delay)
        let mid = try FaultMake.rule("stall for=1500ms after_events=3")
        #expect(mid.stallMillis == 1500)
        #expect(mid.afterEvents == 3)
        #expect(mid.stage == .stream)
    }

    @Test func parse_streamFaults() throws {
        let end = try FaultMake.rule("end after_events=4")
        #expect(end.action == .end)
        #expect(end.afterEvents == 4)
        #expect(end.stage == .stream)
        #expect(!end.applies(streaming: false))
        #expect(end.applies(streaming: true))
        let drip = try FaultMake.rule("drip tps=7.5 ttft=800ms")
        #expect(drip.action == .drip)
        #expect(drip.tokensPerSecond == 7.5)
        #expect(drip.firstTokenMillis == 800)
        #expect(drip.stage == .stream)
        #expect(!drip.applies(streaming: false))
        let dripDefault = try FaultMake.rule("drip")
        #expect(dripDefault.tokensPerSecond == 2)
        #expect(dripDefault.firstTokenMillis == 0)
        let inBand = try FaultMake.rule("500 after_events=3")
        #expect(inBand.stage == .stream)
        #expect(!inBand.applies(streaming: false))
        #expect(inBand.applies(streaming: true))
    }

    @Test func parse_transportFaults() throws {
        let cut = try FaultMake.rule("cut")
        #expect(cut.action == .cut)
        #expect(cut.stage == .response)
        #expect(try FaultMake.rule("empty").action == .cut)
        #expect(try FaultMake.rule("cut after_events=2").stage == .stream)
        let reset = try FaultMake.rule("reset")
        #expect(reset.action == .reset)
        #expect(!reset.onAccept)
        #expect(reset.applies(streaming: false))
        let garbage = try FaultMake.rule("garbage")
        #expect(garbage.action == .garbage)
        #expect(garbage.garbageBytes == 64)
        #expect(try FaultMake.rule("garbage bytes=65536").garbageBytes == 65536)
        let malformed = try FaultMake.rule("malformed")
        #expect(malformed.action == .malformed)
        #expect(malformed.applies(streaming: false))
        #expect(malformed.applies(streaming: true))
        #expect(malformed.stage == .response)
        #expect(try FaultMake.rule("malformed after_events=1").stage == .stream)
    }

    @Test func parse_onAcceptAndConnection() throws {
        let r = try FaultMake.rule("reset on=accept connection=3 every=2")
        #expect(r.onAccept)
        #expect(r.connection == 3)
        #expect(r.every == 2)
        #expect(r.stage == .accept)
        let cut = try FaultMake.rule("empty ON=Accept")
        #expect(cut.action == .cut)
        #expect(cut.stage == .accept)
        #expect(try FaultMake.rule("reset on=request").onAccept == false)
    }

    @Test func parse_failFaultActsOnTasksAtAPointOfTheTimeline() throws {
        let r = try FaultRule.parse("fail model=sora-2 at=30% code=gpu_lost message=\"out of GPUs\"", origin: "cli", now: 0)
        #expect(r.action == .fail)
        #expect(r.failAt == 30)
        #expect(r.surfaces == ["tasks"], "surface=tasks is implied")
        #expect(r.stage == .stream)
        #expect(r.code == "gpu_lost" && r.message == "out of GPUs")
        #expect(r.text == #"fail at=30% code=gpu_lost message="out of GPUs" surface=tasks model=sora-2"#)
        #expect(try FaultRule.parse(r.text, origin: "cli", now: 0).text == r.text)
        #expect(try FaultRule.parse("fail at=pending", origin: "cli", now: 0).failAt == -1)
        #expect(try FaultRule.parse("fail at=queued", origin: "cli", now: 0).failAt == -1)
        #expect(try FaultRule.parse("fail", origin: "cli", now: 0).failAt == 50, "at=running is the middle of the render")
        #expect(try FaultRule.parse("fail at=0", origin: "cli", now: 0).failAt == 0)
    }

    @Test func parse_everySelector() throws {
        let r = try FaultMake.rule("500 surface=chat|responses path=/v1/* model=gpt-*|claude-* key=key_default|sk-x "
            + "method=post|Get session=team-a attempt=retry stream=yes seq=4")
        #expect(r.surfaces == ["chat", "responses"])
        #expect(r.paths == ["/v1/*"])
        #expect(r.models == ["gpt-*", "claude-*"])
        #expect(r.keys == ["key_default", "sk-x"])
        #expect(r.methods == ["POST", "GET"])
        #expect(r.session == "team-a")
        #expect(r.attempt == .retry)
        #expect(r.stream == true)
        #expect(r.seq == 4)
        #expect(try FaultMake.rule("500 attempt=first").attempt == .first)
        #expect(try FaultMake.rule("500 attempt=RETRIES").attempt == .retry)
        #expect(try FaultMake.rule("500 attempt=2").attempt == .number(2))
        #expect(try FaultMake.rule("500 stream=0").stream == false)
        for s in ["messages", "chat", "responses", "gemini", "models", "account", "keys"] {
            #expect(try FaultMake.rule("500 surface=\(s)").surfaces == [s])
        }
    }

    @Test func parse_everyScheduleOption() throws {
        let r = try FaultMake.rule("500 first=3 every=2 after=1 from=100 until=200 probability=0.25 seed=42 id=mine")
        #expect(r.first == 3)
        #expect(r.every == 2)
        #expect(r.after == 1)
        #expect(r.from == 100)
        #expect(r.until == 200)
        #expect(r.probability == 0.25)
        #expect(r.seed == 42)
        #expect(r.id == "mine")
        #expect(try FaultMake.rule("500 times=5").first == 5)
        #expect(try FaultMake.rule("500 p=0.5").probability == 0.5)
        #expect(try FaultMake.rule("500 after=0").after == 0)
        #expect(try FaultMake.rule("latency 1s..2s seed=7").seed == 7, "a random latency takes a seed without probability")
    }

    @Test func parse_namesAreCaseInsensitiveAndDashEqualsUnderscore() throws {
        let r = try FaultMake.rule("429 Retry-After=3 RETRY-AFTER-MS=10 Should-Retry=TRUE After-Events=2 TIMES=1")
        #expect(r.retryAfter == 3)
        #expect(r.retryAfterMillis == 10)
        #expect(r.shouldRetry == true)
        #expect(r.afterEvents == 2)
        #expect(r.first == 1)
        #expect(try FaultMake.rule("RESET").action == .reset)
        #expect(try FaultMake.rule("Stall For=1s").stallMillis == 1000)
    }

    @Test func parse_commasSeparateOptionsButNotInsideNormal() throws {
        let r = try FaultMake.rule("503,first=2,latency=normal(300ms,20ms),model=gpt-*")
        #expect(r.status == 503)
        #expect(r.first == 2)
        #expect(r.latency == .normal(300, 20))
        #expect(r.models == ["gpt-*"])
    }

    @Test func parse_quotedValuesKeepSpacesAndEscapedQuotes() throws {
        let r = try FaultMake.rule(#"500 message="the \"upstream\" is down, sorry" session="my session""#)
        #expect(r.message == #"the "upstream" is down, sorry"#)
        #expect(r.session == "my session")
        #expect(try FaultMake.rule("500 message=\"\"").message == "")
    }

    @Test func parse_relativeTimesResolveAgainstNow() throws {
        let r = try FaultMake.rule("500 from=+30s until=+5m", now: 1_000)
        #expect(r.from == 1_030)
        #expect(r.until == 1_300)
        let absolute = try FaultMake.rule("500 from=2026-01-04T07:11:00Z until=2026-01-04T09:11:00+01:00", now: 1_000)
        #expect(absolute.from == 1_767_510_660)
        #expect(absolute.until == 1_767_514_260, "09:11 at +01:00 is 08:11Z")
        #expect(FaultMake.rejection("500 from=2026-01-04T07:11:00Z until=2026-01-04T08:11:00+01:00") == "until: must be after from")
        #expect(try FaultMake.rule("500 from=1767510660").from == 1_767_510_660)
    }

    @Test func parse_faultAsAnOptionInTheTextForm() throws {
        let r = try FaultMake.rule("fault=429 first=1")
        #expect(r.status == 429)
        #expect(r.first == 1)
        #expect(try FaultMake.rule("fault=empty").action == .cut)
    }

    // MARK: canonical text

    static let canonical: [(String, String)] = [
        ("429", "429"),
        ("429 retry_after=2 should_retry=true model=gpt-* first=3", "429 retry_after=2 should_retry=true model=gpt-* first=3"),
        ("503 attempt=first", "503 attempt=first"),
        ("latency 100ms..300ms seed=7 surface=chat|responses", "latency 100ms..300ms surface=chat|responses seed=7"),
        ("reset after_events=5 stream=true probability=0.1 seed=42", "reset after_events=5 stream=true probability=0.1 seed=42"),
        ("error", "500"),
        ("error status=503 retry_after=none", "503"),
        ("empty", "cut"),
        ("delay latency=2s", "latency 2s"),
        ("stall for=5s after_events=3", "stall for=5s after_events=3"),
        ("stall 1500ms", "stall for=1500ms"),
        ("end after_events=4 surface=messages", "end after_events=4 surface=messages"),
        ("garbage", "garbage bytes=64"),
        ("garbage bytes=16 path=/v1/*", "garbage bytes=16 path=/v1/*"),
        ("malformed after_events=2 stream=true", "malformed after_events=2 stream=true"),
        ("drip tps=5 ttft=1s", "drip tps=5 ttft=1s"),
        ("drip", "drip tps=2"),
        ("reset on=accept every=10", "reset on=accept every=10"),
        ("cut on=accept connection=3", "cut on=accept connection=3"),
        (#"429 retry_after_ms=50 code=slow_down message="please wait" first=2"#, #"429 retry_after_ms=50 code=slow_down message="please wait" first=2"#),
        ("503 latency=normal(200ms,50ms) seed=9 p=0.5", "503 latency=normal(200ms,50ms) probability=0.5 seed=9"),
        ("latency lognormal(200ms,0.5) key=key_default|sk-x method=post|get", "latency lognormal(200ms,0.5) key=key_default|sk-x method=POST|GET"),
        (#"500 session="team a" attempt=retries stream=false seq=4"#, #"500 session="team a" attempt=retry stream=false seq=4"#),
        ("502 attempt=3 every=2 after=4 from=100 until=200", "502 attempt=3 every=2 after=4 from=100 until=200"),
        ("LATENCY 250MS Times=2", "latency 250ms first=2"),
        ("504, should-retry=false, first=1", "504 should_retry=false first=1"),
        (#"500 message="say \"hi\" now""#, #"500 message="say \"hi\" now""#),
        ("latency 1.5s", "latency 1500ms"),
        ("latency 1m", "latency 60s"),
        ("latency 0", "latency 0ms"),
        ("429 probability=1", "429 probability=1.0"),
        ("reset on=request", "reset"),
        ("400 retry_after=0 surface=gemini", "400 retry_after=0 surface=gemini"),
        // Found by the fault-grammar fuzzer: a code with a space was written unquoted and did not parse back.
        (#"503 code="gpu lost""#, #"503 code="gpu lost""#),
    ]

    @Test func text_quotesABackslashFollowedByACombiningMark() throws {
        let r = try FaultMake.rule("500 message=\"x\\\\\u{034E}y\"")
        let expected = "x\\\u{034E}y"  // the macro cannot hold this literal itself
        #expect(r.message == expected)
        #expect(try FaultMake.rule(r.text).message == r.message)
    }

    @Test func text_splitsNameAndValueAtAnEqualsSignFollowedByACombiningMark() throws {
        let r = try FaultMake.rule("429 model=\"\u{0360}x*\" retry_after=3")
        #expect(r.models == ["\u{0360}x*"])
        #expect(r.text.contains("model="))
        #expect(try FaultMake.rule(r.text).text == r.text)
    }

    @Test func text_splitsAListAtABarFollowedByACombiningMark() throws {
        let r = try FaultMake.rule("503 model=\"a|\u{0360}b\"")
        #expect(r.models == ["a", "\u{0360}b"])
        #expect(try FaultMake.rule(r.text).models == r.models)
    }

    @Test(arguments: canonical)
    func text_isCanonicalAndRoundTrips(_ spec: String, _ expected: String) throws {
        let r = try FaultMake.rule(spec)
        #expect(r.text == expected)
        let again = try FaultMake.rule(r.text)
        #expect(again.text == r.text)
        #expect(again.actionText == r.actionText)
        #expect(again.stage == r.stage)
    }

    @Test(arguments: ["(x", "x)", "a;b", "a,b", "tab\there", "", "back\\slash", #"quote""#, "naïve café", "a=b"])
    func text_quotesAnyMessageOrSessionSoItParsesBack(_ value: String) throws {
        var r = try FaultMake.rule("500")
        r.message = value
        r.session = value.isEmpty ? "s" : value
        let again = try FaultMake.rule(r.text)
        #expect(again.message == value, "text: \(r.text)")
        #expect(again.session == r.session, "text: \(r.text)")
    }

    @Test func actionText_excludesSelectorsAndSchedule() throws {
        let r = try FaultMake.rule("429 retry_after=1 latency=1s model=gpt-* session=s attempt=first stream=false seq=2 "
            + "first=1 every=1 after=0 from=1 until=9 probability=0.5 seed=3")
        #expect(r.actionText == "429 latency=1s retry_after=1")
        #expect(try FaultMake.rule("stall for=2s after_events=1 surface=chat").actionText == "stall for=2s after_events=1")
        #expect(try FaultMake.rule("reset on=accept connection=2 first=1").actionText == "reset on=accept")
        #expect(try FaultMake.rule("drip tps=3 ttft=250ms stream=true").actionText == "drip tps=3 ttft=250ms")
        #expect(try FaultMake.rule("garbage bytes=8 path=/x").actionText == "garbage bytes=8")
        #expect(try FaultMake.rule("end after_events=0 model=m").actionText == "end after_events=0")
    }

    // MARK: rule lists (the header)

    @Test func parseList_splitsOnSemicolonsOutsideQuotes() throws {
        let rules = try FaultRule.parseList(#"latency 100ms; 500 message="a; b" first=1 ;; "#, origin: "header", now: 0)
        #expect(rules.count == 2)
        #expect(rules[0].latency == .fixed(100))
        #expect(rules[1].message == "a; b")
        #expect(rules.allSatisfy { $0.origin == "header" })
        #expect(throws: FaultSpecError.self) { try FaultRule.parseList(" ; ", origin: "header", now: 0) }
        #expect(throws: FaultSpecError.self) { try FaultRule.parseList("500; 600", origin: "header", now: 0) }
    }

    @Test func parseList_escapedQuoteDoesNotEndTheQuotedValue() throws {
        // The message `a";b` renders as `message="a\";b"`; the header form must read it back as one rule.
        var r = try FaultMake.rule("500")
        r.message = #"a";b"#
        let rules = try FaultRule.parseList(r.text + "; 429", origin: "header", now: 0)
        #expect(rules.count == 2)
        #expect(rules.first?.message == #"a";b"#)
    }

    // MARK: JSON form

    static let jsonEqualsText: [(String, String)] = [
        (#"{"fault": 429, "retry_after": 1, "path": "/v1/chat/*", "id": "chat429"}"#, "429 retry_after=1 path=/v1/chat/*"),
        (#"{"fault": "429", "first": 1}"#, "429 first=1"),
        (#"{"fault": "latency", "latency": "100ms..300ms", "seed": 7, "surface": ["chat", "responses"]}"#,
         "latency 100ms..300ms seed=7 surface=chat|responses"),
        (#"{"fault": "reset", "after_events": 5, "stream": true, "probability": 0.1, "seed": 42}"#,
         "reset after_events=5 stream=true probability=0.1 seed=42"),
        (#"{"fault": 503, "attempt": "first", "session": "team a", "model": ["gpt-*", "claude-*"], "method": "post"}"#,
         #"503 attempt=first session="team a" model=gpt-*|claude-* method=POST"#),
        (#"{"fault": "error", "status": 502, "should-retry": false, "message": "say \"x\""}"#,
         #"502 should_retry=false message="say \"x\"""#),
        (#"{"fault": "stall", "for": "2s", "after_events": 1, "times": 3}"#, "stall for=2s after_events=1 first=3"),
        (#"{"fault": "drip", "tps": 2.5, "ttft": "1s", "stream": true}"#, "drip tps=2.5 ttft=1s stream=true"),
        (#"{"fault": "reset", "on": "accept", "connection": 4}"#, "reset on=accept connection=4"),
        (#"{"fault": 429, "model": null, "p": 1}"#, "429 probability=1"),
        (#"{"fault": "empty", "every": 2, "after": 1, "from": 10, "until": 20}"#, "cut every=2 after=1 from=10 until=20"),
    ]

    @Test(arguments: jsonEqualsText)
    func json_objectFormEqualsTheTextForm(_ json: String, _ spec: String) throws {
        let fromJSON = try FaultMake.rule(json: json)
        let fromText = try FaultMake.rule(spec)
        #expect(fromJSON.text == fromText.text)
        #expect(fromJSON.origin == "fixture")
    }

    @Test func json_idNamesTheRuleAndAStringIsTheGrammar() throws {
        #expect(try FaultMake.rule(json: #"{"fault": 429, "id": "chat429"}"#).id == "chat429")
        #expect(try FaultMake.rule(json: #"{"fault": 429}"#).id == "")
        let s = try FaultMake.rule(json: #""503 first=2 id=x""#)
        #expect(s.text == "503 first=2")
        #expect(s.id == "x")
        let rel = try FaultMake.rule(json: #"{"fault": 500, "from": "+1m"}"#, now: 50)
        #expect(rel.from == 110)
    }

    @Test(arguments: [
        (#"{"first": 1}"#, "fault: required field is missing"),
        (#"{"fault": 429, "id": ""}"#, "id: expected a non-empty string"),
        (#"{"fault": 429, "id": 7}"#, "id: expected a non-empty string"),
        (#"{"fault": 429, "first": {"n": 1}}"#, "first: expected a string, number or boolean, found an object"),
        (#"{"fault": 429, "model": ["gpt-*", 3]}"#, "model: expected a string or a list of strings"),
        (#"{"fault": 600}"#, "fault: status 600 is not an HTTP error status"),
        (#"{"fault": 429.5}"#, "fault: unknown fault '429.5'"),
        (#"{"fault": 429, "bogus": true}"#, "bogus: unknown option"),
        (#"{"fault": 429, "first": 1, "times": 2}"#, "times: given twice"),
        ("7", "expected a fault spec string or an object"),
        ("[\"429\"]", "expected a fault spec string or an object"),
    ])
    func json_rejectionsNameTheField(_ json: String, _ message: String) throws {
        let got = FaultMake.rejection(json: try FaultMake.json(json))
        #expect(got?.contains(message) == true, "got \(got ?? "no error")")
    }

    // MARK: rejections

    static let rejections: [(String, String)] = [
        ("", "empty fault spec"),
        ("first=1", "'first=1' is not a fault"),
        ("foo", "fault: unknown fault 'foo'"),
        ("600", "fault: status 600 is not an HTTP error status (400-599)"),
        ("399", "fault: status 399 is not an HTTP error status"),
        ("error status=302", "status: expected an HTTP error status (400-599), found '302'"),
        ("429 bogus=1", "bogus: unknown option"),
        ("429 latency", "unexpected 'latency'"),
        ("429 first=1 times=2", "times: given twice"),
        ("429 retry-after=1 retry_after=2", "retry_after: given twice"),
        ("429 retry_after=abc", "retry_after: expected whole seconds (0 or more) or none, found 'abc'"),
        ("429 retry_after_ms=-1", "retry_after_ms: expected milliseconds"),
        ("429 should_retry=maybe", "should_retry: expected true or false, found 'maybe'"),
        ("drip tps=5 retry_after=1", "retry_after: only status faults (and error) take it"),
        ("latency 1s message=x", "message: only status faults"),
        ("cut for=1s", "for: only stall, window_stall and data_stall faults take it"),
        ("429 at=running", "at: only fail faults take it"),
        ("fail at=100%", "at: expected pending, running or a progress percent from 0 to 99, found '100%'"),
        ("fail at=soon", "at: expected pending, running or a progress percent"),
        ("fail surface=chat", "surface: fail acts on async tasks only (surface=tasks)"),
        ("fail after_events=2", "after_events: fail acts on the task's timeline; use at="),
        ("429 tps=3", "tps: only drip faults take it"),
        ("429 bytes=3", "bytes: only garbage faults take it"),
        ("latency 100ms after_events=2", "after_events: latency faults act before the head"),
        ("garbage after_events=1", "after_events: garbage faults"),
        ("drip after_events=1", "after_events: drip faults"),
        ("429 on=accept", "on: only reset and cut (empty) can act on accept"),
        ("429 on=later", "on: expected accept or request, found 'later'"),
        ("reset on=accept model=gpt-*", "model: nothing of the request is known on accept"),
        ("cut on=accept session=s", "session: nothing of the request is known on accept"),
        ("reset on=accept latency=1s", "latency: nothing of the request is known on accept"),
        ("reset on=accept after_events=1", "after_events: nothing of the request is known on accept"),
        ("reset connection=2", "connection: only on=accept rules select by connection"),
        ("500 from=200 until=100", "until: must be after from"),
        ("500 from=200 until=200", "until: must be after from"),
        ("500 seed=7", "seed: only probability and random latencies use a seed"),
        ("latency 1s seed=7", "seed: only probability and random latencies use a seed"),
        ("latency 11m", "latency: '11m' is not a duration up to 10 minutes"),
        ("latency 601s", "latency: '601s' is not a duration up to 10 minutes"),
        ("stall for=600001ms", "for: '600001ms' is not a duration up to 10 minutes"),
        ("drip ttft=20m", "ttft: '20m' is not a duration"),
        ("latency -5ms", "latency: '-5ms' is not a duration"),
        ("latency soon", "latency: 'soon' is not a duration"),
        ("latency 1s..11m", "latency: '11m' is not a duration"),
        ("latency 300ms..100ms", "latency: the range 300ms..100ms runs backwards"),
        ("latency lognormal(200ms,6)", "latency: lognormal sigma must be a number from 0 to 5, found '6'"),
        ("latency lognormal(200ms,-1)", "lognormal sigma must be a number from 0 to 5"),
        ("latency normal(1s)", "latency: write normal(MEAN,SD) or lognormal(MEDIAN,SIGMA)"),
        ("latency normal(11m,1s)", "latency: '11m' is not a duration"),
        ("latency", "latency: required"),
        ("stall after_events=2", "for: required for stall"),
        (#"500 message="oops"#, "unterminated quote"),
        ("latency normal(1s,2s", "unbalanced parentheses"),
        ("429 first=0", "first: expected a whole number (1 or more), found '0'"),
        ("429 every=-2", "every: expected a whole number (1 or more)"),
        ("429 after=-1", "after: expected a number of requests (0 or more)"),
        ("429 seq=x", "seq: expected a whole number (1 or more)"),
        ("reset on=accept connection=0", "connection: expected a whole number (1 or more)"),
        ("429 probability=1.5", "probability: expected a probability from 0 to 1, found '1.5'"),
        ("429 p=-0.1", "p: expected a probability from 0 to 1"),
        ("429 probability=0.5 seed=-1", "seed: expected a non-negative integer"),
        ("429 surface=foo", "surface: unknown surface 'foo'"),
        ("429 attempt=0", "attempt: expected first, retry or an attempt number"),
        ("429 stream=maybe", "stream: expected true or false, found 'maybe'"),
        ("429 session=", "session: expected a session name"),
        ("429 id=", "id: expected a rule id"),
        ("garbage bytes=0", "bytes: expected a byte count from 1 to 65536, found '0'"),
        ("garbage bytes=65537", "bytes: expected a byte count from 1 to 65536"),
        ("drip tps=0", "tps: expected tokens per second from 0.1 to 1000000, found '0'"),
        ("429 from=yesterday", "from: expected Unix seconds, RFC 3339 or +DURATION (virtual clock), found 'yesterday'"),
        ("429 until=+11m", "until: '11m' is not a duration"),
        ("429 after_events=-1", "after_events: expected a number of events (0 or more)"),
    ]

    @Test(arguments: rejections)
    func parse_rejectsWithAMessageNamingTheMistake(_ spec: String, _ message: String) {
        let got = FaultMake.rejection(spec)
        #expect(got?.contains(message) == true, "'\(spec)' → \(got ?? "accepted")")
    }

    // MARK: delays

    @Test func delay_fixedSamplesItself() {
        for (u1, u2) in [(0.0, 0.0), (0.5, 0.25), (0.999, 0.999)] {
            #expect(Delay.fixed(250).sample(u1, u2) == 250)
        }
        #expect(!Delay.fixed(1).isRandom)
        #expect(Delay.uniform(1, 2).isRandom && Delay.normal(1, 2).isRandom && Delay.lognormal(1, 0.5).isRandom)
    }

    static let grid: [Double] = (0..<50).map { Double($0) / 50 } + [0.999_999, 1e-15]

    @Test func delay_uniformStaysWithinItsBounds() {
        let d = Delay.uniform(100, 300)
        var seen = Set<Int>()
        for u1 in Self.grid { for u2 in Self.grid {
            let v = d.sample(u1, u2)
            #expect((100..<300).contains(v), "u1=\(u1) → \(v)")
            seen.insert(v)
        } }
        #expect(d.sample(0, 0.7) == 100)
        #expect(d.sample(0.5, 0.1) == 200)
        #expect(seen.count >= 50, "the draws spread over the range")
        #expect(Delay.uniform(200, 200).sample(0.7, 0.7) == 200)
    }

    @Test func delay_normalIsCenteredAndClampsAtZero() {
        #expect(Delay.normal(200, 50).sample(0.3, 0.25) == 200, "cos(π/2) = 0: the mean")
        var clamped = 0
        for u1 in Self.grid { for u2 in Self.grid {
            let v = Delay.normal(10, 1000).sample(u1, u2)
            #expect(v >= 0)
            if v == 0 { clamped += 1 }
        } }
        #expect(clamped > 0, "a wide normal around 10ms hits the clamp")
    }

    @Test func delay_lognormalIsCenteredOnTheMedianAndCappedAt10Minutes() {
        #expect(Delay.lognormal(200, 0.5).sample(0.3, 0.25) == 200)
        var capped = 0
        // u1 ≥ 0.02 here; the extreme draws (u1 → 0) are the exit test below.
        let moderate = (1..<50).map { Double($0) / 50 }
        for u1 in moderate { for u2 in Self.grid {
            let v = Delay.lognormal(300_000, 5).sample(u1, u2)
            #expect(v <= 600_000)
            #expect(v >= 0)
            if v == 600_000 { capped += 1 }
        } }
        #expect(capped > 0)
        #expect(Delay.lognormal(1000, 0).sample(0.01, 0.9) == 1000, "sigma 0 is the median")
    }

    /// The engine's draws reach u1 = 0 (clamped to 1e-12 inside); the largest accepted lognormal
    /// (10 minutes, sigma 5) must still give the 10-minute cap rather than trap converting to Int.
    @Test func delay_lognormalExtremeDrawIsCappedNotATrap() async {
        await #expect(processExitsWith: .success) {
            precondition(Delay.lognormal(600_000, 5).sample(0, 0) == 600_000)
            precondition(Delay.lognormal(600_000, 5).sample(1e-9, 0) == 600_000)
            precondition(Delay.lognormal(1000, 5).sample(1e-15, 0.999_999) == 600_000)
        }
    }

    @Test func delay_textRendering() {
        #expect(Delay.fixed(1000).text == "1s")
        #expect(Delay.fixed(250).text == "250ms")
        #expect(Delay.fixed(1500).text == "1500ms")
        #expect(Delay.fixed(0).text == "0ms")
        #expect(Delay.fixed(120_000).text == "120s")
        #expect(Delay.uniform(100, 2000).text == "100ms..2s")
        #expect(Delay.normal(200, 50).text == "normal(200ms,50ms)")
        #expect(Delay.lognormal(2000, 0.5).text == "lognormal(2s,0.5)")
        #expect(Delay.lognormal(200, 1).text == "lognormal(200ms,1.0)")
    }
}

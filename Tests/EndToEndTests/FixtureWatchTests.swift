import Glibc
import Testing
import TestSupport

/// `--watch` and `--check-fixtures` on the real binary: edits to the fixture files take effect
/// for the next request, a broken edit keeps the running set and logs every problem, and the
/// journal and ledger survive reloads.
@Suite(.serialized) struct FixtureWatchTests {
    static func model(_ id: String) -> String {
        #"{"id":"\#(id)","owned_by":"acme","family":"acme","kind":"text","capabilities":["text","streaming"],"context_window":8000,"max_output_tokens":500,"input_modalities":["text"],"output_modalities":["text"],"created":1700000000}"#
    }

    static let account = #"{"id":"acct_watch","kind":"personal","name":"Watch","balance":10,"concurrency":2}"#

    static func key(_ id: String, quota: Int) -> String {
        #"{"id":"\#(id)","name":"\#(id)","secret":"sk-watch-\#(id)-000001","group":"default","account":"acct_watch","quota":\#(quota)}"#
    }

    func post(_ mock: MockProcess, _ secret: String, _ text: String) throws -> TestClient.Response {
        let body = #"{"model":"gpt-5-4","messages":[{"role":"user","content":"\#(text)"}]}"#
        let c = try TestClient(port: mock.port)
        try c.send("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(secret)\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body)
        return try c.readResponse()
    }

    func models(_ mock: MockProcess) -> String {
        (try? mock.request("/v1/models", ["Authorization": "Bearer sk-byts-default-test-key-0001"]).text) ?? ""
    }

    @Test func watch_goodEditServesTheNewModel_brokenEditKeepsTheRunningSet_journalAndLedgerKept() throws {
        let dir = makeTempDirectory()
        writeText(dir + "/catalog.json", #"{"models":[]}"#)
        let mock = try MockProcess(["--fixtures", dir, "--watch"])
        defer { _ = mock.stop() }
        let first = try post(mock, "sk-byts-default-test-key-0001", "before any reload")
        #expect(first.status == 200)
        let firstID = try #require(first.header("x-request-id"))
        #expect(!models(mock).contains("acme-hot"))

        writeText(dir + "/catalog.json", #"{"models":[\#(Self.model("acme-hot"))]}"#)
        #expect(waitUntil(10) { models(mock).contains(#""id":"acme-hot""#) }, "\(mock.child.stderr)")
        #expect(mock.child.stderr.contains("fixtures reloaded from \(dir)"))

        // Broken in two files at once: nothing changes, and every problem is on stderr.
        writeText(dir + "/keys.json", #"{"keys":[{"id":"x","secrett":"sk-nope-000000001"}]}"#)
        writeText(dir + "/catalog.json", #"{"models":[\#(Self.model("acme-hot")), {"id":"acme-broken","kind":"txt"}]}"#)
        #expect(waitUntil(10) { mock.child.stderr.contains("not reloaded; still serving the previous set") }, "\(mock.child.stderr)")
        let log = mock.child.stderr
        #expect(log.contains("\(dir)/catalog.json: models[1].kind: unknown model kind 'txt' (did you mean 'text'?)"), "\(log)")
        #expect(log.contains("\(dir)/catalog.json: models[1].owned_by: required field is missing"), "\(log)")
        #expect(log.contains("\(dir)/keys.json: keys[0].secrett: unknown field (did you mean 'secret'?)"), "\(log)")
        #expect(models(mock).contains(#""id":"acme-hot""#))
        #expect(!models(mock).contains("acme-broken"))

        // The journal and the ledger still hold the request from before the reloads.
        #expect(try mock.request("/__mock/journal/\(firstID)").status == 200)
        let usage = try mock.request("/v1/usage", ["Authorization": "Bearer sk-byts-default-test-key-0001"]).text
        #expect(usage.contains(firstID), "\(usage)")
        #expect(try post(mock, "sk-byts-default-test-key-0001", "after the reloads").status == 200)
    }

    @Test func watch_keyEditKeepsSpend_removedKeyStopsAuthenticating() throws {
        let dir = makeTempDirectory()
        writeText(dir + "/keys.json", #"{"accounts":[\#(Self.account)],"keys":[\#(Self.key("a", quota: 1))]}"#)
        let mock = try MockProcess(["--fixtures", dir, "--watch"])
        defer { _ = mock.stop() }
        let billed = try post(mock, "sk-watch-a-000001", "spend a little")
        #expect(billed.status == 200)
        let spent = Self.field("spent_usd", try mock.request("/v1/balance", ["Authorization": "Bearer sk-watch-a-000001"]).text)
        #expect(spent != nil && spent != "0")

        // Raise the quota and the account's concurrency, add a key.
        writeText(dir + "/keys.json", #"{"accounts":[\#(Self.account.replacingConcurrency(7))],"keys":[\#(Self.key("a", quota: 2)), \#(Self.key("b", quota: 0))]}"#)
        #expect(waitUntil(10) { (try? mock.request("/v1/balance", ["Authorization": "Bearer sk-watch-b-000001"]).status) == 200 }, "\(mock.child.stderr)")
        let balance = try mock.request("/v1/balance", ["Authorization": "Bearer sk-watch-a-000001"]).text
        #expect(balance.contains(#""concurrency_limit":7"#), "\(balance)")
        #expect(balance.contains(#""quota_usd":2"#), "\(balance)")
        #expect(Self.field("spent_usd", balance) == spent, "spend kept: \(balance)")

        // Remove key a: it is unknown from the next request on; its ledger rows stay.
        writeText(dir + "/keys.json", #"{"accounts":[\#(Self.account)],"keys":[\#(Self.key("b", quota: 0))]}"#)
        #expect(waitUntil(10) { (try? mock.request("/v1/models", ["Authorization": "Bearer sk-watch-a-000001"]).status) == 401 })
        #expect(try mock.request("/v1/models", ["Authorization": "Bearer sk-watch-b-000001"]).status == 200)
        let usage = try mock.request("/v1/usage", ["Authorization": "Bearer sk-watch-b-000001"]).text
        #expect(usage.contains(try #require(billed.header("x-request-id"))), "\(usage)")
    }

    @Test func watch_repliesAndFaultsEditsApplyToTheNextRequest() throws {
        let dir = makeTempDirectory()
        writeText(dir + "/replies.json", #"{"replies":[]}"#)
        let mock = try MockProcess(["--fixtures", dir, "--watch"])
        defer { _ = mock.stop() }
        writeText(dir + "/replies.json", #"{"replies":[{"id":"hot","match":{"contains":"ping"},"reply":{"text":"pong from a reloaded rule"}}]}"#)
        #expect(waitUntil(10) { (try? post(mock, "sk-byts-default-test-key-0001", "ping"))?.text.contains("pong from a reloaded rule") == true },
                "\(mock.child.stderr)")
        writeText(dir + "/faults.json", #"{"faults":["503 path=/v1/models"]}"#)
        #expect(waitUntil(10) { (try? mock.request("/v1/models", ["Authorization": "Bearer sk-byts-default-test-key-0001"]).status) == 503 },
                "\(mock.child.stderr)")
        writeText(dir + "/faults.json", #"{"faults":[]}"#)
        #expect(waitUntil(10) { (try? mock.request("/v1/models", ["Authorization": "Bearer sk-byts-default-test-key-0001"]).status) == 200 })
    }

    /// An editor's burst (a half-written file, then the whole) is one reload of the final text.
    @Test func watch_debouncesABurstOfWritesIntoOneReload() throws {
        let dir = makeTempDirectory()
        writeText(dir + "/catalog.json", #"{"models":[]}"#)
        let mock = try MockProcess(["--fixtures", dir, "--watch"])
        defer { _ = mock.stop() }
        let full = #"{"models":[\#(Self.model("acme-burst"))]}"#
        writeText(dir + "/catalog.json", String(full.prefix(40)))
        usleep(10_000)
        writeText(dir + "/catalog.json", String(full.prefix(90)))
        usleep(10_000)
        writeText(dir + "/catalog.json", full)
        #expect(waitUntil(10) { models(mock).contains(#""id":"acme-burst""#) }, "\(mock.child.stderr)")
        usleep(400_000)
        let log = mock.child.stderr
        #expect(log.components("fixtures reloaded from") == 1, "\(log)")
        #expect(!log.contains("not reloaded"), "\(log)")
    }

    /// `"name":value` of a flat JSON text.
    static func field(_ name: String, _ json: String) -> String? {
        guard let start = json.firstRange(of: "\"\(name)\":")?.upperBound else { return nil }
        return String(json[start...].prefix { $0 != "," && $0 != "}" })
    }

    @Test func watch_withoutFixturesDirectory_exitsWith2() throws {
        let child = try ChildProcess(MockProcess.binary, ["--port", "0", "--watch"])
        #expect(child.waitExit(seconds: 10) == 2)
        #expect(child.stderr.contains("--watch needs --fixtures DIR"), "\(child.stderr)")
    }

    @Test func checkFixtures_printsEveryProblemInEveryFileAndExits2() throws {
        let dir = makeTempDirectory()
        writeText(dir + "/catalog.json", #"{"models":[{"id":"m","kind":"txt","capabilites":["text"]}]}"#)
        writeText(dir + "/keys.json", #"{"keys":[{"id":"k","name":"k","secret":"sk-short","group":"defualt","account":"acct_ada","ip_whitelist":["10.0.0.0/33"]}]}"#)
        writeText(dir + "/key.json", "{}")
        let child = try ChildProcess(MockProcess.binary, ["--check-fixtures", "--fixtures", dir])
        #expect(child.waitExit(seconds: 10) == 2)
        let err = child.stderr
        for line in [
            "\(dir)/catalog.json: models[0].owned_by: required field is missing",
            "\(dir)/catalog.json: models[0].family: required field is missing",
            "\(dir)/catalog.json: models[0].capabilites: unknown field (did you mean 'capabilities'?)",
            "\(dir)/catalog.json: models[0].kind: unknown model kind 'txt' (did you mean 'text'?). Valid values: text, image, video",
            "\(dir)/keys.json: keys[0].group: no routing group named 'defualt' (did you mean 'default'?)",
            "\(dir)/keys.json: keys[0].ip_whitelist[0]: '10.0.0.0/33' is not an IP address or CIDR network",
            "\(dir)/key.json: (file): not a fixture file name (did you mean 'keys.json'?)",
        ] {
            #expect(err.contains(line), "missing: \(line)\n\(err)")
        }
        #expect(child.stdout.isEmpty)
    }

    @Test func checkFixtures_goodDirectoryPrintsFixturesOkAndExits0_emptyOneExits2() throws {
        let dir = makeTempDirectory()
        writeText(dir + "/catalog.json", #"{"models":[\#(Self.model("acme-ok"))]}"#)
        let good = try ChildProcess(MockProcess.binary, ["--check-fixtures", "--fixtures", dir])
        #expect(good.waitExit(seconds: 10) == 0)
        #expect(good.stdout.hasPrefix("fixtures ok: "), "\(good.stdout) \(good.stderr)")
        let empty = makeTempDirectory()
        let bad = try ChildProcess(MockProcess.binary, ["--check-fixtures", "--fixtures", empty])
        #expect(bad.waitExit(seconds: 10) == 2)
        #expect(bad.stderr.contains("\(empty): (directory): holds no fixture file"), "\(bad.stderr)")
    }
}

extension String {
    /// How often `needle` occurs.
    func components(_ needle: String) -> Int {
        var n = 0, rest = self[...]
        while let r = rest.firstRange(of: needle) { n += 1; rest = rest[r.upperBound...] }
        return n
    }

    /// The account fixture with another `concurrency`.
    func replacingConcurrency(_ n: Int) -> String {
        var parts = split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        for i in parts.indices where parts[i].hasPrefix(#""concurrency":"#) { parts[i] = #""concurrency":\#(n)}"# }
        return parts.joined(separator: ",")
    }
}

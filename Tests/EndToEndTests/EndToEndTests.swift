#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
import Testing
import TestSupport

/// The built binary, over HTTP, compared field by field with the fixture files.
@Suite(.serialized) struct EndToEndTests {
    let fixtures = try! Fixtures()

    @Test func startup_printsTheListeningLineAndStopsCleanlyOnSIGTERM() throws {
        let mock = try MockProcess()
        #expect(waitUntil { mock.child.stdout.contains("listening") })
        #expect(mock.child.stdout == "bytespike-mock listening on http://127.0.0.1:\(mock.port)\n")
        #expect(try mock.request("/__mock/health").status == 200)
        #expect(mock.stop() == 0)
    }

    static let keyIDs = ["key_default", "key_claude", "key_gemini", "key_org", "key_admin", "key_tiny", "key_ratelimited", "key_broke"]
    static let filters: [(String, @Sendable (Fixtures.Model) -> Bool)] = [
        ("", { _ in true }),
        ("?capability=vision", { $0.capabilities.contains("vision") }),
        ("?capability=vision&capability=tool_use", { $0.capabilities.contains("vision") && $0.capabilities.contains("tool_use") }),
        ("?capability=video_gen", { $0.capabilities.contains("video_gen") }),
        ("?family=anthropic", { $0.owned_by == "anthropic" }),
        ("?family=claude", { $0.family == "claude" }),
        ("?family=google", { $0.owned_by == "google" }),
        ("?family=bytedance&capability=image_gen", { $0.owned_by == "bytedance" && $0.capabilities.contains("image_gen") }),
        ("?family=nonexistent", { _ in false }),
        ("?capability=teleportation", { _ in false }),
    ]

    @Test func models_everyKeyAndFilterMatchesTheFixtureFieldByField() throws {
        let mock = try MockProcess()
        defer { _ = mock.stop() }
        for id in Self.keyIDs {
            let key = fixtures.key(id)
            let inGroup = fixtures.models(inGroup: key.group)
            for (query, keep) in Self.filters {
                let r = try mock.request("/v1/models" + query, ["Authorization": "Bearer \(key.secret)"])
                #expect(r.status == 200, "\(id) \(query)")
                let list = try JSONDecoder().decode(ModelList.self, from: Data(r.body))
                #expect(list.object == "list")
                let expected = inGroup.filter(keep).map { m -> Fixtures.Model in
                    var e = m
                    e.object = "model"
                    e.pricing_url = m.pricing_url ?? "https://bytespike.ai/pricing#\(m.id)"
                    return e
                }
                #expect(list.data == expected, "\(id) \(query)")
            }
        }
    }

    @Test func models_bodyCarriesExactlyTheDocumentedFields() throws {
        let mock = try MockProcess()
        defer { _ = mock.stop() }
        let r = try mock.request("/v1/models?family=claude", ["x-api-key": fixtures.key("key_default").secret])
        let text = String(decoding: r.body, as: UTF8.self)
        #expect(text.hasPrefix(#"{"object":"list","data":[{"id":"#))
        let object = try #require(text.dropFirst(#"{"object":"list","data":["#.count).split(separator: "}").first)
        let keys = object.split(separator: "\"").enumerated().filter { $0.offset % 2 == 1 }.map(\.element)
            .filter { ["id", "object", "owned_by", "family", "capabilities", "context_window", "max_output_tokens",
                       "input_modalities", "output_modalities", "pricing_url", "created"].contains(String($0)) }
        #expect(keys.map(String.init) == ["id", "object", "owned_by", "family", "capabilities", "context_window",
                                         "max_output_tokens", "input_modalities", "output_modalities", "pricing_url", "created"])
    }

    @Test(arguments: [
        ([:], 401, "authentication_error", "invalid_api_key"),
        (["Authorization": "Bearer sk-byts-unknown"], 401, "authentication_error", "invalid_api_key"),
        (["Authorization": "Bearer sk-byts-revoked-test-key-0001"], 401, "authentication_error", "invalid_api_key"),
        (["x-api-key": "sk-byts-expired-test-key-0001"], 401, "authentication_error", "invalid_api_key"),
        (["Authorization": "Bearer sk-byts-paused-test-key-0001"], 403, "permission_error", "permission_denied"),
        (["Authorization": "Bearer sk-byts-ip-restricted-key-0001"], 403, "permission_error", "permission_denied"),
    ] as [([String: String], Int, String, String)])
    func models_authFailuresHaveTheirStatusAndEnvelope(_ headers: [String: String], _ status: Int, _ type: String, _ code: String) throws {
        let mock = try MockProcess()
        defer { _ = mock.stop() }
        let r = try mock.request("/v1/models", headers)
        #expect(r.status == status)
        let body = try JSONDecoder().decode(ErrorBody.self, from: Data(r.body))
        #expect(body.error.type == type)
        #expect(body.error.code == code)
        #expect(!body.error.message.isEmpty)
        #expect(r.header("content-type") == "application/json")
    }

    @Test func xApiKeyWinsOverBearer() throws {
        let mock = try MockProcess()
        defer { _ = mock.stop() }
        let good = fixtures.key("key_claude").secret
        let r = try mock.request("/v1/models", ["x-api-key": good, "Authorization": "Bearer sk-byts-revoked-test-key-0001"])
        #expect(r.status == 200)
        let list = try JSONDecoder().decode(ModelList.self, from: Data(r.body))
        #expect(list.data.map(\.id) == fixtures.models(inGroup: "claude-default").map(\.id))
        #expect(try mock.request("/v1/models", ["x-api-key": "sk-byts-revoked-test-key-0001", "Authorization": "Bearer \(good)"]).status == 401)
    }

    /// Every status carries the request id and the whole accounting envelope.
    @Test func everyStatus_carriesRequestIDAndEnvelope() throws {
        let mock = try MockProcess()
        defer { _ = mock.stop() }
        let org = fixtures.key("key_org").secret
        let cases: [(String, String, [String: String], Int)] = [
            ("GET", "/v1/models", ["Authorization": "Bearer \(org)"], 200),
            ("HEAD", "/v1/models", ["Authorization": "Bearer \(org)"], 200),
            ("GET", "/v1/models/claude-sonnet-4-6", ["Authorization": "Bearer \(org)"], 200),
            ("GET", "/v1/models/gpt-4o", ["Authorization": "Bearer \(org)"], 404),
            ("GET", "/v1/models", [:], 401),
            ("GET", "/v1/models", ["Authorization": "Bearer sk-byts-paused-test-key-0001"], 403),
            ("GET", "/v1/nothing-here", ["Authorization": "Bearer \(org)"], 404),
            ("DELETE", "/v1/models", ["Authorization": "Bearer \(org)"], 405),
        ]
        var ids = Set<String>()
        for (method, path, headers, status) in cases {
            let r = try mock.request(path, headers, method: method)
            #expect(r.status == status, "\(method) \(path)")
            let id = try #require(r.header("x-request-id"))
            #expect(id.hasPrefix("req_") && id.count == 28)
            ids.insert(id)
            for h in ["date", "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "x-quota-remaining-credits"] {
                #expect(r.header(h) != nil, "\(h) missing on \(method) \(path)")
            }
        }
        #expect(ids.count == cases.count)
        let ok = try mock.request("/v1/models", ["Authorization": "Bearer \(org)"])
        #expect(ok.header("x-ratelimit-limit") == "50.000000")
        #expect(ok.header("x-ratelimit-remaining") == "50.000000")
        #expect(ok.header("x-quota-remaining-credits") == "500.000000")
        #expect(ok.header("x-org-quota-remaining-credits") == "8420.650000")
        let personal = try mock.request("/v1/models", ["Authorization": "Bearer \(fixtures.key("key_default").secret)"])
        #expect(personal.header("x-org-quota-remaining-credits") == nil)
        #expect(personal.header("x-quota-remaining-credits") == "250.000000")
        let notAllowed = try mock.request("/v1/models", ["Authorization": "Bearer \(org)"], method: "POST")
        #expect(notAllowed.header("allow") == "GET, HEAD")
        let unknownRoute = try JSONDecoder().decode(ErrorBody.self, from: Data(try mock.request("/v1/nothing-here").body))
        #expect(unknownRoute.error.type == "not_found_error")
        #expect(unknownRoute.error.code == "not_found")
    }

    @Test func malformedFixture_stopsStartupWithExitCode2NamingFileAndField() throws {
        let dir = makeTempDirectory()
        writeText(dir + "/keys.json", #"{"keys":[{"id":"x","name":"x","secret":"sk-byts-xxxxxxxxxx","group":"default","account":"acct_ada","ip_blacklist":["300.1.1.1"]}]}"#)
        let child = try ChildProcess(MockProcess.binary, ["--port", "0", "--fixtures", dir])
        #expect(child.waitExit(seconds: 10) == 2)
        #expect(child.stderr.contains("\(dir)/keys.json: keys[0].ip_blacklist[0]: '300.1.1.1' is not an IP address or CIDR network"), "\(child.stderr)")
        writeText(dir + "/keys.json", "{}")
        writeText(dir + "/catalog.json", #"{"models":[{"id":"m"}]}"#)
        let second = try ChildProcess(MockProcess.binary, ["--check-fixtures", "--fixtures", dir])
        #expect(second.waitExit(seconds: 10) == 2)
        #expect(second.stderr.contains("catalog.json: models[0].owned_by: required field is missing"), "\(second.stderr)")
        writeText(dir + "/catalog.json", "{\"models\": [1,]}")
        let third = try ChildProcess(MockProcess.binary, ["--check-fixtures", "--fixtures", dir])
        #expect(third.waitExit(seconds: 10) == 2)
        #expect(third.stderr.contains("catalog.json: (top level): not valid JSON: line 1, column 15"), "\(third.stderr)")
    }

    @Test(arguments: [
        (["--port", "abc"], "--port expects an integer in 0...65535, got 'abc'"),
        (["--bogus"], "unknown option '--bogus'"),
        (["--header-timeout", "-1"], "--header-timeout expects a positive number of seconds"),
        (["--fixtures"], "--fixtures needs a value"),
    ])
    func badOptions_exitWith2AndSayWhy(_ args: [String], _ message: String) throws {
        let child = try ChildProcess(MockProcess.binary, args)
        #expect(child.waitExit(seconds: 10) == 2)
        #expect(child.stderr.contains(message), "\(child.stderr)")
    }

    @Test func help_listsEveryLimitFlag() throws {
        let child = try ChildProcess(MockProcess.binary, ["--help"])
        #expect(child.waitExit(seconds: 10) == 0)
        for flag in ["--max-request-line", "--max-header-bytes", "--max-header-count", "--max-body-bytes", "--header-timeout",
                     "--body-timeout", "--idle-timeout", "--write-timeout", "--max-connections", "--port-file", "--fixtures",
                     "--journal-size", "--ledger-size"] {
            #expect(child.stdout.contains(flag))
        }
    }

    @Test func fixturesDirectory_extendsTheBuiltInCatalog() throws {
        let dir = makeTempDirectory()
        writeText(dir + "/catalog.json", #"{"models":[{"id":"house-model","owned_by":"acme","family":"acme","kind":"text","capabilities":["text"],"context_window":8,"max_output_tokens":4,"input_modalities":["text"],"output_modalities":["text"],"created":1}]}"#)
        let mock = try MockProcess(["--fixtures", dir])
        defer { _ = mock.stop() }
        let r = try mock.request("/v1/models?family=acme", ["x-api-key": fixtures.key("key_default").secret])
        let list = try JSONDecoder().decode(ModelList.self, from: Data(r.body))
        #expect(list.data.map(\.id) == ["house-model"])
        #expect(try mock.request("/v1/models/claude-opus-4-8", ["x-api-key": fixtures.key("key_default").secret]).status == 200)
    }

    /// Out of descriptors: the server sheds connections without spinning, then recovers.
    @Test func descriptorExhaustion_isSurvivedWithoutSpinning() throws {
        let mock = try MockProcess([], shellPrefix: "ulimit -n 32;")
        defer { _ = mock.stop() }
        var clients: [TestClient] = []
        for _ in 0..<60 { if let c = try? TestClient(port: mock.port, timeoutSeconds: 1) { clients.append(c) } }
        usleep(300_000)
        let before = mock.child.cpuTicks
        usleep(1_000_000)
        let spent = mock.child.cpuTicks - before
        #expect(spent < 20, "server burnt \(spent) ticks in 1 s while out of descriptors")
        clients.removeAll()
        #expect(waitUntil(5) { (try? mock.request("/__mock/health").status) == 200 })
    }
}

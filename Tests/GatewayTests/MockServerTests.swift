import BytespikeMock
import HTTPServer
import Testing
import TestSupport

/// The library entry point: the whole mock in-process on port 0.
@Suite struct MockServerTests {
    @Test func start_servesOnAFreePortAndReportsItsBaseURL() throws {
        var options = MockOptions()
        options.server.port = 0
        let mock = try MockServer.start(options)
        defer { mock.stop() }
        #expect(mock.port > 0)
        #expect(mock.baseURL == "http://127.0.0.1:\(mock.port)")
        let c = try TestClient(port: mock.port)
        try c.send(TestClient.get("/v1/models/gpt-5-4", ["Authorization": "Bearer sk-byts-default-test-key-0001"]))
        let r = try c.readResponse()
        #expect(r.status == 200)
        #expect(r.text.hasPrefix(#"{"id":"gpt-5-4","object":"model","owned_by":"openai","family":"gpt""#))
    }

    @Test func testOptions_pickAFreePortWhileDefaultsMatchTheCommandLine() throws {
        #expect(MockOptions().port == 8787 && MockOptions().server.port == 8787)
        var options = MockOptions(port: 0, seed: 7)
        #expect(options.server.port == 0 && options.seed == 7 && options.fixturesDirectory == nil)
        options.port = 9999
        #expect(options.server.port == 9999)
        let mock = try MockServer.start(MockOptions(port: 0))
        defer { mock.stop() }
        #expect(mock.port > 0 && mock.port != 8787)
    }

    @Test func version_isThreeNumbers() {
        let parts = MockServer.version.split(separator: ".", omittingEmptySubsequences: false)
        #expect(parts.count == 3 && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isNumber) })
    }

    /// Rejections made by the HTTP layer still carry a request id and the envelope.
    @Test func serverLevelRejections_carryRequestIDAndEnvelope() throws {
        var options = MockOptions()
        options.server.port = 0
        let mock = try MockServer.start(options)
        defer { mock.stop() }
        let c = try TestClient(port: mock.port)
        try c.send("GET /v1/models HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n")
        let r = try c.readResponse()
        #expect(r.status == 400)
        #expect(r.header("x-request-id")?.hasPrefix("req_") == true)
        #expect(r.header("x-quota-remaining-credits") == "0.000000")
        #expect(r.header("x-ratelimit-limit") == "0.000000")
        #expect(r.text.contains("Content-Length and Transfer-Encoding together are not allowed"))
    }

    @Test func start_reportsFixtureErrors() {
        var options = MockOptions()
        options.server.port = 0
        options.fixturesDirectory = "/nonexistent/dir"
        #expect(throws: MockServer.StartError.self) { try MockServer.start(options) }
    }
}

/// Key state changes through the control API, and expiry on the virtual clock.
@Suite struct ControlKeyTests {
    func post(_ port: Int, _ path: String, _ body: String) throws -> TestClient.Response {
        let c = try TestClient(port: port)
        try c.send("POST \(path) HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body)
        return try c.readResponse()
    }

    func models(_ port: Int) throws -> Int {
        let c = try TestClient(port: port)
        try c.send(TestClient.get("/v1/models", ["Authorization": "Bearer sk-byts-default-test-key-0001"]))
        return try c.readResponse().status
    }

    @Test func controlKeys_revokeExpireAndRestore() throws {
        var options = MockOptions()
        options.server.port = 0
        let mock = try MockServer.start(options)
        defer { mock.stop() }
        #expect(try models(mock.port) == 200)
        #expect(try post(mock.port, "/__mock/keys/key_default", #"{"revoked":true}"#).status == 200)
        #expect(try models(mock.port) == 401)
        #expect(try post(mock.port, "/__mock/keys/key_default", #"{"revoked":false}"#).status == 200)
        #expect(try models(mock.port) == 200)
        #expect(try post(mock.port, "/__mock/clock", #"{"action":"set","time":"2027-01-01T00:00:00Z"}"#).status == 200)
        #expect(try post(mock.port, "/__mock/keys/key_default", #"{"expires_at":"2027-01-01T00:00:10Z"}"#).status == 200)
        #expect(try models(mock.port) == 200)
        #expect(try post(mock.port, "/__mock/clock", #"{"action":"advance","seconds":10}"#).text.contains("\"now\":1798761610"))
        #expect(try models(mock.port) == 401)
        let bad = try post(mock.port, "/__mock/keys/key_default", #"{"expires_at":"soon"}"#)
        #expect(bad.status == 400 && bad.text.contains("\"param\":\"expires_at\""))
        #expect(try post(mock.port, "/__mock/keys/nope", "{}").status == 404)
        #expect(try post(mock.port, "/__mock/reset", "").status == 200)
        #expect(try models(mock.port) == 200)
    }
}

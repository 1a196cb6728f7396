import BytespikeMock
import HTTPServer
import Testing
import TestSupport

/// Pipelining through the real gateway handler over a real socket: every request of one write is
/// answered, in order, whatever endpoint kind it is (a complete JSON body, a POST with a body, a
/// 404, a control route, a streamed reply), and absolute-form targets are routed by their path.
@Suite struct GatewayPipeliningTests {
    static let key = ["Authorization": "Bearer sk-byts-default-test-key-0001"]

    static func post(_ path: String, _ body: String) -> String {
        "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer sk-byts-default-test-key-0001\r\n"
            + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body
    }

    static func start() throws -> MockServer {
        var options = MockOptions()
        options.server.port = 0
        return try MockServer.start(options)
    }

    /// (request, expected status, a marker of its body) in the order sent.
    static let mixed: [(String, Int, String)] = [
        (TestClient.get("/v1/models", key), 200, #""object":"list""#),
        (post("/v1/chat/completions", #"{"model":"gpt-5-4","messages":[{"role":"user","content":"hi"}]}"#), 200, #""object":"chat.completion""#),
        (TestClient.get("/v1/nope", key), 404, #""error""#),
        (TestClient.get("/__mock/health"), 200, #""status""#),
        (post("/v1/chat/completions", #"{"model":"gpt-5-4","messages":[{"role":"user","content":"hi"}],"stream":true}"#), 200, "data: [DONE]"),
        (TestClient.get("/v1/models/gpt-5-4", key), 200, #""id":"gpt-5-4""#),
        (TestClient.get("/__mock/health"), 200, #""status""#),
    ]

    @Test func pipelinedMixedRequestsInOneWrite_areAllAnsweredInOrder() throws {
        let mock = try Self.start()
        defer { mock.stop() }
        let c = try TestClient(port: mock.port)
        try c.send(Self.mixed.map(\.0).joined())
        var ids: [String] = []
        for (i, (_, status, marker)) in Self.mixed.enumerated() {
            let r = try c.readResponse()
            #expect(r.status == status, "response \(i)")
            #expect(r.text.contains(marker), "response \(i): \(r.text.prefix(120))")
            ids.append(r.header("x-request-id") ?? "")
        }
        #expect(Set(ids).count == ids.count, "each answer is its own request")
        // The connection is still usable afterwards.
        try c.send(TestClient.get("/__mock/health"))
        #expect(try c.readResponse().status == 200)
    }

    /// The reported shapes: the same request several times in one write.
    @Test(arguments: [("/v1/models", 3, 200), ("/v1/nope", 3, 404), ("/__mock/health", 2, 200)])
    func pipelinedRepeatsInOneWrite_areAllAnswered(_ path: String, _ count: Int, _ status: Int) throws {
        let mock = try Self.start()
        defer { mock.stop() }
        let c = try TestClient(port: mock.port)
        try c.send(String(repeating: TestClient.get(path, Self.key), count: count))
        for i in 0..<count {
            #expect(try c.readResponse().status == status, "response \(i) of \(count)")
        }
    }

    /// Half-closing right after the pipelined write still gets every answer before the close.
    @Test func pipelinedRequestsThenHalfClose_areAllAnsweredBeforeTheClose() throws {
        let mock = try Self.start()
        defer { mock.stop() }
        let c = try TestClient(port: mock.port)
        try c.send(Self.mixed.map(\.0).joined())
        c.shutdownWrite()
        for (i, (_, status, _)) in Self.mixed.enumerated() {
            #expect(try c.readResponse().status == status, "response \(i)")
        }
        #expect(try c.isClosedByServer())
    }

    @Test func absoluteFormTarget_isRoutedByItsPath() throws {
        let mock = try Self.start()
        defer { mock.stop() }
        let c = try TestClient(port: mock.port)
        try c.send("GET http://127.0.0.1:\(mock.port)/v1/models/gpt-5-4 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                   + "Authorization: Bearer sk-byts-default-test-key-0001\r\n\r\n")
        let r = try c.readResponse()
        #expect(r.status == 200)
        #expect(r.text.contains(#""id":"gpt-5-4""#))
    }
}

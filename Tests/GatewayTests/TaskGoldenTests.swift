import BytespikeMock
import Glibc
import HTTPServer
import Testing
import TestSupport

/// Byte-exact transcripts of the task API under a frozen clock: the submit answer and whole SSE
/// streams (framing, event names, ids, the query object at each step, the terminator) for a
/// completed, a cancelled and a failed task. Same recording rule as ``GoldenTranscriptTests``.
@Suite struct TaskGoldenTests {
    static let key = "sk-byts-default-test-key-0001"
    static let submitBody = #"{"model":"sora-2","out_task_id":"golden-1","params":{"prompt":"a lighthouse at dawn","duration_seconds":3,"aspect_ratio":"16:9"}}"#

    static func request(_ method: String, _ path: String, body: String = "", headers: [(String, String)] = []) -> String {
        var s = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAuthorization: Bearer \(key)\r\n"
        for (k, v) in headers { s += "\(k): \(v)\r\n" }
        if !body.isEmpty { s += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n" }
        return s + "\r\n" + body
    }

    /// Sends one request on a fresh connection and returns the whole response, `Date` normalised.
    static func exchange(_ mock: MockServer, _ request: String) throws -> String {
        let client = try TestClient(port: mock.port)
        try client.send(request)
        return GoldenTranscriptTests.normalise(String(decoding: try client.readToEnd(), as: UTF8.self))
    }

    static func advance(_ mock: MockServer, seconds: Int) throws {
        let r = try exchange(mock, request("POST", "/__mock/clock", body: #"{"action":"advance","seconds":\#(seconds)}"#))
        #expect(r.hasPrefix("HTTP/1.1 200"))
    }

    static func taskID(_ response: String) throws -> String {
        let marker = #""task_id":""#
        let start = try #require(response.firstRange(of: marker)).upperBound
        return String(response[start...].prefix { $0 != "\"" })
    }

    static func start() throws -> MockServer {
        var options = MockOptions()
        options.server.port = 0
        let mock = try MockServer.start(options)
        mock.gateway.clock.freeze(at: GoldenTranscriptTests.frozenTime)
        return mock
    }

    @Test func completedTask_submitAndWholeStream() throws {
        let mock = try Self.start()
        defer { mock.stop() }
        let submitted = try Self.exchange(mock, Self.request("POST", "/v1/tasks/submit", body: Self.submitBody))
        GoldenTranscriptTests.check("task-submit", submitted)
        try Self.advance(mock, seconds: 95)  // sora-2: 5 s queued, 90 s rendering
        let id = try Self.taskID(submitted)
        GoldenTranscriptTests.check("task-stream-completed", try Self.exchange(mock, Self.request("GET", "/v1/tasks/stream/\(id)")))
        // Resuming after event 10 sends exactly events 11 and 12.
        GoldenTranscriptTests.check("task-stream-resumed", try Self.exchange(mock, Self.request("GET", "/v1/tasks/stream/\(id)", headers: [("Last-Event-ID", "10")])))
    }

    @Test func cancelledTask_stream() throws {
        let mock = try Self.start()
        defer { mock.stop() }
        let id = try Self.taskID(try Self.exchange(mock, Self.request("POST", "/v1/tasks/submit", body: Self.submitBody)))
        try Self.advance(mock, seconds: 41)  // 40 % rendered
        let cancelled = try Self.exchange(mock, Self.request("POST", "/v1/tasks/cancel/\(id)"))
        #expect(cancelled.contains(#""status":"cancelled","progress":40"#))
        #expect(cancelled.contains(#""credits_used":0.100000"#), "partial: ⌊3 s × 40 %⌋ = 1 s at $0.10")
        GoldenTranscriptTests.check("task-stream-cancelled", try Self.exchange(mock, Self.request("GET", "/v1/tasks/stream/\(id)")))
    }

    @Test func failedTask_stream() throws {
        let mock = try Self.start()
        defer { mock.stop() }
        let submitted = try Self.exchange(mock, Self.request("POST", "/v1/tasks/submit", body: Self.submitBody,
                                                             headers: [("X-Mock-Fault", "fail at=30% code=gpu_lost")]))
        try Self.advance(mock, seconds: 60)
        GoldenTranscriptTests.check("task-stream-failed", try Self.exchange(mock, Self.request("GET", "/v1/tasks/stream/\(try Self.taskID(submitted))")))
    }
}

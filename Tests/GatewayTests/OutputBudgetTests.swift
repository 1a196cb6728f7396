import BytespikeMock
import Glibc
import HTTPServer
import Testing
import TestSupport

/// The server-wide output budget with the real gateway: never-reading clients of long streams
/// cannot make the server hold more than the budget (plus one stream being admitted), streams
/// beyond it are cut, and the accounting returns to zero once the clients are gone.
@Suite struct OutputBudgetTests {
    @Test func neverReadingStreams_areHeldWithinTheBudgetAndReleased() throws {
        var options = MockOptions()
        options.server.port = 0
        options.server.outputBudget = 2 << 20
        let mock = try MockServer.start(options)
        defer { mock.stop() }
        let control = try TestClient(port: mock.port)
        let rule = #"{"id":"long","match":{"contains":"budget-long"},"reply":{"text":"\#(String(repeating: "word ", count: 15000))"}}"#
        try control.send("POST /__mock/replies HTTP/1.1\r\nHost: x\r\nContent-Length: \(rule.utf8.count)\r\n\r\n" + rule)
        #expect(try control.readResponse().status == 200)

        let body = #"{"model":"gpt-5-4","stream":true,"messages":[{"role":"user","content":"budget-long"}]}"#
        let request = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk-byts-default-test-key-0001\r\n"
            + "Content-Length: \(body.utf8.count)\r\n\r\n" + body
        var clients: [TestClient] = []
        var peak = 0
        for _ in 0..<20 {
            let c = try TestClient(port: mock.port)
            var small: Int32 = 4096
            setsockopt(c.fd, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
            try c.send(request)
            clients.append(c)
            peak = max(peak, mock.server.heldOutput)
        }
        // Let every stream run until it blocks on its reader (or is cut).
        for _ in 0..<30 {
            usleep(50_000)
            peak = max(peak, mock.server.heldOutput)
        }
        // 15,000 packed events (4 bytes each, plus the 75 kB text they cut) and up to 64 kB of
        // queued output: about 200 kB a stream; the budget admits about 10.
        #expect(peak <= (2 << 20) + (1 << 20), "held \(peak) bytes with a 2 MiB budget")
        #expect(mock.server.openConnections < 21, "streams beyond the budget are cut")
        clients.removeAll()
        #expect(waitUntil(5) { mock.server.openConnections <= 1 })
        #expect(waitUntil(5) { mock.server.heldOutput == 0 }, "held \(mock.server.heldOutput) after the clients left")
    }
}

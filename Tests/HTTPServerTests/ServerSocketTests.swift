import Dispatch
import Glibc
import HTTPCore
@testable import HTTPServer
import Synchronization
import Testing
import TestSupport

/// The server over real loopback sockets.
@Suite(.serialized) struct ServerSocketTests {
    @Test func keepAlive_servesSequentialRequestsOnOneConnection() throws {
        let (server, _) = try makeServer()
        defer { server.shutdown() }
        let c = try TestClient(port: server.port)
        for i in 0..<3 {
            try c.send(TestClient.get("/echo/\(i)"))
            let r = try c.readResponse()
            #expect(r.status == 200)
            #expect(r.text == "GET /echo/\(i) ")
            #expect(r.header("connection") == nil)
            #expect(r.header("date")?.hasSuffix(" GMT") == true)
        }
        #expect(server.openConnections == 1)
    }

    /// The first request is answered late (a timer) but still first.
    @Test func pipelining_answersInRequestOrder() throws {
        let (server, _) = try makeServer()
        defer { server.shutdown() }
        let c = try TestClient(port: server.port)
        try c.send(TestClient.get("/delay/80") + TestClient.get("/delay/0")
                   + "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbody" + TestClient.get("/echo/last"))
        #expect(try c.readResponse().text == "delayed 80")
        #expect(try c.readResponse().text == "delayed 0")
        #expect(try c.readResponse().text == "POST /echo body")
        #expect(try c.readResponse().text == "GET /echo/last ")
    }

    /// Pipelined requests whose answers exceed the high watermark: parsing pauses while output
    /// queues and must resume when it drains, with no new bytes from the client.
    @Test func pipelining_resumesAfterOutputBackpressure() throws {
        let (server, _) = try makeServer()
        defer { server.shutdown() }
        let c = try TestClient(port: server.port)
        try c.send(String(repeating: TestClient.get("/big"), count: 40) + TestClient.get("/echo/end"))
        for _ in 0..<40 {
            let r = try c.readResponse()
            #expect(r.status == 200 && r.body.count == 16 * 1024)
        }
        #expect(try c.readResponse().text == "GET /echo/end ")
    }

    /// A client that writes its pipelined requests and its FIN at once (as `printf … | nc` does):
    /// the server reads the requests and the EOF in one go, and must still answer every request,
    /// in order; only the last answer says `Connection: close`.
    @Test func halfClose_afterPipelinedRequests_answersThemAllThenCloses() throws {
        let (server, _) = try makeServer()
        defer { server.shutdown() }
        for _ in 0..<5 {  // timing-independent: the FIN may arrive with the data or after it
            let c = try TestClient(port: server.port)
            try c.send(TestClient.get("/echo/1") + TestClient.get("/delay/20") + TestClient.get("/echo/3"))
            c.shutdownWrite()
            let first = try c.readResponse(), second = try c.readResponse(), third = try c.readResponse()
            #expect(first.text == "GET /echo/1 " && first.header("connection") == nil)
            #expect(second.text == "delayed 20" && second.header("connection") == nil)
            #expect(third.text == "GET /echo/3 " && third.header("connection") == "close")
            #expect(try c.isClosedByServer())
        }
    }

    @Test func halfClose_requestIsStillAnsweredThenClosed() throws {
        let (server, _) = try makeServer()
        defer { server.shutdown() }
        let c = try TestClient(port: server.port)
        try c.send(TestClient.get("/delay/30"))
        c.shutdownWrite()
        let r = try c.readResponse()
        #expect(r.status == 200)
        #expect(r.text == "delayed 30")
        #expect(try c.isClosedByServer())
    }

    /// A client that resets mid-stream: the stream's onClose runs, its timers are cancelled, and
    /// the server-side socket is closed (fd count back to baseline).
    @Test func clientVanishingMidStream_releasesEverything() throws {
        let (server, handler) = try makeServer()
        defer { server.shutdown() }
        let c = try TestClient(port: server.port)
        try c.send(TestClient.get("/stream/0/2"))
        let head = try c.readBytes(200)
        #expect(String(decoding: head, as: UTF8.self).hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(serverSocketCount(port: server.port) == 1)
        c.reset()
        #expect(waitUntil { handler.stats.withLock { $0.streamsClosed } == 1 })
        #expect(waitUntil { server.openConnections == 0 })
        #expect(waitUntil { serverSocketCount(port: server.port) == 0 })
        let pending = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var timers = -1
        let loop = server.loops[0]
        loop.execute { timers = loop.pendingCallbackCount; pending.signal() }
        pending.wait()
        #expect(timers == 0)
    }

    @Test func finiteStream_isChunkedAndReusable() throws {
        let (server, handler) = try makeServer()
        defer { server.shutdown() }
        let c = try TestClient(port: server.port)
        try c.send(TestClient.get("/stream/5/1"))
        let r = try c.readResponse()
        #expect(r.header("transfer-encoding") == "chunked")
        #expect(r.text == (1...5).map { "event \($0)\n" }.joined())
        try c.send(TestClient.get("/echo/again"))
        #expect(try c.readResponse().text == "GET /echo/again ")
        #expect(handler.stats.withLock { $0.streamsEnded } == 1)
    }

    /// Slowloris: a head dripping in is answered 408 at the header deadline, then closed.
    @Test func slowHead_gets408AtTheHeaderDeadline() throws {
        let (server, _) = try makeServer { $0.headerTimeout = .milliseconds(300) }
        defer { server.shutdown() }
        let c = try TestClient(port: server.port)
        let start = monotonicSeconds()
        try c.send("GET /echo HTTP/1.1\r\nHo")
        usleep(100_000)
        try c.send("st: x\r\nX-Slow: 1")
        let r = try c.readResponse()
        let elapsed = monotonicSeconds() - start
        #expect(r.status == 408)
        #expect(r.text.contains("\"code\":\"request_timeout\""))
        #expect(r.header("connection") == "close")
        #expect(elapsed >= 0.29 && elapsed < 2)
        #expect(try c.isClosedByServer())
    }

    @Test func stalledBody_gets408() throws {
        let (server, _) = try makeServer { $0.bodyTimeout = .milliseconds(200) }
        defer { server.shutdown() }
        let c = try TestClient(port: server.port)
        try c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
        let r = try c.readResponse()
        #expect(r.status == 408)
        #expect(try c.isClosedByServer())
    }

    @Test func idleKeepAlive_isClosedAfterTheIdleTimeout() throws {
        let (server, _) = try makeServer { $0.idleTimeout = .milliseconds(200) }
        defer { server.shutdown() }
        let c = try TestClient(port: server.port)
        try c.send(TestClient.get("/echo"))
        _ = try c.readResponse()
        let start = monotonicSeconds()
        #expect(try c.isClosedByServer())
        #expect(monotonicSeconds() - start < 2)
        #expect(waitUntil { server.openConnections == 0 })
    }

    @Test func silentNewConnection_isClosedAtTheHeaderDeadline() throws {
        let (server, _) = try makeServer { $0.headerTimeout = .milliseconds(200) }
        defer { server.shutdown() }
        let c = try TestClient(port: server.port)
        #expect(try c.isClosedByServer())
    }

    @Test(arguments: [
        ("GET /" + String(repeating: "a", count: 300) + " HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        ("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "b", count: 600) + "\r\n\r\n", 431),
        ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n", 413),
        ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        ("BLAH\r\n\r\n", 400),
        ("GET / HTTP/3.0\r\nHost: x\r\n\r\n", 505),
    ])
    func limitsAndBadFraming_answeredWithJSONThenClosed(_ request: String, _ status: Int) throws {
        let (server, _) = try makeServer {
            $0.parser = ParserLimits(maxRequestLine: 256, maxHeaderBytes: 512, maxHeaderCount: 20, maxBodyBytes: 1024)
        }
        defer { server.shutdown() }
        let c = try TestClient(port: server.port)
        try c.send(request)
        let r = try c.readResponse()
        #expect(r.status == status)
        #expect(r.header("content-type") == "application/json")
        #expect(r.header("connection") == "close")
        #expect(r.text.hasPrefix("{\"error\":{\"message\":"))
        #expect(try c.isClosedByServer())
        let next = try TestClient(port: server.port)
        try next.send(TestClient.get("/echo"))
        #expect(try next.readResponse().status == 200)
    }

    @Test func expectContinue_sends100ThenReadsTheBody() throws {
        let (server, _) = try makeServer()
        defer { server.shutdown() }
        let c = try TestClient(port: server.port)
        try c.send("POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
        #expect(try c.readStatusLine() == "HTTP/1.1 100 Continue")
        #expect(try c.readStatusLine() == "")
        try c.send("hello")
        let r = try c.readResponse()
        #expect(r.text == "POST /echo hello")
    }

    @Test func head_sendsLengthButNoBody() throws {
        let (server, _) = try makeServer()
        defer { server.shutdown() }
        let c = try TestClient(port: server.port)
        try c.send(TestClient.get("/echo", method: "HEAD"))
        let r = try c.readResponse(head: true)
        #expect(r.status == 200)
        #expect(r.header("content-length") == "11")
        try c.send(TestClient.get("/echo/2"))
        #expect(try c.readResponse().text == "GET /echo/2 ")  // no stray body bytes before it
    }

    @Test func http10_closesUnlessKeepAliveAsked() throws {
        let (server, _) = try makeServer()
        defer { server.shutdown() }
        let c = try TestClient(port: server.port)
        try c.send("GET /echo HTTP/1.0\r\n\r\n")
        let r = try c.readResponse()
        #expect(r.status == 200)
        #expect(r.header("connection") == "close")
        #expect(try c.isClosedByServer())
        let k = try TestClient(port: server.port)
        try k.send("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        #expect(try k.readResponse().header("connection") == "keep-alive")
        try k.send("GET /b HTTP/1.0\r\n\r\n")
        #expect(try k.readResponse().text == "GET /b ")
    }

    @Test func chunkedRequestBody_isDecoded() throws {
        let (server, _) = try makeServer()
        defer { server.shutdown() }
        let c = try TestClient(port: server.port)
        try c.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n")
        usleep(20_000)
        try c.send("2\r\nde\r\n0\r\n\r\n")
        #expect(try c.readResponse().text == "POST /echo abcde")
    }

    @Test func connectionCap_answers503AboveIt() throws {
        let (server, _) = try makeServer { $0.maxConnections = 2 }
        defer { server.shutdown() }
        let a = try TestClient(port: server.port), b = try TestClient(port: server.port)
        for c in [a, b] {
            try c.send(TestClient.get("/echo"))
            #expect(try c.readResponse().status == 200)
        }
        let third = try TestClient(port: server.port)
        let r = try third.readResponse()
        #expect(r.status == 503)
        #expect(r.text.contains("too many open connections"))
    }

    @Test func thousandConcurrentConnections_areAllServed() throws {
        let (server, _) = try makeServer()
        defer { server.shutdown() }
        var clients: [TestClient] = []
        for _ in 0..<1000 { clients.append(try TestClient(port: server.port)) }
        for (i, c) in clients.enumerated() { try c.send(TestClient.get("/echo/\(i)")) }
        for (i, c) in clients.enumerated() { #expect(try c.readResponse().text == "GET /echo/\(i) ") }
        #expect(server.openConnections == 1000)
        clients.removeAll()
        #expect(waitUntil { server.openConnections == 0 })
    }

    /// A reader that stops reading pauses the producer; memory stays bounded; nothing is lost.
    @Test func slowReader_pausesTheStreamAndLosesNothing() throws {
        let (server, handler) = try makeServer()
        defer { server.shutdown() }
        let c = try TestClient(port: server.port, timeoutSeconds: 10)
        try c.send(TestClient.get("/flood"))
        #expect(waitUntil { handler.stats.withLock { $0.pauses } >= 1 })
        usleep(200_000)
        let writtenWhileStalled = handler.stats.withLock { $0.floodWritten }
        #expect(writtenWhileStalled < 24 * 1024 * 1024, "producer kept writing while the client read nothing")
        let r = try c.readResponse()
        #expect(r.body.count == 32 * 1024 * 1024)
        #expect(r.body.allSatisfy { $0 == 0x78 })
    }

    /// A client that reads nothing at all is cut at the write-stall deadline; the stream learns of it.
    @Test func stalledReader_isCutAtTheWriteTimeout() throws {
        let (server, handler) = try makeServer { $0.writeTimeout = .milliseconds(300) }
        defer { server.shutdown() }
        let c = try TestClient(port: server.port)
        var small: Int32 = 4096
        setsockopt(c.fd, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        try c.send(TestClient.get("/flood"))
        #expect(waitUntil { handler.stats.withLock { $0.pauses } >= 1 })
        let start = monotonicSeconds()
        #expect(waitUntil(5) { handler.stats.withLock { $0.streamsClosed } == 1 })
        #expect(monotonicSeconds() - start < 3)
        #expect(waitUntil { server.openConnections == 0 })
        #expect(waitUntil { serverSocketCount(port: server.port) == 0 })
    }

    /// Shutdown lets an in-flight stream finish, then stops accepting.
    @Test func gracefulShutdown_finishesInFlightStream() throws {
        let (server, handler) = try makeServer { $0.shutdownGrace = .seconds(5) }
        let c = try TestClient(port: server.port)
        try c.send(TestClient.get("/stream/20/10"))
        _ = try c.readStatusLine()
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async { server.shutdown(); done.signal() }
        let r = try c.readResponse(head: false)
        #expect(r.status == 0 || r.text.hasSuffix("event 20\n"))
        #expect(done.wait(timeout: .now() + 10) == .success)
        #expect(handler.stats.withLock { $0.streamsEnded } == 1)
        #expect(throws: TestClient.Failure.self) { _ = try TestClient(port: server.port) }
    }

    /// A stream that outlives the grace period is cut.
    @Test func gracefulShutdown_cutsStreamsAfterGrace() throws {
        let (server, handler) = try makeServer { $0.shutdownGrace = .milliseconds(200) }
        let c = try TestClient(port: server.port)
        try c.send(TestClient.get("/stream/0/5"))
        _ = try c.readBytes(100)
        let start = monotonicSeconds()
        server.shutdown()
        #expect(monotonicSeconds() - start < 3)
        #expect(handler.stats.withLock { $0.streamsClosed } == 1)
        _ = try? c.readToEnd()
    }
}

extension ServerSocketTests {
    /// A rejected request with a large unread body: the client still reads the whole error
    /// (the server half-closes and drains instead of resetting).
    @Test func rejectionWithUnreadBody_isReadIntactByTheClient() throws {
        let (server, _) = try makeServer { $0.parser = ParserLimits(maxRequestLine: 256, maxHeaderBytes: 512, maxHeaderCount: 20, maxBodyBytes: 1024) }
        defer { server.shutdown() }
        let c = try TestClient(port: server.port)
        try c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 300000\r\n\r\n" + String(repeating: "z", count: 200_000))
        let r = try c.readResponse()
        #expect(r.status == 413)
        #expect(r.text.contains("request body exceeds the configured limit"))
    }
}

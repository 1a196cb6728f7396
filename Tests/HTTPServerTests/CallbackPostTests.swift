import Dispatch
import Glibc
@testable import HTTPServer
import Synchronization
import Testing
import TestSupport

/// CallbackPost against real loopback listeners that capture the request and answer as told.
@Suite struct CallbackPostTests {
    // MARK: URL parsing

    @Test(arguments: [
        ("http://example.test/cb", "example.test", 80, "/cb"),
        ("HTTP://Example.Test:8080/a/b?x=1&y=%20#frag", "Example.Test", 8080, "/a/b?x=1&y=%20"),
        ("http://127.0.0.1:9", "127.0.0.1", 9, "/"),
        ("http://127.0.0.1:/p", "127.0.0.1", 80, "/p"),
        ("http://[::1]:65535/v6", "::1", 65535, "/v6"),
        ("http://[::1]", "::1", 80, "/"),
        ("http://localhost?q=1", "localhost", 80, "/?q=1"),
        ("http://h#only-fragment", "h", 80, "/"),
    ])
    func parse_splitsHostPortAndTarget(_ url: String, _ host: String, _ port: Int, _ target: String) throws {
        let parts = try #require(CallbackPost.parse(url: url))
        #expect(parts.host == host)
        #expect(parts.port == port)
        #expect(parts.target == target)
    }

    @Test(arguments: [
        "https://example.test/cb", "ftp://h/", "http://", "http:///path", "http://user:pw@h/", "http://h:0/",
        "http://h:65536/", "http://h:8x/", "http://h:123456/", "http://[::1/", "http://[::1]x/", "http://::1/",
        "http://h/a b", "http://h/\u{e9}", "http://h\r\nX: y/", "example.test/cb", "http://[]/", "http://[127.0.0.1]/",
    ])
    func parse_rejectsUnusableURLs(_ url: String) {
        #expect(CallbackPost.parse(url: url) == nil)
    }

    // MARK: exchanges

    @Test func post_sendsExactRequestAndReturnsStatus() throws {
        let server = try TestListener(.reply(["HTTP/1.1 204 No Content\r\n\r\n"]))
        let body: [UInt8] = Array("{\"task_id\":\"t-1\",\"status\":\"succeeded\"}".utf8) + [0x00, 0x0D, 0x0A, 0xFF]
        let outcome = CallbackPost.send(url: "http://127.0.0.1:\(server.port)/hooks/cb?sig=1&x=%2F",
                                        headers: [("X-Signature", "sha256=abc"), ("X-Request-Id", "r1")],
                                        body: body, timeoutMillis: 5000)
        #expect(outcome == CallbackPost.Outcome(status: 204, error: nil))
        #expect(server.waitDone())
        let request = try #require(server.captured.withLock { $0 })
        #expect(request.lines == [
            "POST /hooks/cb?sig=1&x=%2F HTTP/1.1",
            "Host: 127.0.0.1:\(server.port)",
            "User-Agent: bytespike-mock-callback/1",
            "Content-Type: application/json",
            "Content-Length: \(body.count)",
            "Connection: close",
            "X-Signature: sha256=abc",
            "X-Request-Id: r1",
        ])
        #expect(request.body == body)
    }

    @Test func post_callerHeadersOverrideDefaultsButNotFraming() throws {
        let server = try TestListener(.reply(["HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"]))
        let outcome = CallbackPost.send(url: "http://127.0.0.1:\(server.port)",
                                        headers: [("content-type", "text/plain"), ("Host", "evil"), ("Content-Length", "1"),
                                                  ("Connection", "keep-alive"), ("user-agent", "custom/2")],
                                        body: [], timeoutMillis: 5000)
        #expect(outcome == CallbackPost.Outcome(status: 200, error: nil))
        #expect(server.waitDone())
        let request = try #require(server.captured.withLock { $0 })
        #expect(request.lines == ["POST / HTTP/1.1", "Host: 127.0.0.1:\(server.port)", "Content-Length: 0", "Connection: close",
                                  "content-type: text/plain", "user-agent: custom/2"])
        #expect(request.body.isEmpty)
    }

    /// A body far larger than the socket buffers: the send loop must wait for POLLOUT and resume.
    @Test func post_largeBodyArrivesIntact() throws {
        let server = try TestListener(.reply(["HTTP/1.1 500 Internal Server Error\r\nContent-Length: 5\r\n\r\nboom!"]))
        let body = (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ ($0 >> 12)) }
        let outcome = CallbackPost.send(url: "http://127.0.0.1:\(server.port)/big", headers: [], body: body, timeoutMillis: 10000)
        #expect(outcome == CallbackPost.Outcome(status: 500, error: nil))
        #expect(server.waitDone())
        #expect(server.captured.withLock { $0?.body == body })
    }

    @Test func post_statusLineSplitAcrossReadsAndInterimResponses() throws {
        let server = try TestListener(.reply(["HTT", "P/1.1 100 Continue\r", "\nX-Interim: 1\r\n\r\nHTTP/1.1 2", "02", " Accepted\r", "\n\r\n"],
                                             gapMillis: 30))
        let outcome = CallbackPost.send(url: "http://127.0.0.1:\(server.port)/", headers: [], body: [1], timeoutMillis: 5000)
        #expect(outcome == CallbackPost.Outcome(status: 202, error: nil))
        #expect(server.waitDone())
    }

    @Test func post_reasonlessStatusLineIsFine() throws {
        let server = try TestListener(.reply(["HTTP/1.1 418\r\n\r\n"]))
        #expect(CallbackPost.send(url: "http://127.0.0.1:\(server.port)/", headers: [], body: [], timeoutMillis: 5000).status == 418)
        #expect(server.waitDone())
    }

    @Test(arguments: [
        ("SMTP ready\r\n", "malformed status line from 127.0.0.1:PORT: \"SMTP ready\""),
        ("HTTP/1.1 20 OK\r\n\r\n", "malformed status line from 127.0.0.1:PORT: \"HTTP/1.1 20 OK\""),
        ("HTTP/2 200\r\n\r\n", "malformed status line from 127.0.0.1:PORT: \"HTTP/2 200\""),
        ("HTTP/1.1 200OK\r\n\r\n", "malformed status line from 127.0.0.1:PORT: \"HTTP/1.1 200OK\""),
        ("HTTP/1.1 2", "malformed status line from 127.0.0.1:PORT: \"HTTP/1.1 2\" then the connection closed"),
        ("\u{1}\u{2}binary\r\n", "malformed status line from 127.0.0.1:PORT: \"\\u{01}\\u{02}binary\""),
        ("", "connection to 127.0.0.1:PORT closed before a status line"),
    ])
    func post_reportsMalformedOrMissingResponses(_ reply: String, _ message: String) throws {
        let server = try TestListener(.reply([reply]))
        let outcome = CallbackPost.send(url: "http://127.0.0.1:\(server.port)/", headers: [], body: [], timeoutMillis: 5000)
        #expect(outcome.status == nil)
        #expect(outcome.error == message.replacing("PORT", with: String(server.port)))
        #expect(server.waitDone())
    }

    @Test func post_refusedConnection() throws {
        let port = try freePort()
        let started = monotonicMillisForTest()
        let outcome = CallbackPost.send(url: "http://127.0.0.1:\(port)/cb", headers: [], body: [1, 2], timeoutMillis: 5000)
        #expect(outcome.status == nil)
        #expect(outcome.error == "connect to 127.0.0.1:\(port) failed: Connection refused (errno \(ECONNREFUSED))")
        #expect(monotonicMillisForTest() - started < 1000)
    }

    @Test func post_timeoutIsRespectedWhenTheServerNeverAnswers() throws {
        let server = try TestListener(.silent)
        let started = monotonicMillisForTest()
        let outcome = CallbackPost.send(url: "http://127.0.0.1:\(server.port)/slow", headers: [], body: [1], timeoutMillis: 300)
        let elapsed = monotonicMillisForTest() - started
        #expect(outcome == CallbackPost.Outcome(status: nil, error: "timed out after 300 ms waiting for the status line from 127.0.0.1:\(server.port)"))
        #expect(elapsed >= 295 && elapsed < 1500, "elapsed \(elapsed) ms")
        #expect(server.waitDone())  // the listener saw the request, then our close
        #expect(server.captured.withLock { $0?.body == [1] })
    }

    /// A listener whose accept queue is full (backlog 0, one unaccepted connection already queued):
    /// Linux drops further SYNs, so connect itself has to time out.
    @Test func post_connectTimeoutIsRespected() throws {
        let (fd, port) = try bindLoopback("127.0.0.1")
        defer { close(fd) }
        try #require(listen(fd, 0) == 0)
        let filler = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(filler) }
        let rc = connectLoopback(filler, port: port)
        try #require(rc == 0)
        let started = monotonicMillisForTest()
        let outcome = CallbackPost.send(url: "http://127.0.0.1:\(port)/", headers: [], body: [], timeoutMillis: 300)
        let elapsed = monotonicMillisForTest() - started
        #expect(outcome == CallbackPost.Outcome(status: nil, error: "timed out after 300 ms connecting to 127.0.0.1:\(port)"))
        #expect(elapsed >= 295 && elapsed < 1500, "elapsed \(elapsed) ms")
    }

    /// A server that answers but keeps the connection open: the status is returned after a short drain, not the full timeout.
    @Test func post_doesNotWaitForTheServerToCloseAfterTheStatus() throws {
        let server = try TestListener(.holdAfter("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial"))
        let started = monotonicMillisForTest()
        // The drain is 250 ms; the bound only has to tell "returned after the drain" from "waited
        // for the 30 s timeout", with room for a loaded 2-core CI machine (2.7 s was seen there).
        let outcome = CallbackPost.send(url: "http://127.0.0.1:\(server.port)/", headers: [], body: [], timeoutMillis: 30_000)
        let elapsed = monotonicMillisForTest() - started
        #expect(outcome == CallbackPost.Outcome(status: 200, error: nil))
        #expect(elapsed < 10_000, "elapsed \(elapsed) ms")
        #expect(server.waitDone())
    }

    @Test func post_resolvesLocalhost() throws {
        let server = try TestListener(.reply(["HTTP/1.1 201 Created\r\n\r\n"]))
        let outcome = CallbackPost.send(url: "http://localhost:\(server.port)/x", headers: [], body: [], timeoutMillis: 5000)
        #expect(outcome == CallbackPost.Outcome(status: 201, error: nil))
        #expect(server.waitDone())
        #expect(server.captured.withLock { $0?.lines.dropFirst().first } == "Host: localhost:\(server.port)")
    }

    @Test(.enabled(if: ipv6LoopbackAvailable)) func post_ipv6Literal() throws {
        let server = try TestListener(host: "::1", .reply(["HTTP/1.1 204 No Content\r\n\r\n"]))
        let outcome = CallbackPost.send(url: "http://[::1]:\(server.port)/v6", headers: [], body: Array("{}".utf8), timeoutMillis: 5000)
        #expect(outcome == CallbackPost.Outcome(status: 204, error: nil))
        #expect(server.waitDone())
        #expect(server.captured.withLock { $0?.lines.prefix(2) } == ["POST /v6 HTTP/1.1", "Host: [::1]:\(server.port)"])
    }

    @Test func post_rejectsBadInputWithoutConnecting() {
        #expect(CallbackPost.send(url: "https://example.test/cb", headers: [], body: [], timeoutMillis: 100)
            == CallbackPost.Outcome(status: nil, error: "https callback URLs are not supported (the mock speaks plain http only): https://example.test/cb"))
        #expect(CallbackPost.send(url: "not a url", headers: [], body: [], timeoutMillis: 100)
            == CallbackPost.Outcome(status: nil, error: "invalid callback URL (expected http://host[:port]/path): not a url"))
        #expect(CallbackPost.send(url: "http://127.0.0.1:9/", headers: [("X-A", "1\r\nInjected: yes")], body: [], timeoutMillis: 100)
            == CallbackPost.Outcome(status: nil, error: "invalid value for header X-A: control characters are not allowed"))
        #expect(CallbackPost.send(url: "http://127.0.0.1:9/", headers: [("Bad Name", "1")], body: [], timeoutMillis: 100)
            == CallbackPost.Outcome(status: nil, error: "invalid header name \"Bad Name\""))
    }

    @Test func post_unresolvableHostIsAnError() {
        // ".invalid" never resolves (RFC 6761); with no network the resolver fails fast either way.
        let outcome = CallbackPost.send(url: "http://callback.invalid/x", headers: [], body: [], timeoutMillis: 2000)
        #expect(outcome.status == nil)
        #expect(outcome.error?.hasPrefix("cannot resolve host \"callback.invalid\": ") == true)
    }
}

// MARK: a one-connection loopback server

/// What the test listener does after reading the request.
private enum Behaviour: Sendable {
    /// Sends each piece (`gapMillis` apart), then closes.
    case reply([String], gapMillis: Int = 0)
    /// Sends the bytes, then keeps the connection open until the client closes it.
    case holdAfter(String)
    /// Sends nothing and waits for the client to close.
    case silent
}

/// A request as the listener received it.
private struct Captured: Sendable {
    var head: String
    var body: [UInt8]
    /// The head's lines without the terminating empty line.
    var lines: [String] { head.split(separator: "\r\n", omittingEmptySubsequences: false).dropLast(2).map(String.init) }
}

/// A loopback listener serving exactly one connection on a Dispatch worker: it reads one request
/// (head + Content-Length body), records it, then behaves as told. Shared with its worker through a Mutex.
private final class TestListener: Sendable {
    let fd: Int32
    let port: Int
    let captured = Mutex<Captured?>(nil)
    private let finished = DispatchSemaphore(value: 0)

    init(host: String = "127.0.0.1", _ behaviour: Behaviour) throws {
        (fd, port) = try bindLoopback(host)
        guard listen(fd, 4) == 0 else { close(fd); throw ListenerError("listen: errno \(errno)") }
        setTimeout(fd, seconds: 5)  // accept gives up if no client comes
        DispatchQueue.global().async { [self] in
            serve(behaviour)
            finished.signal()
        }
    }

    deinit { close(fd) }

    /// Waits (up to 5 s) for the worker to finish with its connection.
    func waitDone() -> Bool { finished.wait(timeout: .now() + 5) == .success }

    private func serve(_ behaviour: Behaviour) {
        let c = accept(fd, nil, nil)
        guard c >= 0 else { return }
        defer { close(c) }
        setTimeout(c, seconds: 5)
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        var headEnd: Int?
        var need = Int.max
        while buffer.count < need {
            let n = chunk.withUnsafeMutableBytes { recv(c, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { break }
            buffer += chunk[0..<n]
            if headEnd == nil, let end = findHeadEnd(buffer) {
                headEnd = end
                let head = String(decoding: buffer[0..<end], as: UTF8.self).lowercased()
                let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                    .flatMap { Int(String($0.dropFirst("content-length:".count).filter { $0 != " " && $0 != "\t" })) } ?? 0
                need = end + length
            }
        }
        guard let headEnd else { return }
        captured.withLock {
            $0 = Captured(head: String(decoding: buffer[0..<headEnd], as: UTF8.self), body: Array(buffer[headEnd..<min(need, buffer.count)]))
        }
        switch behaviour {
        case .reply(let pieces, let gap):
            for piece in pieces {
                sendAll(c, Array(piece.utf8))
                if gap > 0 { usleep(UInt32(gap * 1000)) }
            }
        case .holdAfter(let text):
            sendAll(c, Array(text.utf8))
            waitForClose(c)
        case .silent:
            waitForClose(c)
        }
    }
}

private struct ListenerError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

private func findHeadEnd(_ b: [UInt8]) -> Int? {
    guard b.count >= 4 else { return nil }
    for i in 0...(b.count - 4) where b[i] == 13 && b[i + 1] == 10 && b[i + 2] == 13 && b[i + 3] == 10 { return i + 4 }
    return nil
}

private func sendAll(_ fd: Int32, _ bytes: [UInt8]) {
    var off = 0
    while off < bytes.count {
        let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + off, $0.count - off, Int32(MSG_NOSIGNAL)) }
        guard n > 0 else { return }
        off += n
    }
}

private func waitForClose(_ fd: Int32) {
    var chunk = [UInt8](repeating: 0, count: 4096)
    while chunk.withUnsafeMutableBytes({ recv(fd, $0.baseAddress, $0.count, 0) }) > 0 {}
}

private func setTimeout(_ fd: Int32, seconds: Int) {
    var tv = timeval(tv_sec: seconds, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
}

/// A TCP socket bound to `host` on an ephemeral port (not yet listening).
private func bindLoopback(_ host: String) throws -> (Int32, Int) {
    var hints = addrinfo()
    hints.ai_family = AF_UNSPEC
    hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
    hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE
    var res: UnsafeMutablePointer<addrinfo>?
    guard getaddrinfo(host, "0", &hints, &res) == 0, let ai = res else { throw ListenerError("getaddrinfo \(host)") }
    defer { freeaddrinfo(res) }
    let fd = socket(ai.pointee.ai_family, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw ListenerError("socket: errno \(errno)") }
    guard bind(fd, ai.pointee.ai_addr, ai.pointee.ai_addrlen) == 0 else { close(fd); throw ListenerError("bind \(host): errno \(errno)") }
    var storage = sockaddr_storage()
    var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
    _ = withUnsafeMutablePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
    let family = Int32(storage.ss_family)
    let port = withUnsafePointer(to: &storage) { p -> Int in
        if family == AF_INET6 {
            return p.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
        }
        return p.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
    }
    return (fd, port)
}

/// A loopback port nobody listens on: bound, read back, closed.
private func freePort() throws -> Int {
    let (fd, port) = try bindLoopback("127.0.0.1")
    close(fd)
    return port
}

private let ipv6LoopbackAvailable: Bool = {
    guard let (fd, _) = try? bindLoopback("::1") else { return false }
    close(fd)
    return true
}()

private func monotonicMillisForTest() -> Int {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return ts.tv_sec * 1000 + ts.tv_nsec / 1_000_000
}

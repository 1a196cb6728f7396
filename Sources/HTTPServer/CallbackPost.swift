// One outbound HTTP/1.1 POST for task callbacks. Blocking by design: it runs on a background
// Dispatch queue, never on an event loop, so plain poll(2) with one overall deadline is enough.
import CSystem
import Glibc
import HTTPCore

/// A blocking HTTP/1.1 POST to an `http://` URL that reports only the response status.
/// Stateless: every call owns its socket, so calls may run concurrently on any threads.
public struct CallbackPost: Sendable {
    /// What became of one POST: the response status, or why there was none. Sendable value.
    public struct Outcome: Sendable, Equatable {
        /// The final (non-1xx) status code; nil when no valid HTTP response arrived.
        public var status: Int?
        /// Why there is no status (connect failure, timeout, malformed response, …); nil on success.
        public var error: String?
        public init(status: Int?, error: String?) {
            self.status = status
            self.error = error
        }
    }

    public static let userAgent = "bytespike-mock-callback/1"
    /// Bytes read after the status line before closing anyway (the response body is not needed).
    static let drainCap = 64 * 1024
    /// How long to keep reading the rest of a response once the status is known.
    static let drainMillis = 250
    /// A status line (or 1xx head) longer than this is malformed.
    static let maxHeadBytes = 16 * 1024

    /// POSTs `body` to an `http://host[:port]/path?query` URL with `headers` (Content-Type, Content-Length, Host,
    /// Connection: close and User-Agent are added), waiting at most `timeoutMillis` in total for connect + send + the status line.
    ///
    /// A caller's Content-Type or User-Agent replaces the default (`application/json`, `userAgent`); a caller's
    /// Host, Content-Length, Connection or Transfer-Encoding is dropped, as the framing is this function's.
    /// Name resolution (`getaddrinfo`) cannot be interrupted and is not bounded by the timeout; it is
    /// immediate for IP literals and `localhost`. Interim 1xx responses are skipped.
    public static func send(url: String, headers: [(String, String)], body: [UInt8], timeoutMillis: Int) -> Outcome {
        if hasPrefixIgnoringCase(url, "https://") {
            return failure("https callback URLs are not supported (the mock speaks plain http only): \(url)")
        }
        guard let (host, port, target) = parse(url: url) else {
            return failure("invalid callback URL (expected http://host[:port]/path): \(url)")
        }
        for (name, value) in headers {
            guard !name.isEmpty, name.utf8.allSatisfy(isTokenByte) else { return failure("invalid header name \"\(name)\"") }
            guard !value.utf8.contains(where: { ($0 < 0x20 && $0 != 0x09) || $0 == 0x7F }) else {
                return failure("invalid value for header \(name): control characters are not allowed")
            }
        }
        let request = requestBytes(host: host, port: port, target: target, headers: headers, body: body)
        let deadline = monotonicMillis() + max(timeoutMillis, 0)
        var exchange = Exchange(deadline: deadline, timeoutMillis: timeoutMillis, authority: "\(host):\(port)")
        defer { exchange.close() }
        if let e = exchange.connect(host: host, port: port) { return failure(e) }
        let sendError = exchange.write(request)
        switch exchange.readStatus() {
        case .status(let code):
            exchange.drain(until: min(deadline, monotonicMillis() + drainMillis))
            return Outcome(status: code, error: nil)
        case .failed(let e):
            // A server may answer early and close before taking the whole body; its status then wins.
            return failure(sendError ?? e)
        }
    }

    /// Splits an http URL into host, port (default 80) and request target, or nil (https is rejected with a clear reason elsewhere).
    ///
    /// IPv6 literals are bracketed in the URL (`http://[::1]:8080/`) and returned without brackets.
    /// User info, an empty host, a port outside 1...65535 and spaces, control or non-ASCII bytes anywhere make it nil;
    /// a fragment is dropped and an empty path becomes `/`.
    public static func parse(url: String) -> (host: String, port: Int, target: String)? {
        guard hasPrefixIgnoringCase(url, "http://") else { return nil }
        let rest = Array(url.utf8.dropFirst(7))
        guard !rest.contains(where: { $0 <= 0x20 || $0 >= 0x7F }) else { return nil }
        let authorityEnd = rest.firstIndex(where: { $0 == 0x2F || $0 == 0x3F || $0 == 0x23 }) ?? rest.count
        let authority = rest[0..<authorityEnd]
        guard !authority.isEmpty, !authority.contains(0x40) else { return nil }  // no user info
        let hostBytes: ArraySlice<UInt8>
        var portBytes: ArraySlice<UInt8>?
        if authority.first == 0x5B {  // [IPv6]
            guard let close = authority.firstIndex(of: 0x5D) else { return nil }
            hostBytes = authority[(authority.startIndex + 1)..<close]
            guard hostBytes.contains(0x3A) else { return nil }
            let after = authority[(close + 1)...]
            if let first = after.first {
                guard first == 0x3A else { return nil }
                portBytes = after.dropFirst()
            }
        } else {
            let colon = authority.firstIndex(of: 0x3A)
            hostBytes = authority[..<(colon ?? authority.endIndex)]
            if let colon {
                portBytes = authority[(colon + 1)...]
                guard !portBytes!.contains(0x3A) else { return nil }
            }
        }
        guard !hostBytes.isEmpty, !hostBytes.contains(where: { "[]<>\"\\^`{|}".utf8.contains($0) }) else { return nil }
        var port = 80
        if let portBytes, !portBytes.isEmpty {  // "host:" means the default port (RFC 3986 3.2.3)
            guard portBytes.count <= 5, portBytes.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
            port = portBytes.reduce(0) { $0 * 10 + Int($1 - 0x30) }
            guard (1...65535).contains(port) else { return nil }
        }
        var targetBytes = rest[authorityEnd...]
        if let hash = targetBytes.firstIndex(of: 0x23) { targetBytes = targetBytes[..<hash] }
        var target = String(decoding: targetBytes, as: UTF8.self)
        if !target.hasPrefix("/") { target = "/" + target }  // "" or "?query"
        return (String(decoding: hostBytes, as: UTF8.self), port, target)
    }

    // MARK: request

    static func requestBytes(host: String, port: Int, target: String, headers: [(String, String)], body: [UInt8]) -> [UInt8] {
        let bracketed = host.utf8.contains(0x3A) ? "[\(host)]" : host
        let hostField = port == 80 ? bracketed : "\(bracketed):\(port)"
        let has = { (name: String) in headers.contains { asciiCaseInsensitiveEquals($0.0, name) } }
        var head = "POST \(target) HTTP/1.1\r\nHost: \(hostField)\r\n"
        if !has("user-agent") { head += "User-Agent: \(userAgent)\r\n" }
        if !has("content-type") { head += "Content-Type: application/json\r\n" }
        head += "Content-Length: \(body.count)\r\nConnection: close\r\n"
        for (name, value) in headers {
            let dropped = ["host", "content-length", "connection", "transfer-encoding"].contains { asciiCaseInsensitiveEquals(name, $0) }
            if !dropped { head += "\(name): \(value)\r\n" }
        }
        head += "\r\n"
        var out: [UInt8] = []
        out.reserveCapacity(head.utf8.count + body.count)
        out += head.utf8
        out += body
        return out
    }

    private static func failure(_ message: String) -> Outcome { Outcome(status: nil, error: message) }

    private static func hasPrefixIgnoringCase(_ s: String, _ prefix: String) -> Bool {
        s.utf8.count >= prefix.utf8.count && zip(s.utf8, prefix.utf8).allSatisfy { asciiLower($0) == $1 }
    }
}

// MARK: the socket exchange

/// One connection's socket and deadline for the duration of `CallbackPost.send`; confined to the calling thread.
private struct Exchange {
    enum Read { case status(Int), failed(String) }

    let deadline: Int
    let timeoutMillis: Int
    let authority: String
    var fd: Int32 = -1

    init(deadline: Int, timeoutMillis: Int, authority: String) {
        self.deadline = deadline
        self.timeoutMillis = timeoutMillis
        self.authority = authority
    }

    mutating func close() {
        if fd >= 0 { _ = Glibc.close(fd) }
        fd = -1
    }

    private func timedOut(_ phase: String) -> String { "timed out after \(timeoutMillis) ms \(phase) \(authority)" }

    /// Connects to the first address of `host` that accepts; nil on success, else why not.
    mutating func connect(host: String, port: Int) -> String? {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0 else { return "cannot resolve host \"\(host)\": \(String(cString: gai_strerror(rc)))" }
        defer { freeaddrinfo(list) }
        var lastError = "no address for host \"\(host)\""
        var next = list
        while let ai = next {
            next = ai.pointee.ai_next
            let s = socket(ai.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard s >= 0 else { lastError = "socket failed: \(errnoText(errno))"; continue }
            fd = s
            var one: Int32 = 1
            _ = setsockopt(s, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            if Glibc.connect(s, ai.pointee.ai_addr, ai.pointee.ai_addrlen) == 0 { return nil }
            var e = errno
            if e == EINPROGRESS || e == EINTR {
                switch wait(POLLOUT) {
                case .timedOut: return timedOut("connecting to")
                case .failed(let err): e = err
                case .ready:
                    var soError: Int32 = 0
                    var len = socklen_t(MemoryLayout<Int32>.size)
                    e = getsockopt(s, SOL_SOCKET, SO_ERROR, &soError, &len) == 0 ? soError : errno
                    if e == 0 { return nil }
                }
            }
            lastError = "connect to \(authority) failed: \(errnoText(e))"
            close()  // try the next address (e.g. 127.0.0.1 after ::1 for localhost)
        }
        return lastError
    }

    /// Sends all of `bytes`; nil on success, else why not.
    func write(_ bytes: [UInt8]) -> String? {
        bytes.withUnsafeBytes { raw -> String? in
            var off = 0
            while off < raw.count {
                let n = Glibc.send(fd, raw.baseAddress! + off, raw.count - off, Int32(MSG_NOSIGNAL))
                if n > 0 { off += n; continue }
                let e = errno
                if e == EINTR { continue }
                guard e == EAGAIN || e == EWOULDBLOCK else { return "sending the request to \(authority) failed: \(errnoText(e))" }
                switch wait(POLLOUT) {
                case .ready: continue
                case .timedOut: return timedOut("sending the request to")
                case .failed(let err): return "sending the request to \(authority) failed: \(errnoText(err))"
                }
            }
            return nil
        }
    }

    /// Reads until a final status line `HTTP/1.x NNN …` is complete, skipping 1xx heads.
    func readStatus() -> Read {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1024)
        var start = 0  // where the current status line begins (after any skipped 1xx heads)
        var scanned = 0
        while true {
            if let lf = buffer[scanned...].firstIndex(of: 0x0A) {
                var end = lf
                if end > start, buffer[end - 1] == 0x0D { end -= 1 }
                guard let code = Self.statusCode(buffer[start..<end]) else {
                    return .failed("malformed status line from \(authority): \"\(Self.printable(buffer[start..<end]))\"")
                }
                guard (100...199).contains(code), code != 101 else { return .status(code) }
                // An interim response: skip its head, then read the next status line.
                guard let headEnd = Self.blankLine(in: buffer, from: start) else {
                    scanned = buffer.count
                    if buffer.count - start > CallbackPost.maxHeadBytes { return .failed("interim response head too long from \(authority)") }
                    let result = fill(&buffer)
                    guard case .read = result else { return result.failure(self, "waiting for the status line from") }
                    scanned = start
                    continue
                }
                start = headEnd
                scanned = headEnd
                continue
            }
            scanned = buffer.count
            if buffer.count - start > CallbackPost.maxHeadBytes {
                return .failed("malformed status line from \(authority): no line end in \(CallbackPost.maxHeadBytes) bytes")
            }
            let result = fill(&buffer)
            guard case .read = result else {
                if case .closed = result, buffer.count > start {
                    return .failed("malformed status line from \(authority): \"\(Self.printable(buffer[start...]))\" then the connection closed")
                }
                return result.failure(self, "waiting for the status line from")
            }
        }
    }

    /// Reads and discards the rest of the response until EOF, `drainCap` bytes or `until`.
    func drain(until: Int) {
        var total = 0
        var chunk = [UInt8](repeating: 0, count: 4096)
        while total < CallbackPost.drainCap {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 { total += n; continue }
            if n == 0 { return }
            let e = errno
            if e == EINTR { continue }
            guard e == EAGAIN || e == EWOULDBLOCK, case .ready = wait(POLLIN, until: until) else { return }
        }
    }

    enum Fill {
        case read, closed, timedOut, failed(Int32)

        func failure(_ x: Exchange, _ phase: String) -> Read {
            switch self {
            case .read: .failed("internal: no failure")
            case .closed: .failed("connection to \(x.authority) closed before a status line")
            case .timedOut: .failed(x.timedOut(phase))
            case .failed(let e): .failed("reading the response from \(x.authority) failed: \(errnoText(e))")
            }
        }
    }

    /// Appends whatever the socket has (waiting for it until the deadline).
    func fill(_ buffer: inout [UInt8]) -> Fill {
        var chunk: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                    UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        while true {
            let n = withUnsafeMutableBytes(of: &chunk) { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 {
                withUnsafeBytes(of: &chunk) { buffer += $0[0..<n] }
                return .read
            }
            if n == 0 { return .closed }
            let e = errno
            if e == EINTR { continue }
            guard e == EAGAIN || e == EWOULDBLOCK else { return .failed(e) }
            switch wait(POLLIN) {
            case .ready: continue
            case .timedOut: return .timedOut
            case .failed(let err): return .failed(err)
            }
        }
    }

    enum Wait { case ready, timedOut, failed(Int32) }

    /// Polls the socket for `events` until `until` (default: the deadline).
    func wait(_ events: Int32, until: Int? = nil) -> Wait {
        let limit = until ?? deadline
        while true {
            let remaining = limit - monotonicMillis()
            if remaining <= 0 { return .timedOut }
            var p = pollfd(fd: fd, events: Int16(events), revents: 0)
            let r = poll(&p, 1, Int32(min(remaining, Int(Int32.max))))
            if r > 0 { return .ready }  // POLLERR/POLLHUP too: the next call reports the error
            if r == 0 { continue }  // re-check the clock (poll may wake a little early)
            let e = errno
            if e != EINTR { return .failed(e) }
        }
    }

    /// The code of `HTTP/1.x NNN[ reason]`, or nil.
    static func statusCode(_ line: ArraySlice<UInt8>) -> Int? {
        let b = Array(line)
        guard b.count >= 12, b.starts(with: "HTTP/1.".utf8), b[7] >= 0x30, b[7] <= 0x39, b[8] == 0x20 else { return nil }
        guard b[9...11].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), b.count == 12 || b[12] == 0x20 else { return nil }
        let code = b[9...11].reduce(0) { $0 * 10 + Int($1 - 0x30) }
        return (100...599).contains(code) ? code : nil
    }

    /// The offset just after the first CRLF CRLF (or LF LF) at or after `from`.
    static func blankLine(in b: [UInt8], from: Int) -> Int? {
        var i = from
        while i < b.count {
            if b[i] == 0x0A {
                if i + 1 < b.count, b[i + 1] == 0x0A { return i + 2 }
                if i + 2 < b.count, b[i + 1] == 0x0D, b[i + 2] == 0x0A { return i + 3 }
            }
            i += 1
        }
        return nil
    }

    static func printable(_ bytes: ArraySlice<UInt8>) -> String {
        var s = ""
        for scalar in String(decoding: bytes.prefix(80), as: UTF8.self).unicodeScalars {
            if scalar.value < 0x20 || scalar.value == 0x7F { s += scalar.escaped(asASCII: true) } else { s.unicodeScalars.append(scalar) }
        }
        return bytes.count > 80 ? s + "…" : s
    }
}

private func errnoText(_ e: Int32) -> String { "\(String(cString: strerror(e))) (errno \(e))" }

private func monotonicMillis() -> Int {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return ts.tv_sec * 1000 + ts.tv_nsec / 1_000_000
}

import Glibc

/// A blocking HTTP/1.1 client over a raw TCP socket, for tests that need control over every
/// byte: pipelining, half-close, partial heads, slow readers. Reads time out (default 5 s) so a
/// broken server fails a test instead of hanging it.
public final class TestClient {
    public let fd: Int32
    private var buffer: [UInt8] = []

    public struct Response: Sendable {
        public var status: Int
        public var headers: [(String, String)]
        public var body: [UInt8]
        public var text: String { String(decoding: body, as: UTF8.self) }
        public func header(_ name: String) -> String? {
            headers.first { $0.0.lowercased() == name.lowercased() }?.1
        }
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public init(_ d: String) { description = d }
    }

    public init(port: Int, timeoutSeconds: Int = 5) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure("socket: errno \(errno)") }
        var tv = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        guard connectLoopback(fd, port: port) == 0 else { let e = errno; Glibc.close(fd); throw Failure("connect: errno \(e)") }
    }

    deinit { Glibc.close(fd) }

    public func send(_ text: String) throws { try send(Array(text.utf8)) }

    public func send(_ bytes: [UInt8]) throws {
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + off, $0.count - off, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw Failure("send: errno \(errno)") }
            off += n
        }
    }

    /// Half-closes: no more bytes from the client.
    public func shutdownWrite() { Glibc.shutdown(fd, Int32(SHUT_WR)) }

    /// Resets the connection (SO_LINGER 0) on close.
    public func reset() {
        var l = linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, socklen_t(MemoryLayout<linger>.size))
        Glibc.shutdown(fd, Int32(SHUT_RDWR))
    }

    /// Reads one more chunk from the socket into the buffer; false on EOF.
    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n == 0 { return false }
        guard n > 0 else { throw Failure(errno == EAGAIN ? "read timed out" : "recv: errno \(errno)") }
        buffer.append(contentsOf: chunk[0..<n])
        return true
    }

    /// Reads until `count` bytes are buffered or EOF.
    public func readBytes(_ count: Int) throws -> [UInt8] {
        while buffer.count < count { if try !fill() { break } }
        let n = min(count, buffer.count)
        let out = Array(buffer[0..<n])
        buffer.removeFirst(n)
        return out
    }

    /// Reads everything until the server closes the connection.
    public func readToEnd() throws -> [UInt8] {
        while try fill() {}
        defer { buffer.removeAll() }
        return buffer
    }

    /// True when the server has closed (EOF with nothing buffered).
    public func isClosedByServer() throws -> Bool {
        if !buffer.isEmpty { return false }
        return try !fill()
    }

    private func readLine() throws -> String {
        while true {
            if let i = buffer.firstIndex(of: 0x0A), i > 0, buffer[i - 1] == 0x0D {
                let line = String(decoding: buffer[0..<(i - 1)], as: UTF8.self)
                buffer.removeFirst(i + 1)
                return line
            }
            guard try fill() else { throw Failure("connection closed mid-line") }
        }
    }

    /// Reads one response: status line, headers, and a body framed by Content-Length, chunked,
    /// or (when neither) the connection closing. `head: true` reads no body (HEAD requests).
    public func readResponse(head: Bool = false) throws -> Response {
        var statusLine = try readLine()
        var status = Self.status(statusLine)
        var headers: [(String, String)] = []
        while true {
            headers = []
            while true {
                let line = try readLine()
                if line.isEmpty { break }
                let parts = line.split(separator: ":", maxSplits: 1)
                headers.append((String(parts[0]), parts.count > 1 ? String(parts[1].drop { $0 == " " }) : ""))
            }
            guard status == 100 else { break }
            statusLine = try readLine()
            status = Self.status(statusLine)
        }
        var r = Response(status: status, headers: headers, body: [])
        if head { return r }
        if let cl = r.header("content-length"), let n = Int(cl) {
            r.body = try readBytes(n)
            if r.body.count < n { throw Failure("body truncated: \(r.body.count)/\(n)") }
        } else if r.header("transfer-encoding")?.lowercased() == "chunked" {
            while true {
                let sizeLine = try readLine()
                guard let size = Int(sizeLine.split(separator: ";")[0], radix: 16) else { throw Failure("bad chunk size \(sizeLine)") }
                if size == 0 { _ = try readLine(); break }
                r.body += try readBytes(size)
                _ = try readLine()
            }
        } else {
            r.body = try readToEnd()
        }
        return r
    }

    /// Reads the interim or final status line and headers only (for 100-continue tests).
    public func readStatusLine() throws -> String { try readLine() }

    private static func status(_ line: String) -> Int {
        let parts = line.split(separator: " ")
        return parts.count > 1 ? Int(parts[1]) ?? 0 : 0
    }

    /// `GET path` with `Host` and any extra header lines.
    public static func get(_ path: String, _ headers: [String: String] = [:], method: String = "GET") -> String {
        var s = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for (k, v) in headers.sorted(by: { $0.key < $1.key }) { s += "\(k): \(v)\r\n" }
        return s + "\r\n"
    }
}

/// Number of open file descriptors of this process.
public func openFileDescriptorCount() -> Int {
    guard let dir = opendir("/proc/self/fd") else { return -1 }
    defer { closedir(dir) }
    var n = 0
    while readdir(dir) != nil { n += 1 }
    return n - 3  // ".", "..", and the directory stream itself
}

/// Polls `condition` every 10 ms for up to `seconds`.
public func waitUntil(_ seconds: Double = 5, _ condition: () -> Bool) -> Bool {
    let deadline = monotonicSeconds() + seconds
    while monotonicSeconds() < deadline {
        if condition() { return true }
        usleep(10_000)
    }
    return condition()
}

public func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// Server-side TCP sockets of this process whose local port is `port` (listening socket excluded):
/// the connections a server in this process still holds open.
public func serverSocketCount(port: Int) -> Int {
    var inodes = Set<String>()
    for table in ["/proc/self/net/tcp", "/proc/self/net/tcp6"] {
        for line in readText(table).split(separator: "\n").dropFirst() {
            let f = line.split(separator: " ")
            guard f.count > 9, let colon = f[1].lastIndex(of: ":"),
                  Int(f[1][f[1].index(after: colon)...], radix: 16) == port, f[3] != "0A" else { continue }
            inodes.insert(String(f[9]))
        }
    }
    guard !inodes.isEmpty, let dir = opendir("/proc/self/fd") else { return 0 }
    defer { closedir(dir) }
    var n = 0
    var buf = [CChar](repeating: 0, count: 256)
    while let e = readdir(dir) {
        let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let len = readlink("/proc/self/fd/\(name)", &buf, 255)
        guard len > 0 else { continue }
        let link = String(decoding: buf[0..<len].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if link.hasPrefix("socket:["), inodes.contains(String(link.dropFirst(8).dropLast())) { n += 1 }
    }
    return n
}

/// `connect(2)` of `fd` to 127.0.0.1:`port`; the call's return value (0, or -1 with errno).
public func connectLoopback(_ fd: Int32, port: Int) -> Int32 {
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = UInt16(port).bigEndian
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    return withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
}

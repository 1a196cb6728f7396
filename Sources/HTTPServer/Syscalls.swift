// All Glibc socket calls live here, with one errno policy: EINTR retried, EAGAIN a value, the
// rest an error carrying the operation and errno.
import CSystem
import Glibc

/// The outcome of a non-blocking I/O call.
enum IOResult<T> {
    case done(T)
    case wouldBlock
}

/// A failed system call: the operation and its errno.
public struct SystemError: Error, CustomStringConvertible, Sendable {
    public let operation: String
    public let errno: Int32
    public var description: String { "\(operation) failed: \(String(cString: strerror(errno))) (errno \(errno))" }
}

enum Sys {
    /// Runs `body`, retrying on EINTR; EAGAIN/EWOULDBLOCK become `.wouldBlock`.
    @inline(__always)
    static func call<T: BinaryInteger>(_ op: String, _ body: () -> T) throws(SystemError) -> IOResult<T> {
        while true {
            let r = body()
            if r >= 0 { return .done(r) }
            let e = Glibc.errno
            if e == EINTR { continue }
            if e == EAGAIN || e == EWOULDBLOCK { return .wouldBlock }
            throw SystemError(operation: op, errno: e)
        }
    }

    static func read(_ fd: Int32, _ p: UnsafeMutableRawPointer, _ n: Int) throws(SystemError) -> IOResult<Int> {
        try call("read") { Glibc.read(fd, p, n) }
    }

    static func send(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) throws(SystemError) -> IOResult<Int> {
        try call("send") { Glibc.send(fd, p, n, Int32(MSG_NOSIGNAL)) }
    }

    /// Gathers two buffers into one `sendmsg` (no copy of either), MSG_NOSIGNAL.
    static func send(_ fd: Int32, _ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) throws(SystemError) -> IOResult<Int> {
        var iov = (iovec(iov_base: UnsafeMutableRawPointer(mutating: a.baseAddress), iov_len: a.count),
                   iovec(iov_base: UnsafeMutableRawPointer(mutating: b.baseAddress), iov_len: b.count))
        return try withUnsafeMutablePointer(to: &iov) { (p) throws(SystemError) -> IOResult<Int> in
            try p.withMemoryRebound(to: iovec.self, capacity: 2) { (v) throws(SystemError) -> IOResult<Int> in
                var msg = msghdr()
                msg.msg_iov = v
                msg.msg_iovlen = 2
                return try call("sendmsg") { Glibc.sendmsg(fd, &msg, Int32(MSG_NOSIGNAL)) }
            }
        }
    }

    static func close(_ fd: Int32) { _ = Glibc.close(fd) }

    /// SO_LINGER {l_onoff 1, l_linger 0}: the next `close` discards unsent data and sends RST.
    static func setAbortiveClose(_ fd: Int32) {
        var l = linger(l_onoff: 1, l_linger: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, socklen_t(MemoryLayout<linger>.size))
    }

    static func setInt(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32) {
        var v = value
        _ = setsockopt(fd, level, name, &v, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Creates, binds and listens on a non-blocking IPv4 or IPv6 TCP socket. Returns the fd and bound port.
    static func listen(host: String, port: Int, backlog: Int32) throws(SystemError) -> (Int32, Int) {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST
        var res: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &res)
        guard rc == 0, let ai = res else { throw SystemError(operation: "getaddrinfo(\(host))", errno: EINVAL) }
        defer { freeaddrinfo(res) }
        let fd = socket(ai.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError(operation: "socket", errno: Glibc.errno) }
        setInt(fd, SOL_SOCKET, SO_REUSEADDR, 1)
        guard bind(fd, ai.pointee.ai_addr, ai.pointee.ai_addrlen) == 0 else {
            let e = Glibc.errno; close(fd)
            throw SystemError(operation: "bind \(host):\(port)", errno: e)
        }
        guard Glibc.listen(fd, backlog) == 0 else {
            let e = Glibc.errno; close(fd)
            throw SystemError(operation: "listen", errno: e)
        }
        var storage = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let bound = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        guard bound == 0 else { let e = Glibc.errno; close(fd); throw SystemError(operation: "getsockname", errno: e) }
        let family = Int32(storage.ss_family)
        let boundPort = withUnsafePointer(to: &storage) { p -> Int in
            if family == AF_INET6 {
                return p.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
            }
            return p.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
        }
        return (fd, boundPort)
    }

    /// The peer's IP address as text, or "" when unknown.
    static func peerAddress(_ fd: Int32) -> String {
        var storage = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ok = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &len) }
        } == 0
        guard ok else { return "" }
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        let rc = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                getnameinfo($0, len, &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST)
            }
        }
        guard rc == 0 else { return "" }
        var s = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if s.hasPrefix("::ffff:") { s.removeFirst(7) }
        return s
    }

    /// Monotonic nanoseconds.
    @inline(__always)
    static func monotonicNanos() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    /// Wall-clock Unix seconds.
    @inline(__always)
    static func unixSeconds() -> Int { Int(time(nil)) }
}

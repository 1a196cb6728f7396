// The Glibc calls the load generator makes: address resolution, non-blocking connect, the
// file-descriptor limit and the monotonic clock.
import CSystem
import Glibc

enum System {
    /// A resolved server address.
    struct Address {
        var storage = sockaddr_storage()
        var length: socklen_t = 0
        var family: Int32 = AF_INET
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static func resolve(host: String, port: Int) throws(Failure) -> Address {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var res: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &res)
        guard rc == 0, let ai = res else {
            throw Failure(description: "cannot resolve \(host): \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(res) }
        var a = Address()
        a.family = ai.pointee.ai_family
        a.length = ai.pointee.ai_addrlen
        withUnsafeMutableBytes(of: &a.storage) { dst in
            dst.copyMemory(from: UnsafeRawBufferPointer(start: ai.pointee.ai_addr, count: Int(ai.pointee.ai_addrlen)))
        }
        return a
    }

    /// Starts a non-blocking connect; returns the fd (connected or in progress) or the errno.
    static func startConnect(_ a: Address) -> (fd: Int32, errno: Int32) {
        let fd = socket(a.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return (-1, Glibc.errno) }
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var storage = a.storage
        let rc = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, a.length) }
        }
        if rc == 0 || Glibc.errno == EINPROGRESS { return (fd, 0) }
        let e = Glibc.errno
        Glibc.close(fd)
        return (-1, e)
    }

    /// The pending error of a socket whose non-blocking connect finished (0 = connected).
    static func socketError(_ fd: Int32) -> Int32 {
        var e: Int32 = 0
        var len = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) == 0 else { return Glibc.errno }
        return e
    }

    /// Raises the soft RLIMIT_NOFILE to at least `needed` (up to the hard limit); returns the new soft limit.
    static func raiseFileLimit(to needed: Int) -> Int {
        var rl = rlimit()
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        guard getrlimit(resource, &rl) == 0 else { return 0 }
        if rl.rlim_cur < rlim_t(needed) {
            var want = rl
            want.rlim_cur = min(rl.rlim_max, rlim_t(needed))
            if setrlimit(resource, &want) == 0 { rl = want }
        }
        return rl.rlim_cur > rlim_t(Int.max) ? Int.max : Int(rl.rlim_cur)
    }

    static func errnoText(_ e: Int32) -> String { String(cString: strerror(e)) }

    /// Writes "bytespike-loadgen: MESSAGE" and a newline to standard error.
    static func warn(_ message: String) {
        let line = Array("bytespike-loadgen: \(message)\n".utf8)
        line.withUnsafeBytes { _ = Glibc.write(2, $0.baseAddress, $0.count) }
    }

    /// Monotonic nanoseconds.
    @inline(__always)
    static func nanos() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }
}

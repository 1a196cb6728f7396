import CSystem
import Glibc

/// N persistent HTTP/1.1 connections on one level-triggered epoll loop, each sending the same
/// request back to back (the next one as soon as the previous response ends) for the warm-up
/// plus the measured window; only responses that end inside the window are counted.
///
/// Concurrency: single-threaded; every property belongs to the thread that calls ``run()``.
final class LoadGenerator {
    private enum Phase { case closed, connecting, writing, reading }

    private struct Conn {
        var fd: Int32 = -1
        var gen: UInt32 = 0
        var phase = Phase.closed
        /// The epoll interest currently registered.
        var interest: UInt32 = 0
        var written = 0
        var requestStart: UInt64 = 0
        var firstEventAt: UInt64 = 0
        var lastProgress: UInt64 = 0
        var retryAt: UInt64 = 0
        /// Completed a good response inside the window (starved connections never do).
        var served = false
        var parser = ResponseParser()
    }

    private let options: Options
    private let address: System.Address
    private let request: [UInt8]
    private let epfd: Int32
    private var conns: [Conn]
    private var nextGen: UInt32 = 1
    private var now: UInt64 = 0
    private var measureFrom: UInt64 = 0
    private let timeoutNanos: UInt64
    private var tally = Tally()
    private var reported = 0
    private let readBuffer: UnsafeMutableRawBufferPointer

    private static let retryDelay: UInt64 = 50_000_000
    private static let sweepInterval: UInt64 = 10_000_000

    init(options: Options, address: System.Address) throws(System.Failure) {
        self.options = options
        self.address = address
        request = Self.buildRequest(options)
        epfd = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epfd >= 0 else { throw System.Failure(description: "epoll_create1: \(System.errnoText(errno))") }
        conns = [Conn](repeating: Conn(), count: options.connections)
        timeoutNanos = UInt64(options.timeout * 1e9)
        readBuffer = .allocate(byteCount: 256 * 1024, alignment: 16)
    }

    deinit {
        for i in conns.indices where conns[i].fd >= 0 { Glibc.close(conns[i].fd) }
        Glibc.close(epfd)
        readBuffer.deallocate()
    }

    /// Runs the warm-up and the measured window; returns the window's tally and its length in seconds.
    func run() -> (Tally, Double) {
        let start = System.nanos()
        now = start
        measureFrom = start + UInt64(options.warmup * 1e9)
        let end = measureFrom + UInt64(options.duration * 1e9)
        for i in conns.indices { open(i) }
        let capacity = 1024
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: capacity)
        defer { events.deallocate() }
        var nextSweep = now + Self.sweepInterval
        while now < end {
            let waitMs = Int32(min(10, (end - now + 999_999) / 1_000_000))
            let n = epoll_wait(epfd, events, Int32(capacity), waitMs)
            now = System.nanos()
            if n < 0 {
                if errno == EINTR { continue }
                fatalError("epoll_wait: \(System.errnoText(errno))")
            }
            for k in 0..<Int(n) {
                let data = csystem_epoll_event_data(events + k)
                let i = Int(data & 0xFFFF_FFFF)
                guard i < conns.count, conns[i].gen == UInt32(truncatingIfNeeded: data >> 32), conns[i].fd >= 0 else { continue }
                // Per event, so timings late in a large batch are not stale (vDSO, ~20 ns).
                if k > 0 { now = System.nanos() }
                handle(i, csystem_epoll_event_events(events + k))
            }
            if now >= nextSweep {
                sweep()
                nextSweep = now + Self.sweepInterval
            }
        }
        let seconds = Double(now - measureFrom) / 1e9
        return (tally, seconds)
    }

    // MARK: connection life

    private func open(_ i: Int) {
        let (fd, e) = System.startConnect(address)
        guard fd >= 0 else {
            fail(i, .connect, "connect: \(System.errnoText(e))")
            return
        }
        conns[i].fd = fd
        conns[i].gen = nextGen
        nextGen = nextGen &+ 1 == 0 ? 1 : nextGen &+ 1
        conns[i].phase = .connecting
        conns[i].lastProgress = now
        conns[i].interest = EPOLLOUT.rawValue
        var ev = epoll_event()
        csystem_epoll_event_set(&ev, conns[i].interest, UInt64(conns[i].gen) << 32 | UInt64(i))
        epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev)
    }

    private func close(_ i: Int) {
        guard conns[i].fd >= 0 else { return }
        epoll_ctl(epfd, EPOLL_CTL_DEL, conns[i].fd, nil)
        Glibc.close(conns[i].fd)
        conns[i].fd = -1
        conns[i].gen = 0
        conns[i].phase = .closed
    }

    private func setInterest(_ i: Int, _ mask: UInt32) {
        guard conns[i].interest != mask else { return }
        conns[i].interest = mask
        var ev = epoll_event()
        csystem_epoll_event_set(&ev, mask, UInt64(conns[i].gen) << 32 | UInt64(i))
        epoll_ctl(epfd, EPOLL_CTL_MOD, conns[i].fd, &ev)
    }

    /// Counts an error (inside the window), closes the connection and reconnects.
    private func fail(_ i: Int, _ kind: Tally.ErrorKind, _ detail: @autoclosure () -> String) {
        if now >= measureFrom {
            tally.errors[kind.rawValue] += 1
            if options.verbose && reported < 10 {
                reported += 1
                let d = detail()
                System.warn("\(kind.label) error on connection \(i): \(d)")
            }
        }
        close(i)
        conns[i].retryAt = kind == .connect ? now + Self.retryDelay : now
        if kind != .connect { open(i) }
    }

    /// Retries failed connects and cuts connections that made no progress within the timeout.
    private func sweep() {
        for i in conns.indices {
            switch conns[i].phase {
            case .closed:
                if conns[i].retryAt <= now { open(i) }
            case .connecting, .writing, .reading:
                if now - conns[i].lastProgress > timeoutNanos {
                    fail(i, .timeout, "no progress for \(options.timeout) s (\(conns[i].phase))")
                }
            }
        }
    }

    // MARK: events

    private func handle(_ i: Int, _ mask: UInt32) {
        switch conns[i].phase {
        case .closed:
            return
        case .connecting:
            let e = System.socketError(conns[i].fd)
            if e != 0 { fail(i, .connect, "connect: \(System.errnoText(e))"); return }
            if mask & (EPOLLERR.rawValue | EPOLLHUP.rawValue) != 0 { fail(i, .connect, "connect: hang-up"); return }
            beginRequest(i)
        case .writing:
            write(i)
        case .reading:
            read(i)
        }
    }

    private func beginRequest(_ i: Int) {
        conns[i].parser.reset()
        conns[i].phase = .writing
        conns[i].written = 0
        conns[i].firstEventAt = 0
        conns[i].requestStart = now
        conns[i].lastProgress = now
        write(i)
    }

    private func write(_ i: Int) {
        let fd = conns[i].fd
        while conns[i].written < request.count {
            let off = conns[i].written
            let r = request.withUnsafeBytes { send(fd, $0.baseAddress! + off, $0.count - off, Int32(MSG_NOSIGNAL)) }
            if r > 0 {
                conns[i].written += r
                conns[i].lastProgress = now
            } else if r < 0 && errno == EINTR {
                continue
            } else if r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                setInterest(i, EPOLLOUT.rawValue)
                return
            } else {
                fail(i, .reset, "send: \(System.errnoText(errno))")
                return
            }
        }
        conns[i].phase = .reading
        setInterest(i, EPOLLIN.rawValue)
    }

    private func read(_ i: Int) {
        let fd = conns[i].fd
        // A few reads per wake-up; level-triggered epoll brings us back for the rest.
        for _ in 0..<4 {
            let r = Glibc.read(fd, readBuffer.baseAddress, readBuffer.count)
            if r > 0 {
                conns[i].lastProgress = now
                if !consume(i, UnsafeRawBufferPointer(start: readBuffer.baseAddress, count: r)) { return }
                if r < readBuffer.count { return }
            } else if r == 0 {
                if conns[i].parser.finishAtEOF() {
                    finishResponse(i, reuse: false)
                } else {
                    fail(i, .reset, "closed by the server \(conns[i].parser.started ? "mid-response" : "before a response")")
                }
                return
            } else {
                let e = errno
                if e == EINTR { continue }
                if e == EAGAIN || e == EWOULDBLOCK { return }
                fail(i, .reset, "read: \(System.errnoText(e))")
                return
            }
        }
    }

    /// Feeds received bytes; returns false when the connection moved on (new request, closed).
    private func consume(_ i: Int, _ bytes: UnsafeRawBufferPointer) -> Bool {
        let outcome = conns[i].parser.feed(bytes)
        if conns[i].firstEventAt == 0, conns[i].parser.events > 0 { conns[i].firstEventAt = now }
        switch outcome {
        case .needMore:
            return true
        case .complete(let consumed):
            if consumed < bytes.count {
                fail(i, .parse, "\(bytes.count - consumed) bytes after the end of a response")
            } else {
                finishResponse(i, reuse: conns[i].parser.keepAlive)
            }
            return false
        case .malformed(let why):
            fail(i, .parse, why)
            return false
        }
    }

    private func finishResponse(_ i: Int, reuse: Bool) {
        let p = conns[i].parser
        if now >= measureFrom {
            if p.status != 200 {
                fail(i, .status, "HTTP \(p.status)")
                return
            }
            if let want = options.eventsPerResponse, p.events != want {
                fail(i, .events, "\(p.events) events, expected \(want)")
                return
            }
            tally.responses += 1
            if !conns[i].served { conns[i].served = true; tally.servedConnections += 1 }
            tally.events += p.events
            tally.bodyBytes += p.bodyBytes
            tally.latency.append(now - conns[i].requestStart)
            if conns[i].firstEventAt != 0 { tally.ttfe.append(conns[i].firstEventAt - conns[i].requestStart) }
        }
        if reuse {
            beginRequest(i)
        } else {
            close(i)
            open(i)
        }
    }

    // MARK: request

    private static func buildRequest(_ o: Options) -> [UInt8] {
        var s = "\(o.method) \(o.path) HTTP/1.1\r\n"
        let names = o.headers.map { $0.prefix { $0 != ":" }.lowercased() }
        if !names.contains("host") { s += "Host: \(o.host.contains(":") ? "[\(o.host)]" : o.host):\(o.port)\r\n" }
        for h in o.headers { s += h + "\r\n" }
        if !o.body.isEmpty || o.method == "POST", !names.contains("content-length") {
            s += "Content-Length: \(o.body.count)\r\n"
        }
        s += "\r\n"
        return Array(s.utf8) + o.body
    }
}

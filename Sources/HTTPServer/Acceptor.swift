import CSystem
import Glibc
import HTTPCore
import Synchronization

/// Accepts connections on the listening socket and deals them round-robin to the loops.
///
/// Concurrency: confined to the first loop's thread. Survives EMFILE/ENFILE without spinning
/// (a spare descriptor is released to accept and drop the connection, and polling pauses if
/// even that fails); connections above the cap get a canned 503 and are closed.
final class Acceptor: EventSink {
    let fd: Int32
    let loop: EventLoop
    let loops: [EventLoop]
    let context: ServerContext
    private var gen: UInt32 = 0
    private var next = 0
    private var spareFD: Int32 = -1
    private var closed = false
    private let overloadResponse: [UInt8]

    init(fd: Int32, loops: [EventLoop], context: ServerContext) {
        self.fd = fd
        self.loops = loops
        self.loop = loops[0]
        self.context = context
        let r = context.handler.protocolErrorResponse(status: .serviceUnavailable, message: "too many open connections")
        var out: [UInt8] = []
        ResponseEncoder.writeHead(into: &out, status: r.status, headers: r.headers, framing: .length(r.body.count),
                                  keepAlive: false, requestVersion: .http1_1, dateLine: [])
        overloadResponse = out + r.body
    }

    func start() {
        spareFD = open("/dev/null", O_RDONLY | O_CLOEXEC)
        gen = loop.register(fd: fd, events: EPOLLIN.rawValue, sink: self)
    }

    func handleEvents(_ events: UInt32) {
        var budget = 64
        while budget > 0, !closed {
            budget -= 1
            let c = csystem_accept4_nonblocking(fd)
            if c < 0 {
                switch Glibc.errno {
                case EINTR, ECONNABORTED, EPROTO: continue
                case EMFILE, ENFILE: shedWithSpareDescriptor(); return
                case ENOBUFS, ENOMEM: pause(for: .milliseconds(100)); return
                default: return  // EAGAIN and anything unexpected: wait for the next readiness event
                }
            }
            Sys.setInt(c, Int32(IPPROTO_TCP), TCP_NODELAY, 1)
            if context.openConnections.load(ordering: .relaxed) >= context.config.maxConnections {
                overloadResponse.withUnsafeBytes { _ = Glibc.send(c, $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL)) }
                Glibc.shutdown(c, Int32(SHUT_WR))
                Sys.close(c)
                continue
            }
            context.openConnections.add(1, ordering: .relaxed)
            let target = loops[next % loops.count]
            next &+= 1
            if target === loop {
                Connection(fd: c, loop: target, context: context).start()
            } else {
                let ctx = context
                target.execute { Connection(fd: c, loop: target, context: ctx).start() }
            }
        }
    }

    /// Out of descriptors: free the spare, accept and drop one connection, take the spare back.
    private func shedWithSpareDescriptor() {
        if spareFD >= 0 {
            Sys.close(spareFD)
            let c = csystem_accept4_nonblocking(fd)
            if c >= 0 { Sys.close(c) }
            spareFD = open("/dev/null", O_RDONLY | O_CLOEXEC)
        }
        if spareFD < 0 { pause(for: .milliseconds(100)) }
    }

    /// Stops polling the listener for a while (level triggering would otherwise spin).
    private func pause(for delay: Duration) {
        loop.modify(fd: fd, gen: gen, events: 0)
        loop.schedule(after: delay) { [weak self] in
            guard let self, !self.closed else { return }
            if self.spareFD < 0 { self.spareFD = open("/dev/null", O_RDONLY | O_CLOEXEC) }
            self.loop.modify(fd: self.fd, gen: self.gen, events: EPOLLIN.rawValue)
        }
    }

    func deadlineReached() {}

    func shutdownRequested() { terminate() }

    func terminate() {
        guard !closed else { return }
        closed = true
        loop.deregister(fd: fd)
        Sys.close(fd)
        if spareFD >= 0 { Sys.close(spareFD) }
    }
}

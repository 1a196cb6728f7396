import CSystem
import Glibc
import Synchronization
@testable import BytespikeMock
@testable import HTTPCore
@testable import HTTPServer

/// The whole gateway in-process, answering on one real event loop: each exchange opens a
/// connection over a socketpair (no port, no TIME_WAIT, so millions of runs do not exhaust
/// anything), hands the server end to the loop as an accepted connection would be, writes the
/// request on the client end and reads until the server closes. The client side is the fake
/// peer the brief asks for: the handler answers through its real `Responder`.
///
/// Concurrency: made once per process; `exchange` (and its receive buffer) belongs to the fuzzing
/// thread, the connection to the loop thread; they share nothing but the socket.
final class GatewayRig: @unchecked Sendable {
    let gateway: Gateway
    let loop: EventLoop
    let context: ServerContext

    init() {
        _ = signal(SIGPIPE, SIG_IGN)
        let fixtures: FixtureSet
        do { fixtures = try FixtureLoader.load(directory: nil) } catch { fatalError("built-in fixtures: \(error)") }
        var options = GatewayOptions()
        options.journalSize = 200
        options.ledgerSize = 10_000
        // Task timelines run fast, and a callback never waits long for a peer that is not there.
        options.tasks.timeScale = 1_000
        options.tasks.callbackAttempts = 1
        options.tasks.callbackTimeoutMillis = 100
        do { gateway = try Gateway(fixtures: fixtures, seed: 7, options: options) } catch { fatalError("gateway: \(error)") }
        var config = ServerConfiguration()
        config.headerTimeout = .seconds(5)
        config.bodyTimeout = .seconds(5)
        config.writeTimeout = .seconds(5)
        context = ServerContext(config: config, handler: gateway)
        do { loop = try EventLoop(index: 0) } catch { fatalError("event loop: \(error)") }
        loop.start()
    }

    /// What came back for one request.
    struct Reply {
        var bytes: [UInt8]
        /// False when the harness stopped waiting (a request that asked for a delay).
        var closedByServer: Bool
    }

    /// The receive buffer, reused by every exchange (an exchange runs on the fuzzing thread only).
    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)

    /// Sends `request` on a fresh connection and reads until the server closes it, or until
    /// `patience` seconds passed, or until no byte came for `silence` seconds (nil: no such limit).
    /// A request that waits on a timer (a journal wait, a latency fault, a stall) is given up after
    /// `silence`, not `patience`: what runs when its timer fires is the same code that inputs with
    /// shorter timers reach, so the wait buys no coverage.
    func exchange(_ request: [UInt8], patience: Double, silence: Double? = nil) -> Reply {
        var fds: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0 else {
            fatalError("socketpair: errno \(errno)")
        }
        let (server, client) = (fds[0], fds[1])
        _ = fcntl(server, F_SETFL, fcntl(server, F_GETFL) | O_NONBLOCK)
        // The request goes into the socket before the loop hears of the connection, so the loop
        // usually finds it all on its first read: one wake-up per exchange, not two.
        var sent = request.withUnsafeBytes { max(0, send(client, $0.baseAddress!, request.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))) }
        let context = self.context, loop = self.loop
        loop.execute {
            context.openConnections.add(1, ordering: .relaxed)
            Connection(fd: server, loop: loop, context: context).start()
        }
        defer { close(client) }
        var reply: [UInt8] = []
        let deadline = Sys.monotonicNanos() + UInt64(patience * 1e9)
        let quietLimit = silence.map { UInt64($0 * 1e9) } ?? UInt64.max
        var lastByte = Sys.monotonicNanos()
        while true {
            let now = Sys.monotonicNanos()
            let giveUp = min(deadline, quietLimit == .max ? .max : lastByte + quietLimit)
            if now >= giveUp { return Reply(bytes: reply, closedByServer: false) }
            var p = pollfd(fd: client, events: Int16(POLLIN) | (sent < request.count ? Int16(POLLOUT) : 0), revents: 0)
            let ready = poll(&p, 1, Int32(min(100, (giveUp - now) / 1_000_000 + 1)))
            if ready < 0, errno == EINTR { continue }
            if ready <= 0 { continue }
            if p.revents & Int16(POLLOUT) != 0, sent < request.count {
                let n = request.withUnsafeBytes { send(client, $0.baseAddress! + sent, request.count - sent, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
                if n > 0 { sent += n } else if n < 0, errno != EAGAIN, errno != EINTR { sent = request.count }  // the server stopped reading
            }
            if p.revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
                let n = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress!, $0.count, Int32(MSG_DONTWAIT)) }
                if n > 0 { reply += buffer[0..<n]; lastByte = Sys.monotonicNanos(); continue }
                if n == 0 || (errno != EAGAIN && errno != EINTR) { return Reply(bytes: reply, closedByServer: true) }
            }
        }
    }

    /// Forgets everything the last request changed, as `POST /__mock/reset` does (keep this list
    /// the same as `.controlReset` in Sources/Gateway/Surfaces/ControlAPI.swift), so each input
    /// runs against the same state (a crash replays from its reproducer alone). A part left out
    /// carries state into the next input: the prompt cache, left out once, kept a stream's events
    /// alive behind a pointer LeakSanitizer cannot follow, and a replayed stream "leaked".
    func reset() {
        settle()
        gateway.accounting.reset()
        gateway.clock.reset()
        gateway.replies.reset(session: nil)
        gateway.responseStore.reset()
        gateway.promptCache.reset()
        gateway.faults.reset(session: nil)
        gateway.journal.clear(session: nil)
        gateway.tasks.reset(session: nil)
        gateway.files.reset(session: nil)
        dropJournalWaiters()
    }

    /// Posted by the loop once it has finished the turn in which the last answer went out.
    private let settled: UnsafeMutablePointer<sem_t> = {
        let p = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)
        sem_init(p, 0, 0)
        return p
    }()

    /// Waits until the loop has finished the work it queued around the last answer (a stream
    /// stores its events in the prompt cache and the journal after its last bytes went out), so
    /// the reset that follows clears that too: one loop turn for `execute`, then the end-of-turn
    /// queue, where work queued at the close runs first.
    private func settle() {
        let loop = self.loop
        nonisolated(unsafe) let done = settled
        loop.execute { loop.runSoon { sem_post(done) } }
        while sem_wait(settled) != 0, errno == EINTR {}
    }

    /// The first journal waiter id not yet dropped (fuzzing thread only).
    private var firstLiveWaiter = 1

    /// Drops the journal waits that given-up inputs left registered. The gateway keeps a waiter
    /// until its `timeout_ms` (up to 10 minutes) even when the client has gone, and the journal's
    /// reset does not drop them; left alone, they would fire on a later input's journal entry (an
    /// input that does not replay alone) and fill the 1,024 waiter slots (every later wait a 503).
    /// Waiter ids count up from 1: a probe wait that can never be satisfied reveals the next id, and
    /// every id up to it is cancelled (their timers then find nothing to do).
    private func dropJournalWaiters() {
        guard case .success(let probe?) = gateway.journal.wait(JournalFilter(), count: .max, loop: loop, done: {}) else { return }
        for id in firstLiveWaiter...probe { _ = gateway.journal.cancelWait(id) }
        firstLiveWaiter = probe + 1
    }
}

import CNghttp2
import CSystem
import Glibc
import HTTPCore

/// One HTTP/2 connection (h2c with prior knowledge): a ``Connection`` whose first bytes were the
/// client preface hands its socket over, on the same loop thread, and this class serves it.
///
/// libnghttp2 does the framing, HPACK, stream states and flow control; this class is the I/O
/// shell around it. The session is driven only from here with `mem_recv` (bytes read) and
/// `mem_send` (bytes to write), never from inside one of its callbacks: callbacks only record
/// what happened (a request is complete, a stream closed, a paused stream drained) and the work
/// runs in ``pump()`` once the library has returned. Output is capped at the high watermark:
/// `mem_send` is not asked for more while that much is queued, so a client that stops reading
/// holds at most that plus what each stream's producer wrote before it paused (see ``H2Stream``).
///
/// Concurrency: confined to its event loop's thread, like ``Connection``; stored properties skip
/// the run-time exclusivity checks for the same reason.
final class H2Connection: EventSink {
    let fd: Int32
    let loop: EventLoop
    let context: ServerContext
    /// This server's HTTP/2 connection number (from 1), for the journal.
    let number: UInt64
    let limits: HTTP2Limits
    @exclusivity(unchecked) var gen: UInt32 = 0
    /// The nghttp2 session; nil once the connection closed.
    @exclusivity(unchecked) var session: OpaquePointer?

    // Streams by id, and the work callbacks leave for `pump`.
    @exclusivity(unchecked) var streams: [Int32: H2Stream] = [:]
    /// Streams that queued a complete body this round (``armStallTimers()``).
    @exclusivity(unchecked) var stallCandidates: [H2Stream] = []
    /// Streams that began in the current `mem_recv` (``armBegunStreams()``).
    @exclusivity(unchecked) var begun: [H2Stream] = []
    /// The stream ``stream(_:)`` found last; always one of `streams` (cleared when it leaves).
    @exclusivity(unchecked) var lastStream: H2Stream?
    @exclusivity(unchecked) var ready: [H2Stream] = []
    @exclusivity(unchecked) var closedStreams: [H2Stream] = []
    @exclusivity(unchecked) var drained: [H2Stream] = []

    // Input and output.
    @exclusivity(unchecked) var input: [UInt8] = []
    /// Frames serialised and not yet written; DATA payloads point into the streams' queues.
    @exclusivity(unchecked) var output = H2Output()
    /// Response bytes producers wrote that the library has not taken yet (all streams).
    @exclusivity(unchecked) var streamBytes = 0
    @exclusivity(unchecked) var accounted = 0
    @exclusivity(unchecked) var writeInterest = false
    @exclusivity(unchecked) var readPaused = false
    @exclusivity(unchecked) var closeAfterFlush = false
    /// Close with RST rather than FIN (``Disconnect/reset``).
    @exclusivity(unchecked) var abortive = false
    @exclusivity(unchecked) var lingering = false
    @exclusivity(unchecked) var closed = false
    @exclusivity(unchecked) var pumpDepth = 0
    @exclusivity(unchecked) var pumpAgain = false
    @exclusivity(unchecked) var armedDeadline: UInt64?
    @exclusivity(unchecked) var writeDeadline: UInt64?
    @exclusivity(unchecked) var idleSince: UInt64
    @exclusivity(unchecked) var lingerTimer: TimerID?
    /// Request body bytes per stream whose window is not given back yet (``grantWindow()``).
    @exclusivity(unchecked) var unconsumed: [Int32: Int] = [:]
    /// A `window_stall` fault: no `WINDOW_UPDATE` before this time (loop nanoseconds).
    @exclusivity(unchecked) var windowStallUntil: UInt64?
    @exclusivity(unchecked) private var cachedPeer: String?

    init(fd: Int32, loop: EventLoop, context: ServerContext, peer: String?) {
        self.fd = fd
        self.loop = loop
        self.context = context
        self.number = context.nextH2ConnectionNumber()
        self.limits = context.config.http2
        self.cachedPeer = peer
        idleSince = loop.now
    }

    /// Takes the socket over from the HTTP/1.1 shell and feeds the bytes it had read (the preface
    /// and whatever followed) to a new session. Loop thread only.
    func start(initial: [UInt8]) {
        gen = loop.replace(fd: fd, events: baseEvents, sink: self)
        guard openSession() else { abort(); return }
        if context.isShuttingDown { submitGoaway(code: NGHTTP2_NO_ERROR.rawValue) }
        initial.withUnsafeBytes { receive($0) }
        pump()
    }

    var peerAddress: String {
        if let cachedPeer { return cachedPeer }
        let p = Sys.peerAddress(fd)
        cachedPeer = p
        return p
    }

    private var baseEvents: UInt32 {
        (readPaused ? 0 : EPOLLIN.rawValue) | EPOLLRDHUP.rawValue | (writeInterest ? EPOLLOUT.rawValue : 0)
    }

    func updateInterest() {
        guard !closed else { return }
        loop.modify(fd: fd, gen: gen, events: baseEvents)
    }

    // MARK: events

    func handleEvents(_ events: UInt32) {
        if closed { return }
        if lingering { drainLingering(); return }
        if events & (EPOLLERR.rawValue | EPOLLHUP.rawValue) != 0 { abort(); return }
        if events & (EPOLLIN.rawValue | EPOLLRDHUP.rawValue) != 0 { readAvailable() }
        if !closed, events & EPOLLOUT.rawValue != 0 { pump() }
    }

    /// Graceful shutdown: `GOAWAY(NO_ERROR)` naming the last stream taken; those streams finish
    /// (within the server's shutdown grace), new ones are refused, then the connection closes.
    func shutdownRequested() {
        guard !closed, !lingering else { return }
        submitGoaway(code: NGHTTP2_NO_ERROR.rawValue)
        pump()
    }

    func terminate() { abort() }

    func deadlineReached() {
        armedDeadline = nil
        guard !closed, !lingering else { return }
        let now = loop.now
        if let w = writeDeadline, now >= w { abort(); return }  // the client took nothing for the write timeout
        if writeDeadline == nil, streams.isEmpty, now >= idleSince &+ context.timeouts.idle {
            submitGoaway(code: NGHTTP2_NO_ERROR.rawValue)
            closeAfterFlush = true
            pump()
            return
        }
        updateDeadline()
    }

    /// Arms the loop deadline for the earlier of the write stall and the idle timeout.
    func updateDeadline() {
        guard !closed, !lingering else { return }
        let d: UInt64
        if let w = writeDeadline { d = w } else if streams.isEmpty { d = idleSince &+ context.timeouts.idle } else { return }
        if let armed = armedDeadline, armed <= d { return }
        armedDeadline = d
        loop.armDeadline(d, fd: fd, gen: gen)
    }

    // MARK: reading

    private func readAvailable() {
        if input.isEmpty { input = loop.takeInputBuffer() }
        defer { if !input.isEmpty { loop.recycleInput(&input) } }
        while !closed {
            let r: IOResult<Int>
            do {
                r = try input.withUnsafeMutableBytes { try Sys.read(fd, $0.baseAddress!, $0.count) }
            } catch {
                abort()
                return
            }
            guard case .done(let n) = r else { break }
            if n == 0 {  // the client closed: its streams are gone
                abort()
                return
            }
            idleSince = loop.now
            input.withUnsafeBytes { receive(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            if n < input.count || readPaused { break }
        }
        pump()
    }

    /// Hands received bytes to the session; a fatal protocol error ends the connection after the
    /// library's `GOAWAY` is written.
    func receive(_ bytes: UnsafeRawBufferPointer) {
        guard let session, !closeAfterFlush, bytes.count > 0 else { return }
        let rv = nghttp2_session_mem_recv(session, bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), bytes.count)
        if !begun.isEmpty { armBegunStreams() }
        if rv < 0 {
            nghttp2_session_terminate_session(session, Self.errorCode(forLibraryError: Int32(rv)))
            closeAfterFlush = true
        }
        pumpAgain = true
    }

    static func errorCode(forLibraryError rv: Int32) -> UInt32 {
        rv == NGHTTP2_ERR_FLOODED.rawValue ? NGHTTP2_ENHANCE_YOUR_CALM.rawValue : NGHTTP2_PROTOCOL_ERROR.rawValue
    }

    /// Queues `GOAWAY` with the last stream the session processed and `code`.
    func submitGoaway(code: UInt32, lastStreamID: Int32? = nil) {
        guard let session else { return }
        let last = lastStreamID ?? nghttp2_session_get_last_proc_stream_id(session)
        _ = nghttp2_submit_goaway(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), last, code, nil, 0)
    }
}

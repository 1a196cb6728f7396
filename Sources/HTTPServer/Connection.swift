import CSystem
import Glibc
import HTTPCore

/// One accepted TCP connection: reads and parses requests, hands them to the handler one at a
/// time (pipelined requests wait in the buffer, answered in order), writes responses and streams.
///
/// Concurrency: confined to its event loop's thread. The timing rules live in the pure
/// ``ConnectionStateMachine``; this class is the I/O shell that executes its decisions.
///
/// Stored properties are `@exclusivity(unchecked)`: one thread touches them, no access overlaps
/// another (every suite passed with the run-time checks on before they were turned off here),
/// and the checks were about 5 % of a chat completion's instructions (scripts/bench-instructions).
/// The same holds for ``EventLoop`` and ``ResponseStream``. An attribute, not a compiler flag:
/// `unsafeFlags` would stop other packages from depending on the `BytespikeMock` library.
/// A timer of the request in flight (``Responder/schedule(after:_:cancelled:)``).
struct RequestTimer {
    let id: TimerID
    /// Runs when the timer is cancelled because the request ended first.
    let cancelled: (() -> Void)?
}

final class Connection: EventSink {
    struct InFlight {
        var token: UInt64
        var version: Version
        var keepAlive: Bool
        var isHead: Bool
    }

    let fd: Int32
    let loop: EventLoop
    let context: ServerContext
    @exclusivity(unchecked) private(set) var gen: UInt32 = 0

    // Input: a loop buffer, held only while it holds unprocessed bytes.
    @exclusivity(unchecked) var input: [UInt8]
    @exclusivity(unchecked) var inStart = 0
    @exclusivity(unchecked) var inEnd = 0
    @exclusivity(unchecked) var parser: RequestParser
    @exclusivity(unchecked) var peerClosed = false
    @exclusivity(unchecked) var sentContinue = false
    @exclusivity(unchecked) var readPaused = false

    // Output, in order: `output`, then `large` (a big body queued by reference, not copied),
    // then `tail` (whatever was queued behind the large body).
    @exclusivity(unchecked) var output: [UInt8] = []
    @exclusivity(unchecked) var outSent = 0
    @exclusivity(unchecked) var large: [UInt8] = []
    @exclusivity(unchecked) var largeSent = 0
    @exclusivity(unchecked) var tail: [UInt8] = []
    @exclusivity(unchecked) var writeInterest = false
    @exclusivity(unchecked) var closeAfterFlush = false
    /// This connection's share of the server's ``OutputBudget`` as last reported.
    @exclusivity(unchecked) var accounted = 0

    // Request state.
    @exclusivity(unchecked) var machine: ConnectionStateMachine
    @exclusivity(unchecked) var armedDeadline: UInt64?
    @exclusivity(unchecked) var nextToken: UInt64 = 0
    @exclusivity(unchecked) var inFlight: InFlight?
    @exclusivity(unchecked) var stream: ResponseStream?
    @exclusivity(unchecked) var requestTimers: [UInt64: RequestTimer] = [:]
    @exclusivity(unchecked) var nextTimerKey: UInt64 = 0
    @exclusivity(unchecked) var processing = false
    @exclusivity(unchecked) var lingering = false
    @exclusivity(unchecked) var closed = false
    /// Set once the connection is being torn down on purpose (``Disconnect``): input is discarded,
    /// and the close after the last queued byte is done that way.
    @exclusivity(unchecked) var disconnecting: Disconnect?
    @exclusivity(unchecked) private var cachedPeer: String?
    /// Until the first bytes rule it out, the connection may be starting with the HTTP/2 preface.
    @exclusivity(unchecked) var mayBeHTTP2 = true

    init(fd: Int32, loop: EventLoop, context: ServerContext) {
        self.fd = fd
        self.loop = loop
        self.context = context
        input = []  // taken from the loop when bytes arrive
        parser = RequestParser(limits: context.config.parser)
        machine = ConnectionStateMachine(timeouts: context.timeouts, now: loop.now)
    }

    /// Registers with the loop, unless the handler's ``HTTPHandler/acceptFault(peer:)`` drops
    /// the connection first. Loop thread only.
    func start() {
        gen = loop.register(fd: fd, events: baseEvents, sink: self)
        if let fault = context.handler.acceptFault(peer: peerAddress) {
            dropAtAccept(fault)
            return
        }
        updateDeadline()
    }

    private var baseEvents: UInt32 {
        (readPaused ? 0 : EPOLLIN.rawValue) | EPOLLRDHUP.rawValue | (writeInterest ? EPOLLOUT.rawValue : 0)
    }

    func updateInterest() {
        guard !closed else { return }
        loop.modify(fd: fd, gen: gen, events: baseEvents)
    }

    var peerAddress: String {
        if let cachedPeer { return cachedPeer }
        let p = Sys.peerAddress(fd)
        cachedPeer = p
        return p
    }

    func isCurrent(_ token: UInt64) -> Bool { !closed && inFlight?.token == token }

    /// The client half-closed and every request it sent before has been taken from the buffer:
    /// the response now being written is the last one. (Requests pipelined before the FIN are
    /// all answered, in order; only the last response says `Connection: close`.)
    var peerDone: Bool { peerClosed && inEnd == inStart }

    // MARK: events

    func handleEvents(_ events: UInt32) {
        if closed { return }
        if events & EPOLLERR.rawValue != 0 || events & EPOLLHUP.rawValue != 0 {
            abort()
            return
        }
        if events & (EPOLLIN.rawValue | EPOLLRDHUP.rawValue) != 0 {
            readAvailable()
        }
        if !closed, events & EPOLLOUT.rawValue != 0 {
            flush()
        }
    }

    func deadlineReached() {
        armedDeadline = nil
        guard !closed else { return }
        switch machine.timeoutAction(now: loop.now) {
        case .none:
            updateDeadline()
        case .close:
            abort()
        case .requestTimeout:
            inFlight = nil
            stream = nil
            rejectAndClose(.requestTimeout, "request was not received in time")
        }
    }

    func shutdownRequested() {
        guard !closed else { return }
        if lingering || (inFlight == nil && inStart == inEnd && pendingOutput == 0) {
            close(graceful: false)
        }
        // Otherwise the in-flight response ends with `Connection: close` (see `complete`).
    }

    func terminate() { abort() }

    // MARK: reading

    private func readAvailable() {
        if lingering { drainLingering(); return }
        if input.isEmpty { input = loop.takeInputBuffer() }
        defer { if inStart == inEnd, !input.isEmpty { inStart = 0; inEnd = 0; loop.recycleInput(&input) } }
        while true {
            if inEnd == input.count { makeRoom() }
            let space = input.count - inEnd
            let r: IOResult<Int>
            do {
                r = try input.withUnsafeMutableBytes { try Sys.read(fd, $0.baseAddress! + inEnd, space) }
            } catch {
                abort()
                return
            }
            guard case .done(let n) = r else { break }
            if n == 0 {
                // A client that closes while its response is still streaming has gone away (a
                // half-closed HTTP client is vanishingly rare): end the stream now, so its
                // producer stops and learns at once rather than on its next write. One that
                // pipelined further requests before its FIN did half-close: it is answered.
                if stream != nil, inEnd == inStart { abort(); return }
                peerClosed = true
                readPaused = true  // EOF stays readable under level triggering; stop polling for it
                updateInterest()
                break
            }
            inEnd += n
            if disconnecting != nil { inStart = 0; inEnd = 0 }  // nothing more is served: discard
            if n < space { break }
        }
        processInput()
    }

    /// Makes space at the end of the input buffer: compacts, or grows it.
    private func makeRoom() {
        if inStart > 0 {
            let live = inEnd - inStart
            input.withUnsafeMutableBytes { p in
                p.baseAddress!.copyMemory(from: p.baseAddress! + inStart, byteCount: live)
            }
            inStart = 0
            inEnd = live
        }
        if inEnd == input.count {
            input.append(contentsOf: repeatElement(0, count: input.count))
        }
    }

    /// Parses and dispatches buffered requests while no response is in progress.
    func processInput() {
        guard !processing, !closed, !lingering else { return }
        processing = true
        defer { processing = false }
        while true {
            let stoppedForOutput = parseAndDispatch()
            // Bound what a client can queue behind a slow response.
            let shouldPause = inFlight != nil && (inEnd - inStart) > context.config.parser.maxRequestLine + context.config.parser.maxHeaderBytes
            if shouldPause != readPaused, !peerClosed {
                readPaused = shouldPause
                updateInterest()
            }
            flush()
            // Stopped because answers were piling up, and the socket took them all: go on.
            guard stoppedForOutput, !closed, pendingOutput <= context.config.highWatermark else { return }
        }
    }

    /// Answers complete buffered requests in order; true when it stopped because queued output
    /// passed the high watermark (a pipelining client must drain first).
    private func parseAndDispatch() -> Bool {
        while !closed, inFlight == nil, !closeAfterFlush, inEnd > inStart {
            if mayBeHTTP2 {
                switch checkPreface() {
                case .needMore: machine.headBytesArrived(now: loop.now); return false
                case .http2: becomeHTTP2(); return false
                case .http1: break
                }
            }
            if pendingOutput > context.config.highWatermark { return true }
            let result = input.withUnsafeBytes { parser.parse(UnsafeRawBufferPointer(rebasing: $0[inStart..<inEnd])) }
            switch consume result {  // the request moves out of the result: no copy, no second release
            case .needMore:
                if parser.headComplete {
                    machine.bodyBytesArrived(now: loop.now)
                    if parser.expectsContinue, !sentContinue {
                        sentContinue = true
                        enqueue(ResponseEncoder.continueResponse)
                    }
                } else {
                    machine.headBytesArrived(now: loop.now)
                }
                if peerClosed { closeAfterFlush = true }
                return false
            case .request(let request, let consumed):
                inStart += consumed
                if inStart == inEnd { inStart = 0; inEnd = 0 }
                sentContinue = false
                dispatch(request)
            case .error(let error):
                rejectAndClose(error.status, error.message)
                return false
            }
        }
        if inFlight == nil, peerClosed, inStart == inEnd { closeAfterFlush = true }
        return false
    }

    private func dispatch(_ request: Request) {
        nextToken &+= 1
        inFlight = InFlight(token: nextToken, version: request.version,
                            keepAlive: request.keepAlive && !context.isShuttingDown,
                            isHead: request.method == .head)
        machine.requestDispatched()
        if request.body.count > 1 << 20 || input.count > 1 << 20 { MemoryReturn.requestTrim(on: loop) }
        context.handler.handle(request, responder: Responder(connection: self, token: nextToken))
    }

    // MARK: deadlines

    func updateDeadline() {
        guard !closed, let d = machine.deadline else { return }
        if let armed = armedDeadline, armed <= d { return }
        armedDeadline = d
        loop.armDeadline(d, fd: fd, gen: gen)
    }
}

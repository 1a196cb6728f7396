import CSystem
import Glibc
import HTTPCore

extension Connection {
    // MARK: responses

    /// Writes a complete response for the in-flight request identified by `token`.
    func complete(token: UInt64, status: Status, body: [UInt8], headers: (inout [UInt8]) -> Void) {
        guard let f = inFlight, f.token == token, !closed else { return }
        let keepAlive = f.keepAlive && !context.isShuttingDown && !peerDone
        writeHead(status: status, framing: .length(body.count), keepAlive: keepAlive, version: f.version, headers: headers)
        if !f.isHead { enqueue(body) }
        finishResponse(keepAlive: keepAlive)
    }

    private func writeHead(status: Status, framing: BodyFraming, keepAlive: Bool, version: Version, headers: (inout [UInt8]) -> Void) {
        let date = loop.dateCache.current
        appendQueued { out in
            ResponseEncoder.writeHead(into: &out, status: status, framing: framing, keepAlive: keepAlive,
                                      requestVersion: version, dateLine: date, headers: headers)
        }
    }

    /// Bodies at least this large are queued by reference and gathered into the send.
    static let largeBody = 4096

    /// Queues bytes behind everything already queued.
    func enqueue(_ bytes: [UInt8]) {
        if bytes.count >= Self.largeBody, large.isEmpty, tail.isEmpty {
            large = bytes
            largeSent = 0
        } else {
            appendQueued { $0.append(contentsOf: bytes) }
        }
    }

    /// Lets `write` append to the last queued buffer.
    func appendQueued(_ write: (inout [UInt8]) -> Void) {
        if large.isEmpty, tail.isEmpty {
            if output.capacity == 0 { output = loop.takeOutputBuffer() }
            write(&output)
        } else {
            write(&tail)
        }
    }

    /// Bytes queued and not yet written.
    var pendingOutput: Int { output.count - outSent + large.count - largeSent + tail.count }

    private func finishResponse(keepAlive: Bool) {
        inFlight = nil
        cancelRequestTimers()
        machine.responseEnded()
        if !keepAlive { closeAfterFlush = true }
        if !processing {
            flush()
            processInput()
        }
    }

    /// A server-level rejection (parse error, timeout): answer with the handler's error body, then close.
    func rejectAndClose(_ status: Status, _ message: String) {
        let response = context.handler.protocolErrorResponse(status: status, message: message)
        writeHead(status: response.status, framing: .length(response.body.count), keepAlive: false, version: .http1_1) { out in
            appendHeaders(response.headers, to: &out)
        }
        enqueue(response.body)
        closeAfterFlush = true
        flush()
    }

    func scheduleForRequest(after delay: Duration, _ body: @escaping () -> Void, cancelled: (() -> Void)? = nil) {
        let key = nextTimerKey
        nextTimerKey &+= 1
        let id = loop.schedule(after: delay) { [weak self] in
            self?.requestTimers[key] = nil
            body()
        }
        requestTimers[key] = RequestTimer(id: id, cancelled: cancelled)
    }

    /// Cancels the request's pending timers and then runs their `cancelled` callbacks.
    func cancelRequestTimers() {
        guard !requestTimers.isEmpty else { return }
        let timers = requestTimers.values
        requestTimers.removeAll()
        for t in timers { loop.cancel(t.id) }
        for t in timers { t.cancelled?() }
    }

    // MARK: streams

    func startStream(token: UInt64, status: Status, flushHead: Bool = true,
                     headers: (inout [UInt8]) -> Void) -> ResponseStream? {
        guard let f = inFlight, f.token == token, !closed else { return nil }
        let chunked = f.version == .http1_1
        let keepAlive = chunked && f.keepAlive && !context.isShuttingDown && !peerDone
        inFlight?.keepAlive = keepAlive
        writeHead(status: status, framing: f.isHead ? .length(0) : (chunked ? .chunked : .untilClose),
                  keepAlive: keepAlive, version: f.version, headers: headers)
        let s = ResponseStream(connection: self, chunked: chunked)
        stream = s
        if flushHead || f.isHead { flush() }
        if f.isHead {  // a HEAD request gets the head only
            s.end()
        }
        return closed ? nil : s
    }

    func streamWrite(_ s: ResponseStream, count: Int, flush: Bool, _ fill: (inout [UInt8]) -> Void) {
        guard stream === s, !closed else { return }
        if inFlight?.isHead == true { return }
        appendQueued { out in
            if s.chunked { Chunked.appendHead(count, to: &out) }
            let start = out.count
            fill(&out)
            precondition(out.count - start == count, "a stream chunk wrote \(out.count - start) bytes, announced \(count)")
            if s.chunked { Chunked.appendTail(to: &out) }
        }
        if flush || pendingOutput > context.config.highWatermark { self.flush() }
    }

    /// Several chunks of a stream in one call (``ResponseStream/writeChunks(flush:_:)``): `fill`
    /// always runs once; what it writes is dropped when it has nowhere to go.
    func streamWriteChunks(_ s: ResponseStream, flush: Bool, _ fill: (inout ChunkSink) -> Void) {
        withUnsafeTemporaryAllocation(byteCount: 2048, alignment: 16) { scratch in
            guard stream === s, !closed, s.isOpen, inFlight?.isHead != true else {
                var nowhere = ChunkSink(out: [], chunked: false, scratch: scratch)
                fill(&nowhere)
                return
            }
            appendQueued { out in
                var sink = ChunkSink(out: [], chunked: s.chunked, scratch: scratch)
                swap(&sink.out, &out)  // the producer appends to the queued buffer itself, no copy
                fill(&sink)
                sink.drain()
                swap(&sink.out, &out)
            }
        }
        if flush || pendingOutput > context.config.highWatermark { self.flush() }
    }

    /// A stream declared the state it holds: counted now; over the budget, the stream is cut.
    func streamHold(_ s: ResponseStream) {
        guard stream === s, !closed else { return }
        account()
        if s.heldState > 0, context.budget.exceeded { abort() }
    }

    func streamFlush(_ s: ResponseStream) {
        guard stream === s, !closed else { return }
        flush()
    }

    func streamEnd(_ s: ResponseStream) {
        guard stream === s, !closed, let f = inFlight else { return }
        stream = nil
        if s.chunked, !f.isHead { enqueue(Chunked.end) }
        finishResponse(keepAlive: f.keepAlive && !context.isShuttingDown && !peerDone)
    }

    // MARK: writing

    /// Writes queued output until done or the socket is full, then acts on the outcome.
    func flush() {
        guard !closed, !lingering else { return }  // lingering: the last response is out, only draining remains
        guard pendingOutput > 0 else {  // nothing queued: the phase is unchanged
            if closeAfterFlush { close(graceful: true) } else { updateDeadline() }
            return
        }
        var progressed = false
        while pendingOutput > 0 {
            let result: Result<IOResult<Int>, SystemError> = output.withUnsafeBytes { o in
                let head = UnsafeRawBufferPointer(rebasing: o[outSent...])
                if large.count == largeSent {
                    return Result { () throws(SystemError) in try Sys.send(fd, head.baseAddress ?? o.baseAddress!, head.count) }
                }
                return large.withUnsafeBytes { l in
                    Result { () throws(SystemError) in try Sys.send(fd, head, UnsafeRawBufferPointer(rebasing: l[largeSent...])) }
                }
            }
            guard case .success(let r) = result else {
                abort()
                return
            }
            guard case .done(var n) = r else { break }
            progressed = true
            let fromHead = min(n, output.count - outSent)
            outSent += fromHead
            n -= fromHead
            largeSent += n
            if outSent == output.count, largeSent == large.count {
                // Everything before `tail` is out: `tail` becomes the head of the queue.
                if output.capacity > 64 * 1024 { output = [] } else { output.removeAll(keepingCapacity: true) }
                swap(&output, &tail)
                outSent = 0
                large = []
                largeSent = 0
            }
        }
        let pending = pendingOutput
        if pending == 0 {
            loop.recycleOutput(&output)
            outSent = 0
            setWriteInterest(false)
            machine.outputDrained(now: loop.now, responseComplete: inFlight == nil)
            if closeAfterFlush { close(graceful: true); return }
            stream?.setPaused(false)
        } else {
            if progressed || machine.phase != .writing { machine.outputBlocked(now: loop.now) }
            setWriteInterest(true)
            if pending > context.config.hardOutputLimit { abort(); return }
            account()
            // Over the server-wide budget, a connection stuck on a reader that takes nothing is cut.
            if pending >= context.config.highWatermark, context.budget.exceeded { abort(); return }
            if let s = stream {
                if pending > context.config.highWatermark { s.setPaused(true) }
                else if pending < context.config.lowWatermark { s.setPaused(false) }
            }
        }
        account()
        updateDeadline()
        // Pipelined requests may wait in the buffer (parsing pauses above the high watermark);
        // the client sends nothing more to wake us, so resume once the output has drained.
        if pending == 0, inFlight == nil, inEnd > inStart, !processing { processInput() }
    }

    private func setWriteInterest(_ on: Bool) {
        guard on != writeInterest else { return }
        writeInterest = on
        updateInterest()
    }

    // MARK: closing

    /// Reports the change of this connection's share of the ``OutputBudget``.
    func account() {
        let now = closed ? 0 : pendingOutput + (stream?.heldState ?? 0)
        if now != accounted {
            context.budget.adjust(by: now - accounted)
            accounted = now
        }
    }

    /// Tears the connection down now (client gone, stall, hard limit, shutdown cut).
    func abort() { close(graceful: false) }

    /// Closes the connection. A graceful close half-closes and drains the client's remaining
    /// bytes for a moment first, so unread input does not turn into a reset that destroys the
    /// response the client has not read yet. A connection disconnecting as ``Disconnect/reset``
    /// is never graceful: it closes at once with SO_LINGER {1, 0}, which sends RST.
    func close(graceful: Bool) {
        guard !closed else { return }
        if graceful, disconnecting != .reset, !peerClosed, !lingering {
            lingering = true
            Glibc.shutdown(fd, Int32(SHUT_WR))
            inFlight = nil
            cancelRequestTimers()
            stream?.connectionClosed()
            stream = nil
            readPaused = false
            writeInterest = false
            updateInterest()
            scheduleForRequest(after: .seconds(2)) { [weak self] in self?.close(graceful: false) }
            return
        }
        closed = true
        context.budget.adjust(by: -accounted)
        if accounted > context.config.highWatermark || input.count > EventLoop.inputBufferSize {
            MemoryReturn.requestTrim(on: loop)
        }
        accounted = 0
        loop.deregister(fd: fd)
        cancelRequestTimers()
        inFlight = nil
        let s = stream
        stream = nil
        s?.connectionClosed()
        if disconnecting == .reset { Sys.setAbortiveClose(fd) }
        Sys.close(fd)
        context.connectionClosed()
    }

    /// While lingering: discard input until EOF, then close.
    func drainLingering() {
        if input.isEmpty { input = loop.takeInputBuffer() }
        while true {
            let r = try? input.withUnsafeMutableBytes { try Sys.read(fd, $0.baseAddress!, $0.count) }
            switch r {
            case .done(let n)? where n > 0: continue
            case .wouldBlock?: return
            default: close(graceful: false); return
            }
        }
    }
}

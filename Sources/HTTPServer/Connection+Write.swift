import CSystem
import Glibc
import HTTPCore

extension Connection {
    // MARK: responses

    /// Writes a complete response for the in-flight request identified by `token`.
    func complete(token: UInt64, status: Status, body: [UInt8], headers: (inout [UInt8]) -> Void) {
        guard let f = inFlight, f.token == token, !closed else { return }
        let keepAlive = f.keepAlive && !context.isShuttingDown && !peerClosed
        writeHead(status: status, framing: .length(body.count), keepAlive: keepAlive, version: f.version, headers: headers)
        if !f.isHead { output.append(contentsOf: body) }
        finishResponse(keepAlive: keepAlive)
    }

    private func writeHead(status: Status, framing: BodyFraming, keepAlive: Bool, version: Version, headers: (inout [UInt8]) -> Void) {
        ResponseEncoder.writeHead(into: &output, status: status, framing: framing, keepAlive: keepAlive,
                                  requestVersion: version, dateLine: loop.dateCache.current, headers: headers)
    }

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
        output.append(contentsOf: response.body)
        closeAfterFlush = true
        flush()
    }

    func scheduleForRequest(after delay: Duration, _ body: @escaping () -> Void) {
        let key = nextTimerKey
        nextTimerKey &+= 1
        requestTimers[key] = loop.schedule(after: delay) { [weak self] in
            self?.requestTimers[key] = nil
            body()
        }
    }

    private func cancelRequestTimers() {
        guard !requestTimers.isEmpty else { return }
        for t in requestTimers.values { loop.cancel(t) }
        requestTimers.removeAll()
    }

    // MARK: streams

    func startStream(token: UInt64, status: Status, headers: (inout [UInt8]) -> Void) -> ResponseStream? {
        guard let f = inFlight, f.token == token, !closed else { return nil }
        let chunked = f.version == .http1_1
        let keepAlive = chunked && f.keepAlive && !context.isShuttingDown && !peerClosed
        inFlight?.keepAlive = keepAlive
        writeHead(status: status, framing: f.isHead ? .length(0) : (chunked ? .chunked : .untilClose),
                  keepAlive: keepAlive, version: f.version, headers: headers)
        let s = ResponseStream(connection: self, token: token, chunked: chunked)
        stream = s
        flush()
        if f.isHead {  // a HEAD request gets the head only
            s.end()
        }
        return closed ? nil : s
    }

    func streamWrite(_ s: ResponseStream, _ bytes: some Collection<UInt8>) {
        guard stream === s, !closed else { return }
        if inFlight?.isHead == true { return }
        if s.chunked { Chunked.append(bytes, to: &output) } else { output.append(contentsOf: bytes) }
        flush()
    }

    func streamEnd(_ s: ResponseStream) {
        guard stream === s, !closed, let f = inFlight else { return }
        stream = nil
        if s.chunked, !f.isHead { output.append(contentsOf: Chunked.end) }
        finishResponse(keepAlive: f.keepAlive && !context.isShuttingDown && !peerClosed)
    }

    // MARK: writing

    /// Writes queued output until done or the socket is full, then acts on the outcome.
    func flush() {
        guard !closed else { return }
        guard !output.isEmpty else {  // nothing queued: the phase is unchanged
            if closeAfterFlush { close(graceful: true) } else { updateDeadline() }
            return
        }
        var progressed = false
        while outSent < output.count {
            let r: IOResult<Int>
            do {
                r = try output.withUnsafeBytes { try Sys.send(fd, $0.baseAddress! + outSent, $0.count - outSent) }
            } catch {
                abort()
                return
            }
            guard case .done(let n) = r else { break }
            outSent += n
            progressed = true
        }
        let pending = output.count - outSent
        if pending == 0 {
            if output.capacity > 1 << 20 { output = [] } else { output.removeAll(keepingCapacity: true) }
            outSent = 0
            setWriteInterest(false)
            machine.outputDrained(now: loop.now, responseComplete: inFlight == nil)
            if closeAfterFlush { close(graceful: true); return }
            stream?.setPaused(false)
        } else {
            if progressed || machine.phase != .writing { machine.outputBlocked(now: loop.now) }
            setWriteInterest(true)
            if pending > context.config.hardOutputLimit { abort(); return }
            if let s = stream {
                if pending > context.config.highWatermark { s.setPaused(true) }
                else if pending < context.config.lowWatermark { s.setPaused(false) }
            }
        }
        updateDeadline()
    }

    private func setWriteInterest(_ on: Bool) {
        guard on != writeInterest else { return }
        writeInterest = on
        updateInterest()
    }

    // MARK: closing

    /// Tears the connection down now (client gone, stall, hard limit, shutdown cut).
    func abort() { close(graceful: false) }

    /// Closes the connection. A graceful close half-closes and drains the client's remaining
    /// bytes for a moment first, so unread input does not turn into a reset that destroys the
    /// response the client has not read yet.
    func close(graceful: Bool) {
        guard !closed else { return }
        if graceful, !peerClosed, !lingering {
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
        loop.deregister(fd: fd)
        cancelRequestTimers()
        inFlight = nil
        let s = stream
        stream = nil
        s?.connectionClosed()
        Sys.close(fd)
        context.connectionClosed()
    }

    /// While lingering: discard input until EOF, then close.
    func drainLingering() {
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

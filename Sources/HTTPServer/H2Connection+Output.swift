import CNghttp2
import CSystem
import Glibc
import HTTPCore

extension H2Connection {
    // MARK: the pump

    /// Does everything the session's callbacks left for later, then serialises frames and writes
    /// them: finalises closed streams, dispatches complete requests, asks `mem_send` for frames
    /// while less than the high watermark is queued, writes to the socket, and wakes streams whose
    /// buffers drained. Repeats while any of that queued more work. Re-entrant calls (a handler
    /// answering inside a dispatch) only ask for another round.
    func pump() {
        guard !closed, !lingering else { return }
        if pumpDepth > 0 { pumpAgain = true; return }
        pumpDepth += 1
        var rounds = 0
        repeat {
            pumpAgain = false
            rounds += 1
            finalizeClosedStreams()
            dispatchReady()
            guard !closed else { break }
            grantWindow()
            fillOutput()
            writeOut()
            wakeDrainedStreams()
            armStallTimers()
        } while pumpAgain && !closed && !lingering && rounds < 64
        pumpDepth -= 1
        if pumpAgain, !closed, !lingering { loop.runSoon { [weak self] in self?.pump() } }  // bounded per turn
        guard !closed, !lingering else { return }
        if let session, nghttp2_session_want_read(session) == 0, nghttp2_session_want_write(session) == 0 {
            closeAfterFlush = true
        }
        if closeAfterFlush, pendingOutput == 0 { close(graceful: !abortive); return }
        account()
        updateDeadline()
    }

    /// Bytes serialised and not yet written to the socket.
    var pendingOutput: Int { output.pending }

    /// Frames from the session until it has none ready or the high watermark is queued.
    private func fillOutput() {
        guard let session, nghttp2_session_want_write(session) != 0 else { return }
        if output.framing.capacity == 0 {
            // Room for the whole batch up front: grown by doubling from a spare buffer, the
            // output was reallocated twice per batch. Large DATA payloads are not copied into
            // it, but small ones (streamed events) are.
            output.framing = loop.takeOutputBuffer()
            output.framing.reserveCapacity(min(context.config.highWatermark + 20 * 1024, EventLoop.spareOutputCapacity))
        }
        while pendingOutput < context.config.highWatermark {
            var p: UnsafePointer<UInt8>?
            let n = nghttp2_session_mem_send(session, &p)  // DATA frames are appended by the send_data callback
            if n < 0 { abort(); return }
            if n == 0 { break }
            output.append(UnsafeBufferPointer(start: p, count: n))
        }
    }

    /// Writes queued output until done or the socket is full.
    private func writeOut() {
        guard !closed else { return }
        var progressed = false
        while pendingOutput > 0 {
            let io: IOResult<Int>
            do { io = try output.write(to: fd) } catch { abort(); return }
            guard case .done = io else { break }
            progressed = true
        }
        if pendingOutput == 0 {
            if output.framing.capacity > 0 { loop.recycleOutput(&output.framing) }
            writeDeadline = nil
            setWriteInterest(false)
            if readPaused { readPaused = false; updateInterest() }
        } else {
            if progressed || writeDeadline == nil { writeDeadline = loop.now &+ context.timeouts.write }
            setWriteInterest(true)
            // A client that does not read stops being read from: what it could still send (PINGs,
            // SETTINGS) would only queue more answers.
            if !readPaused, pendingOutput >= context.config.highWatermark { readPaused = true; updateInterest() }
            // Over the server-wide budget, a connection stuck on a reader that takes nothing is cut.
            if pendingOutput >= context.config.highWatermark, context.budget.exceeded { abort(); return }
        }
    }

    private func setWriteInterest(_ on: Bool) {
        guard on != writeInterest else { return }
        writeInterest = on
        updateInterest()
    }

    /// Reports the change of this connection's share of the ``OutputBudget``.
    func account() {
        var held = 0
        if !closed { held = pendingOutput + streamBytes; for s in streams.values { held += s.response?.heldState ?? 0 } }
        if held != accounted {
            context.budget.adjust(by: held - accounted)
            accounted = held
        }
    }

    /// Streams that queued a complete body since the last round and still hold bytes of it:
    /// their stall timer starts now, in the same turn of the loop (the same clock reading) as
    /// when the body was queued, so with the same deadline.
    private func armStallTimers() {
        guard !stallCandidates.isEmpty else { return }
        for s in stallCandidates { s.armStallTimer() }
        stallCandidates.removeAll(keepingCapacity: true)
    }

    // MARK: callbacks' leftovers

    /// Runs what a stream's close needs outside the library: its timers' `cancelled`, the
    /// producer's `onClose`.
    private func finalizeClosedStreams() {
        while !closedStreams.isEmpty {
            let batch = closedStreams
            closedStreams.removeAll()
            for s in batch { s.finalizeClose() }
        }
    }

    private func dispatchReady() {
        while !ready.isEmpty, !closed {
            let batch = ready
            ready.removeAll()
            for s in batch where !s.closed { s.dispatch() }
        }
    }

    /// Streams whose buffered data fell below the low watermark: their producers may go on.
    private func wakeDrainedStreams() {
        guard !drained.isEmpty else { return }
        let batch = drained
        drained.removeAll()
        for s in batch { s.wakeIfDrained() }
    }

    // MARK: closing

    /// Closes now with RST-free teardown of every stream (client gone, write stall, shutdown cut).
    func abort() { close(graceful: false) }

    /// Closes the connection. Every open stream ends (its producer's `onClose` runs) and the
    /// session is freed. Graceful: half-close, then read and discard until the client's EOF (at
    /// most 2 s), so unread input does not turn into a reset that destroys the last frames.
    func close(graceful: Bool) {
        guard !closed, !lingering else {
            if lingering, !graceful { finishClose() }
            return
        }
        let open = Array(streams.values)
        streams.removeAll()
        lastStream = nil
        begun.removeAll()
        stallCandidates.removeAll()
        ready.removeAll()
        drained.removeAll()
        for s in open { s.connectionGone() }
        finalizeClosedStreams()
        if let session { nghttp2_session_del(session) }
        session = nil
        streamBytes = 0
        if graceful, !abortive {
            lingering = true
            Glibc.shutdown(fd, Int32(SHUT_WR))
            readPaused = false
            writeInterest = false
            updateInterest()
            lingerTimer = loop.schedule(after: .seconds(2)) { [weak self] in self?.finishClose() }
            account()
            return
        }
        finishClose()
    }

    private func finishClose() {
        guard !closed else { return }
        closed = true
        lingering = false
        if let t = lingerTimer { loop.cancel(t) }
        lingerTimer = nil
        context.budget.adjust(by: -accounted)
        accounted = 0
        loop.deregister(fd: fd)
        if abortive { Sys.setAbortiveClose(fd) }
        Sys.close(fd)
        if !input.isEmpty { loop.recycleInput(&input) }
        output = H2Output()
        MemoryReturn.requestTrim(on: loop)
        context.connectionClosed()
    }

    /// While lingering: discard input until EOF, then close.
    func drainLingering() {
        if input.isEmpty { input = loop.takeInputBuffer() }
        defer { if !input.isEmpty { loop.recycleInput(&input) } }
        while true {
            let r = try? input.withUnsafeMutableBytes { try Sys.read(fd, $0.baseAddress!, $0.count) }
            switch r {
            case .done(let n)? where n > 0: continue
            case .wouldBlock?: return
            default: finishClose(); return
            }
        }
    }
}

extension H2Connection {
    /// ``Disconnect/close`` with bytes over HTTP/2: the frames already queued, then `bytes` raw
    /// (not a frame: the client sees a broken connection), then FIN.
    func closeAfterRaw(_ bytes: [UInt8]) {
        guard !closed, !lingering else { return }
        if let session {  // serialise what is queued now; nothing more after the raw bytes
            while true {
                var p: UnsafePointer<UInt8>?
                let n = nghttp2_session_mem_send(session, &p)
                if n <= 0 { break }
                output.append(UnsafeBufferPointer(start: p, count: n))
            }
            nghttp2_session_del(session)
            self.session = nil
        }
        bytes.withUnsafeBufferPointer { output.append($0) }
        closeAfterFlush = true
    }
}

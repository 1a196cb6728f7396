import CNghttp2
import HTTPCore

extension H2Stream {
    // MARK: the body queue

    /// Appends a complete response's body (no copy when the queue is empty). The caller pumps
    /// next; the stall timer is armed after that round only if bytes are still queued here
    /// (``H2Connection/armStallTimers()``), so a body that goes out at once needs no timer.
    func queue(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        if pending == 0 { data = bytes; dataSent = 0 } else { data.append(contentsOf: bytes) }
        connection.streamBytes += bytes.count
        connection.stallCandidates.append(self)
    }

    /// Drops the bytes already taken from the front of the queue before it grows.
    func compact() {
        if dataSent == data.count {
            data.removeAll(keepingCapacity: data.capacity <= 64 * 1024)
            dataSent = 0
        } else if dataSent >= 16 * 1024, dataSent * 2 >= data.count {
            data.removeFirst(dataSent)
            dataSent = 0
        }
    }

    func resumeIfDeferred() {
        guard deferred, !closed, let session else { return }
        deferred = false
        _ = nghttp2_session_resume_data(session, id)
    }

    /// The data provider (called by the library inside `mem_send`): takes up to `length` queued
    /// bytes, marks END_STREAM after the last one, or defers until the producer writes again. The
    /// bytes are not copied here (`NO_COPY`): the library then calls ``sendFrame(header:length:padding:)``
    /// within the same `mem_send`, which appends them to the output once, with the frame header.
    func readData(length: Int, flags: UnsafeMutablePointer<UInt32>) -> Int {
        if holding {
            deferred = true
            return Int(NGHTTP2_ERR_DEFERRED.rawValue)
        }
        let n = min(length, pending)
        if n > 0 {
            flags.pointee |= NGHTTP2_DATA_FLAG_NO_COPY.rawValue
            frameStart = dataSent
            dataSent += n
            connection.streamBytes -= n
            lastProgress = connection.loop.now
            if let r = response, r.paused, pending < connection.context.config.lowWatermark {
                connection.drained.append(self)
            }
        }
        if pending == 0 {
            if let code = cutCode, let session {
                // A cut that keeps what was written: the bytes are out, now the reset.
                cutCode = nil
                _ = nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), id, code)
                if n == 0 { deferred = true; return Int(NGHTTP2_ERR_DEFERRED.rawValue) }
                return n
            }
            if eof {
                flags.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue
                return n
            }
            if n == 0 {
                deferred = true
                return Int(NGHTTP2_ERR_DEFERRED.rawValue)
            }
        }
        return n
    }

    /// The DATA frame taken by ``readData(length:flags:)``: its 9-byte header and the pad length
    /// byte (when padded) are copied into the connection's output; the `length` bytes of `data`
    /// from `frameStart` are referenced there, not copied (``H2Output``); then the padding.
    func sendFrame(header: UnsafePointer<UInt8>, length: Int, padding: Int) -> Bool {
        guard length >= 0, frameStart + length <= data.count else { return false }
        let c = connection
        c.output.append(UnsafeBufferPointer(start: header, count: 9))
        if padding > 0 { c.output.append(UInt8(truncatingIfNeeded: padding - 1)) }
        c.output.append(payload: data, range: frameStart..<frameStart + length)
        if padding > 1 { c.output.appendZeros(padding - 1) }
        return true
    }

    /// A paused producer may write again (its queue fell below the low watermark).
    func wakeIfDrained() {
        guard let r = response, r.isOpen, r.paused, pending < connection.context.config.lowWatermark else { return }
        r.setPaused(false)
    }

    /// Bytes queued here that the library takes none of for the write timeout: the client's
    /// window stays shut (or it reads nothing), so the stream is reset with CANCEL.
    func armStallTimer() {
        guard stallTimer == nil, pending > 0, !closed else { return }
        if lastProgress == 0 { lastProgress = connection.loop.now }
        let due = lastProgress &+ connection.context.timeouts.write
        stallTimer = connection.loop.schedule(at: due) { [weak self] in
            guard let self else { return }
            self.stallTimer = nil
            guard !self.closed, self.pending > 0 else { return }
            if self.connection.loop.now &- self.lastProgress >= self.connection.context.timeouts.write {
                self.response?.detach()  // onClose runs when the library closes the stream
                self.reset(code: NGHTTP2_CANCEL.rawValue, afterQueued: false)
                self.connection.pump()
            } else {
                self.armStallTimer()
            }
        }
    }

    // MARK: the end of the exchange

    /// The request is answered: later responder calls do nothing; its timers are cancelled
    /// (their `cancelled` callbacks run).
    func finish() {
        guard !finished else { return }
        finished = true
        cancelTimers()
    }

    func cancelTimers() {
        if let t = stallTimer, pending == 0 || closed { connection.loop.cancel(t); stallTimer = nil }
        guard !timers.isEmpty else { return }
        let all = timers.values
        timers.removeAll()
        for t in all { connection.loop.cancel(t.id) }
        for t in all { t.cancelled?() }
    }

    /// Inside the library's stream-close callback: record only.
    func closedByLibrary(code: UInt32) {
        closed = true
        connection.streamBytes -= pending
    }

    /// After the library returned: the stream is gone, its producer learns (``ResponseStream/onClose``).
    func finalizeClose() {
        closed = true
        cancelRequestDeadline()
        if let t = stallTimer { connection.loop.cancel(t); stallTimer = nil }
        data = []
        dataSent = 0
        body = []
        finish()
        let r = response
        response = nil
        r?.connectionClosed()
    }

    /// The connection closed under the stream.
    func connectionGone() {
        if !closed { closedByLibrary(code: NGHTTP2_CANCEL.rawValue) }
        connection.closedStreams.append(self)
    }
}

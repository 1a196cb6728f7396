import HTTPCore

/// A response body written piece by piece, with backpressure. Confined to the loop thread.
///
/// Each `write` is one chunk, flushed at once unless the producer batches: `write(_:flush: false)`
/// queues the chunk and a later `flush()` (or `end()`, `disconnect(_:)`) hands everything queued to
/// the kernel in one send. When the client reads slower than the stream
/// writes and queued output passes the high watermark, `isWritable` turns false and the
/// producer should pause until `onWritable` fires (queued output fell below the low watermark).
/// A producer that ignores this is cut off at the hard output limit, so memory stays bounded.
/// `onClose` fires once if the stream ends abnormally (client gone, write stall, shutdown cut).
///
/// The same type carries an HTTP/2 response (``H2Stream``): each write becomes DATA frames as the
/// stream's flow-control window allows, and a stream whose client does not read pauses alone.
public final class ResponseStream {
    /// Where the body goes. Strong: a producer's timer may outlive the connection's registration.
    /// The cycle through `Connection.stream` (or `H2Stream.response`) is broken when the stream
    /// ends or the connection closes.
    enum Target {
        case http1(Connection)
        case h2(H2Stream)
    }

    let target: Target
    let chunked: Bool
    @exclusivity(unchecked) private var timers: [UInt64: TimerID] = [:]
    @exclusivity(unchecked) private var nextTimerKey: UInt64 = 0
    @exclusivity(unchecked) private(set) var paused = false

    /// Called when a paused stream may write again.
    @exclusivity(unchecked) public var onWritable: (() -> Void)?
    /// Called once when the stream is torn down before `end()` (client vanished, timeout, shutdown).
    @exclusivity(unchecked) public var onClose: (() -> Void)?

    @exclusivity(unchecked) public private(set) var isOpen = true
    /// Bytes of state the producer keeps for what it has not written yet (``holdState(bytes:)``).
    @exclusivity(unchecked) private(set) var heldState = 0

    init(connection: Connection, chunked: Bool) {
        target = .http1(connection)
        self.chunked = chunked
    }

    init(h2 stream: H2Stream) {
        target = .h2(stream)
        chunked = false
    }

    /// The loop that owns this stream.
    public var loop: EventLoop {
        switch target {
        case .http1(let c): c.loop
        case .h2(let s): s.connection.loop
        }
    }

    /// False while queued output is above the high watermark, or after the stream closed.
    public var isWritable: Bool { isOpen && !paused }

    /// Writes one piece of the body as one chunk and, unless `flush` is false, flushes it.
    /// Returns `isWritable`.
    @discardableResult
    public func write(_ bytes: [UInt8], flush: Bool = true) -> Bool {
        guard isOpen, !bytes.isEmpty else { return isWritable }
        switch target {
        case .http1(let c): c.streamWrite(self, count: bytes.count, flush: flush) { $0.append(contentsOf: bytes) }
        case .h2(let s): s.write(count: bytes.count, flush: flush) { $0.append(contentsOf: bytes) }
        }
        return isWritable
    }

    /// Writes one chunk of exactly `count` bytes that `fill` appends straight into the output
    /// buffer (no intermediate array); otherwise like ``write(_:flush:)``.
    @discardableResult
    public func write(count: Int, flush: Bool = true, _ fill: (inout [UInt8]) -> Void) -> Bool {
        guard isOpen, count > 0 else { return isWritable }
        switch target {
        case .http1(let c): c.streamWrite(self, count: count, flush: flush, fill)
        case .h2(let s): s.write(count: count, flush: flush, fill)
        }
        return isWritable
    }

    /// Writes several chunks in one call, for a producer of many small pieces: `fill` appends
    /// them through the sink straight into the connection's output, and they are flushed like
    /// ``write(count:flush:_:)``'s. HTTP/1.x only: over HTTP/2 it returns nil without calling
    /// `fill` (write the pieces one by one). Otherwise `fill` is called exactly once, even when
    /// the chunks go nowhere (a `HEAD` request, a stream that has just closed), and it returns
    /// ``isWritable``.
    @discardableResult
    public func writeChunks(flush: Bool = true, _ fill: (inout ChunkSink) -> Void) -> Bool? {
        guard case .http1(let c) = target else { return nil }
        c.streamWriteChunks(self, flush: flush, fill)
        return isWritable
    }

    /// Declares how many bytes of memory the producer holds for this stream's unwritten part (a
    /// prepared event list, say), so the server's output budget counts them with the queued
    /// output; call again as it shrinks, 0 when done. When the declared bytes would take the
    /// server over its budget, the stream is cut at once (`onClose` fires): later streams do not
    /// get memory the budget has already given to earlier ones.
    public func holdState(bytes: Int) {
        guard isOpen else { return }
        heldState = max(0, bytes)
        switch target {
        case .http1(let c): c.streamHold(self)
        case .h2(let s): s.hold()
        }
    }

    /// Hands every queued chunk to the kernel (one send where the socket takes it all).
    public func flush() {
        guard isOpen else { return }
        switch target {
        case .http1(let c): c.streamFlush(self)
        case .h2(let s): s.flush()
        }
    }

    /// Writes any byte collection (copied into an array; the array form is the fast path).
    @discardableResult
    public func write(_ bytes: some Collection<UInt8>) -> Bool { write(Array(bytes)) }

    /// Ends the body (the last chunk) and releases the connection for the next request.
    public func end() {
        guard isOpen else { return }
        isOpen = false
        cancelTimers()
        switch target {
        case .http1(let c): c.streamEnd(self)
        case .h2(let s): s.end()
        }
    }

    /// Tears the connection down without ending the body (a broken stream, from the client's view).
    /// Over HTTP/2 only this stream is reset (`RST_STREAM` with `INTERNAL_ERROR`).
    public func abort() {
        guard isOpen else { return }
        switch target {
        case .http1(let c): c.abort()
        case .h2(let s): s.abort()
        }
    }

    /// Tears the connection down mid-body as `how`: what was already written is flushed to the
    /// kernel first (so the client receives every event written before the cut), then the
    /// connection closes WITHOUT the terminating chunk. `onClose` is NOT called for a disconnect
    /// the producer asked for (the producer knows); `isOpen` becomes false at once.
    ///
    /// Works while paused by backpressure too: the queued output still drains (bounded by the
    /// write-stall timeout) before the cut. Later calls, and calls after the client went away,
    /// do nothing. For an HTTP/1.0 (close-delimited) stream, `.close` looks like a normal end.
    public func disconnect(_ how: Disconnect) {
        guard isOpen else { return }
        detach()
        switch target {
        case .http1(let c): c.streamDisconnect(self, how: how)
        case .h2(let s): s.disconnect(how, after: [])
        }
    }

    /// Injects an HTTP/2 fault on this stream after what was written so far (see ``HTTP2Fault``);
    /// false, and nothing done, over HTTP/1.1 or once the stream closed. When the fault ends the
    /// stream, `isOpen` becomes false at once and `onClose` is not called (the producer knows).
    @discardableResult
    public func inject(_ fault: HTTP2Fault) -> Bool {
        guard isOpen, case .h2(let s) = target else { return false }
        if fault.endsStream { detach() }
        return s.inject(fault, beforeHead: false)
    }

    /// Runs `body` after `delay` unless the stream has closed by then.
    @discardableResult
    public func schedule(after delay: Duration, _ body: @escaping () -> Void) -> TimerID {
        let key = nextTimerKey
        nextTimerKey &+= 1
        let id = loop.schedule(after: delay) { [weak self] in
            guard let self else { return }
            self.timers[key] = nil
            guard self.isOpen else { return }
            body()
        }
        timers[key] = id
        return id
    }

    /// Runs `body` once the loop has served the rest of its current turn (the other ready
    /// connections and due timers), unless the stream has closed by then: a cheap way for a
    /// producer to yield the loop.
    public func yield(_ body: @escaping () -> Void) {
        loop.runSoon { [weak self] in
            guard let self, self.isOpen else { return }
            body()
        }
    }

    func setPaused(_ value: Bool) {
        let resumed = paused && !value
        paused = value
        if resumed, isOpen { onWritable?() }
    }

    /// Closes the stream quietly: no `onClose`, no `onWritable`, timers cancelled.
    func detach() {
        isOpen = false
        cancelTimers()
        onClose = nil
        onWritable = nil
    }

    /// Called by the connection when it closes under the stream.
    func connectionClosed() {
        guard isOpen else { return }
        isOpen = false
        cancelTimers()
        let cb = onClose
        onClose = nil
        onWritable = nil
        cb?()
    }

    private func cancelTimers() {
        for t in timers.values { loop.cancel(t) }
        timers.removeAll()
    }
}

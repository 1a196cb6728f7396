import HTTPCore

/// The handle a handler answers one request through, whichever protocol carried it: the same
/// calls answer an HTTP/1.1 request on its ``Connection`` and an HTTP/2 stream (``H2Stream``), so
/// the handler never branches on the protocol (``transport`` says which one it was, for the record).
///
/// Concurrency: confined to the connection's loop thread. Calls after the request was answered,
/// or after the connection closed, do nothing.
public struct Responder {
    /// Where the answer goes: an HTTP/1.1 connection's in-flight request, or one HTTP/2 stream.
    enum Sink {
        case http1(Connection, token: UInt64)
        case h2(H2Stream)
    }

    let sink: Sink

    init(connection: Connection, token: UInt64) { sink = .http1(connection, token: token) }
    init(stream: H2Stream) { sink = .h2(stream) }

    /// The loop that owns the connection (for scheduling work on the same thread).
    public var loop: EventLoop {
        switch sink {
        case .http1(let c, _): c.loop
        case .h2(let s): s.connection.loop
        }
    }

    /// False once the request is answered or the client is gone.
    public var isActive: Bool {
        switch sink {
        case .http1(let c, let token): c.isCurrent(token)
        case .h2(let s): s.isActive
        }
    }

    /// The client's IP address as text (`127.0.0.1`, `::1`).
    public var peerAddress: String {
        switch sink {
        case .http1(let c, _): c.peerAddress
        case .h2(let s): s.connection.peerAddress
        }
    }

    /// Which protocol carried the request (and for HTTP/2 the connection and stream).
    public var transport: Transport {
        switch sink {
        case .http1: .http1
        case .h2(let s): .h2c(connection: s.connection.number, stream: s.id)
        }
    }

    /// Sends a complete response.
    public func send(_ response: Response) {
        send(status: response.status, body: response.body) { out in appendHeaders(response.headers, to: &out) }
    }

    /// Sends a complete response whose header lines (`Name: value\r\n` each) are written by
    /// `headers` straight into the output buffer: the allocation-free path for hot endpoints.
    public func send(status: Status, body: [UInt8], headers: (inout [UInt8]) -> Void) {
        switch sink {
        case .http1(let c, let token): c.complete(token: token, status: status, body: body, headers: headers)
        case .h2(let s): s.complete(status: status, body: body, headers: headers)
        }
    }

    /// Sends the head of a streamed response (chunked for HTTP/1.1, close-delimited for 1.0)
    /// and returns the stream to write the body to; nil when the request is no longer active.
    public func startStream(status: Status, headers: HeaderList) -> ResponseStream? {
        startStream(status: status) { out in appendHeaders(headers, to: &out) }
    }

    /// ``startStream(status:headers:)`` with the header lines written straight into the output.
    /// With `flushHead` false an HTTP/1.x head waits in the output for the stream's first flush,
    /// so it leaves in the same send as the first events (the caller must flush or write soon).
    public func startStream(status: Status, flushHead: Bool = true,
                            headers: (inout [UInt8]) -> Void) -> ResponseStream? {
        switch sink {
        case .http1(let c, let token): c.startStream(token: token, status: status, flushHead: flushHead, headers: headers)
        case .h2(let s): s.startStream(status: status, headers: headers)
        }
    }

    /// Answers the request with no HTTP response at all: writes `bytes` verbatim (no status line,
    /// no framing; may be empty), waits until they have been handed to the kernel, then tears the
    /// connection down as `how`. The request counts as answered (later calls on this responder do
    /// nothing); no keep-alive, no pipelined request after it is served.
    ///
    /// A stream already open for this request is cut as well (its `onClose` is not called).
    /// A client that never reads is still cut at the write-stall timeout.
    ///
    /// ```swift
    /// responder.disconnect(.close)                              // "empty reply from server"
    /// responder.disconnect(.close, after: Array("garbage".utf8)) // not HTTP at all
    /// responder.disconnect(.reset)                              // ECONNRESET
    /// ```
    ///
    /// Over HTTP/2 (see ``Disconnect``): `.reset` resets the whole TCP connection (every stream on
    /// it sees the reset); `.close` with no bytes resets only this stream (`RST_STREAM` with
    /// `INTERNAL_ERROR`), its siblings go on; `.close` with bytes writes them raw onto the
    /// connection after the frames already queued and closes it (the client sees a framing error).
    public func disconnect(_ how: Disconnect, after bytes: [UInt8] = []) {
        switch sink {
        case .http1(let c, let token): c.disconnect(token: token, how: how, after: bytes)
        case .h2(let s): s.disconnect(how, after: bytes)
        }
    }

    /// Runs `body` on the loop after `delay`; cancelled automatically if the connection closes
    /// (or the request otherwise ends) first, and then `cancelled` runs instead, on the loop.
    public func schedule(after delay: Duration, _ body: @escaping () -> Void, cancelled: (() -> Void)? = nil) {
        switch sink {
        case .http1(let c, _): c.scheduleForRequest(after: delay, body, cancelled: cancelled)
        case .h2(let s): s.schedule(after: delay, body, cancelled: cancelled)
        }
    }
}

extension Responder {
    /// Injects an HTTP/2 fault on the request's stream (see ``HTTP2Fault``); false, and nothing
    /// done, over HTTP/1.1 or once the request is answered. A fault that ends the stream answers
    /// the request (later calls do nothing; scheduled work is cancelled).
    @discardableResult
    public func inject(_ fault: HTTP2Fault) -> Bool {
        guard case .h2(let s) = sink else { return false }
        return s.inject(fault, beforeHead: true)
    }
}

/// Appends `Name: value\r\n` for each field.
public func appendHeaders(_ headers: HeaderList, to out: inout [UInt8]) {
    for f in headers {
        out.append(contentsOf: f.name.utf8)
        out.append(0x3A); out.append(0x20)
        out.append(contentsOf: f.value.utf8)
        out.append(0x0D); out.append(0x0A)
    }
}

import HTTPCore

/// The handle a handler answers one request through. Confined to the connection's loop thread.
///
/// Calls after the request was answered, or after the connection closed, do nothing.
public struct Responder {
    let connection: Connection
    let token: UInt64

    /// The loop that owns the connection (for scheduling work on the same thread).
    public var loop: EventLoop { connection.loop }

    /// False once the request is answered or the client is gone.
    public var isActive: Bool { connection.isCurrent(token) }

    /// The client's IP address as text (`127.0.0.1`, `::1`).
    public var peerAddress: String { connection.peerAddress }

    /// Sends a complete response.
    public func send(_ response: Response) {
        connection.complete(token: token, status: response.status, body: response.body) { out in
            appendHeaders(response.headers, to: &out)
        }
    }

    /// Sends a complete response whose header lines (`Name: value\r\n` each) are written by
    /// `headers` straight into the output buffer: the allocation-free path for hot endpoints.
    public func send(status: Status, body: [UInt8], headers: (inout [UInt8]) -> Void) {
        connection.complete(token: token, status: status, body: body, headers: headers)
    }

    /// Sends the head of a streamed response (chunked for HTTP/1.1, close-delimited for 1.0)
    /// and returns the stream to write the body to; nil when the request is no longer active.
    public func startStream(status: Status, headers: HeaderList) -> ResponseStream? {
        startStream(status: status) { out in appendHeaders(headers, to: &out) }
    }

    /// ``startStream(status:headers:)`` with the header lines written straight into the output.
    public func startStream(status: Status, headers: (inout [UInt8]) -> Void) -> ResponseStream? {
        connection.startStream(token: token, status: status, headers: headers)
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
    public func disconnect(_ how: Disconnect, after bytes: [UInt8] = []) {
        connection.disconnect(token: token, how: how, after: bytes)
    }

    /// Runs `body` on the loop after `delay`; cancelled automatically if the connection closes
    /// (or the request otherwise ends) first, and then `cancelled` runs instead, on the loop.
    public func schedule(after delay: Duration, _ body: @escaping () -> Void, cancelled: (() -> Void)? = nil) {
        connection.scheduleForRequest(after: delay, body, cancelled: cancelled)
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

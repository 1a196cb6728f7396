import CNghttp2
import HTTPCore

/// One HTTP/2 request/response exchange on an ``H2Connection``: the request as it arrives (head
/// fields, body), then the response the handler gives through its ``Responder``: a complete body,
/// or a ``ResponseStream`` whose writes queue here until the library takes them as DATA frames,
/// as far as the stream's flow-control window allows.
///
/// Backpressure per stream: when the bytes queued here pass the high watermark (the client does
/// not open its window, or the connection's output is full), only this stream's producer is
/// paused; it resumes below the low watermark. Bytes queued here that the library takes none of
/// for the write timeout reset the stream (`RST_STREAM(CANCEL)`), so a stalled stream cannot pin
/// memory; a producer that ignores the pause is reset at the hard output limit.
///
/// Concurrency: confined to the connection's loop thread. The library calls in through its
/// callbacks only to record (``addField(name:value:)``, ``appendBody(_:)``, ``readData(length:flags:)``);
/// handler-facing work runs from ``H2Connection/pump()``.
final class H2Stream {
    let id: Int32
    /// Strong: a producer's timer may outlive the stream; the connection drops its streams on close.
    let connection: H2Connection

    // The request.
    /// The head as it arrives: pseudo-header values and fields, in HTTP/1.1 form with their index.
    @exclusivity(unchecked) var head = DecodedHead()
    @exclusivity(unchecked) var headerListSize = 0
    @exclusivity(unchecked) var body: [UInt8] = []
    @exclusivity(unchecked) var headComplete = false
    /// The request was found over a limit while arriving: answered with this status.
    @exclusivity(unchecked) var rejection: Status?
    /// Queued for dispatch (complete, or rejected early).
    @exclusivity(unchecked) var queued = false
    @exclusivity(unchecked) var isHead = false

    // The response.
    /// The handler answered (or gave up on) the request: later responder calls do nothing.
    @exclusivity(unchecked) var finished = false
    /// The library closed the stream (done, reset by either side, connection gone).
    @exclusivity(unchecked) var closed = false
    @exclusivity(unchecked) var headSent = false
    @exclusivity(unchecked) var response: ResponseStream?
    /// Body bytes written and not yet taken by the library, from `dataSent` on.
    @exclusivity(unchecked) var data: [UInt8] = []
    @exclusivity(unchecked) var dataSent = 0
    /// Where the DATA frame the library last took starts in `data` (it was counted in
    /// `dataSent`); its bytes go straight into the connection's output in ``sendFrame(header:length:padding:)``.
    @exclusivity(unchecked) var frameStart = 0
    /// No more body bytes will be written.
    @exclusivity(unchecked) var eof = false
    /// The library was told no data is ready; `resume_data` wakes it.
    @exclusivity(unchecked) var deferred = false
    /// Reset with this code once the queued bytes are out (a cut that keeps what was written).
    @exclusivity(unchecked) var cutCode: UInt32?
    /// The response ended before the request did: reset the stream after its last frame.
    @exclusivity(unchecked) var resetAfterResponse = false
    @exclusivity(unchecked) var lastProgress: UInt64 = 0
    /// When request bytes last arrived, and the head/body deadline's timer (``armRequestDeadline()``).
    @exclusivity(unchecked) var lastInput: UInt64 = 0
    @exclusivity(unchecked) var requestTimer: TimerID?
    /// A `data_stall` fault: no DATA before this time (loop nanoseconds).
    @exclusivity(unchecked) var holdUntil: UInt64?
    @exclusivity(unchecked) var stallTimer: TimerID?
    @exclusivity(unchecked) var timers: [UInt64: RequestTimer] = [:]
    @exclusivity(unchecked) var nextTimerKey: UInt64 = 0

    init(id: Int32, connection: H2Connection) {
        self.id = id
        self.connection = connection
    }

    var isActive: Bool { !finished && !closed && !connection.closed }
    var pending: Int { data.count - dataSent }
    var session: OpaquePointer? { connection.session }
    private var config: ServerConfiguration { connection.context.config }

    // MARK: the response (from the handler, on the loop)

    func complete(status: Status, body: [UInt8], headers: (inout [UInt8]) -> Void) {
        guard isActive, !headSent else { return }
        finish()
        let payload = isHead ? [] : body
        guard submitHead(status: status, contentLength: body.count, hasBody: !payload.isEmpty, headers: headers) else { return }
        queue(payload)
        eof = true
        connection.pump()
    }

    func startStream(status: Status, headers: (inout [UInt8]) -> Void) -> ResponseStream? {
        guard isActive, !headSent else { return nil }
        guard submitHead(status: status, contentLength: nil, hasBody: !isHead, headers: headers) else { return nil }
        let s = ResponseStream(h2: self)
        response = s
        connection.pump()
        if isHead { s.end() }
        return isActive ? s : nil
    }

    /// One write of the stream's producer.
    func write(count: Int, flush: Bool, _ fill: (inout [UInt8]) -> Void) {
        guard let r = response, r.isOpen, !closed, !connection.closed else { return }
        if isHead { return }
        compact()
        let start = data.count
        fill(&data)
        precondition(data.count - start == count, "a stream chunk wrote \(data.count - start) bytes, announced \(count)")
        connection.streamBytes += count
        resumeIfDeferred()
        armStallTimer()
        if pending > config.hardOutputLimit { abort(); return }
        if pending > config.highWatermark { r.setPaused(true) }
        if flush || pending > config.highWatermark { connection.pump() }
    }

    func flush() { connection.pump() }

    /// A producer declared held state: counted; over the server budget, the stream is reset.
    func hold() {
        connection.account()
        if (response?.heldState ?? 0) > 0, connection.context.budget.exceeded { abort() }
    }

    /// The producer's `end()`: the last DATA frame carries END_STREAM once the queue is out.
    func end() {
        guard !eof else { return }
        eof = true
        response = nil
        finish()
        resumeIfDeferred()
        connection.pump()
    }

    /// Resets this stream only (`RST_STREAM(INTERNAL_ERROR)`); its producer's `onClose` runs.
    func abort() {
        guard !closed, let session else { return }
        finish()
        _ = nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), id, NGHTTP2_INTERNAL_ERROR.rawValue)
        connection.pump()
    }

    /// ``Responder/disconnect(_:after:)`` and ``ResponseStream/disconnect(_:)`` over HTTP/2:
    /// see ``Disconnect`` for what each case means here.
    func disconnect(_ how: Disconnect, after bytes: [UInt8]) {
        guard !closed, !connection.closed, !finished else { return }
        response?.detach()
        response = nil
        finish()
        switch how {
        case .reset:
            connection.abortive = true
            connection.closeAfterFlush = true
        case .close where bytes.isEmpty:
            reset(code: NGHTTP2_INTERNAL_ERROR.rawValue, afterQueued: true)
        case .close:
            connection.closeAfterRaw(bytes)
        }
        connection.pump()
    }

    /// Resets the stream with `code`, at once or once the bytes already queued are out.
    func reset(code: UInt32, afterQueued: Bool) {
        guard !closed, let session else { return }
        if afterQueued, pending > 0 {
            cutCode = code
            resumeIfDeferred()
        } else {
            _ = nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), id, code)
        }
    }

    /// Runs `body` after `delay` unless the request ends first; then `cancelled` runs instead.
    func schedule(after delay: Duration, _ body: @escaping () -> Void, cancelled: (() -> Void)?) {
        guard !closed else { cancelled?(); return }
        let key = nextTimerKey
        nextTimerKey &+= 1
        let id = connection.loop.schedule(after: delay) { [weak self] in
            self?.timers[key] = nil
            body()
        }
        timers[key] = RequestTimer(id: id, cancelled: cancelled)
    }
}

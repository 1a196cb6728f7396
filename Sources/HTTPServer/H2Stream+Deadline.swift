import CNghttp2
import HTTPCore

/// The request deadline of an HTTP/2 stream, as HTTP/1.1 has its header and body timeouts: a
/// stream whose head does not complete within `--header-timeout` is reset (`RST_STREAM(CANCEL)`);
/// one whose body makes no progress for `--body-timeout` is answered 408 (then reset, since the
/// upload never ended). Without it a client could hold every stream of every connection open
/// with a HEADERS frame and nothing after.
extension H2Stream {
    /// Arms the deadline of a stream that began in the `mem_recv` that just returned and whose
    /// request is not complete yet (``H2Connection/armBegunStreams()``): a request that arrives
    /// whole in one read never needs a timer. The deadline counts from `lastInput`.
    func armRequestDeadline() {
        guard requestTimer == nil, !queued, !closed else { return }
        scheduleRequestCheck()
    }

    private func scheduleRequestCheck() {
        let timeouts = connection.context.timeouts
        let due = lastInput &+ (headComplete ? timeouts.body : timeouts.header)
        requestTimer = connection.loop.schedule(at: due) { [weak self] in self?.requestDeadlineReached() }
    }

    private func requestDeadlineReached() {
        requestTimer = nil
        guard !queued, !closed, !connection.closed else { return }
        let timeouts = connection.context.timeouts
        let limit = headComplete ? timeouts.body : timeouts.header
        guard connection.loop.now &- lastInput >= limit else { return scheduleRequestCheck() }
        if headComplete {
            rejection = Status(code: 408)
            queued = true
            connection.ready.append(self)
        } else {
            finish()
            reset(code: NGHTTP2_CANCEL.rawValue, afterQueued: false)
        }
        connection.pump()
    }

    /// The head is complete: from now on the body timeout applies (inside the library's callback).
    func headArrived() {
        headComplete = true
        lastInput = connection.loop.now
        // Not armed yet: the stream began in this `mem_recv` and is armed when it returns.
        guard requestTimer != nil else { return }
        cancelRequestDeadline()
        scheduleRequestCheck()
    }

    /// Cancels the deadline (the request is complete, or the stream is gone).
    func cancelRequestDeadline() {
        if let t = requestTimer { connection.loop.cancel(t) }
        requestTimer = nil
    }
}

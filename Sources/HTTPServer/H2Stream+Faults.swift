import CNghttp2

extension H2Stream {
    /// Acts out an ``HTTP2Fault`` on this stream or its connection. `beforeHead`: the handler
    /// injects instead of answering (``Responder/inject(_:)``); otherwise a response stream is
    /// under way (``ResponseStream/inject(_:)``).
    func inject(_ fault: HTTP2Fault, beforeHead: Bool) -> Bool {
        guard !closed, !connection.closed, connection.session != nil else { return false }
        if beforeHead, finished || headSent { return false }
        switch fault {
        case .resetStream(let code):
            response = nil
            finish()
            reset(code: code.value, afterQueued: !beforeHead)
        case .goaway(let code, let last):
            let lastID = last ?? (beforeHead ? max(0, id - 2) : id)
            if beforeHead || code != .noError {
                response = nil
                finish()
            }
            connection.injectGoaway(code: code.value, lastStreamID: lastID)
        case .windowStall(let d):
            connection.stallWindow(for: d)
        case .dataStall(let d):
            holdData(for: d)
        case .settings(let streams, let window):
            connection.submitSettings(maxConcurrentStreams: streams, initialWindowSize: window)
        }
        connection.pump()
        return true
    }

    /// No DATA for `duration` (the provider defers), then the queue goes out again.
    func holdData(for duration: Duration) {
        let until = connection.loop.now &+ duration.nanoseconds
        holdUntil = max(holdUntil ?? 0, until)
        lastProgress = until  // the hold is not the client's stall: the write timeout counts from its end
        _ = connection.loop.schedule(at: until) { [weak self] in
            guard let self, !self.closed, let h = self.holdUntil, h <= self.connection.loop.now else { return }
            self.holdUntil = nil
            self.resumeIfDeferred()
            self.connection.pump()
        }
    }

    /// Whether the data provider must hold this stream's DATA now.
    var holding: Bool {
        guard let h = holdUntil else { return false }
        return connection.loop.now < h
    }
}

extension H2Connection {
    /// `GOAWAY(code)` naming `lastStreamID`; with an error code the connection ends once it is out.
    func injectGoaway(code: UInt32, lastStreamID: Int32) {
        guard let session else { return }
        if code == NGHTTP2_NO_ERROR.rawValue {
            submitGoaway(code: code, lastStreamID: lastStreamID)
        } else {
            _ = nghttp2_session_terminate_session2(session, lastStreamID, code)
        }
    }

    /// Withholds `WINDOW_UPDATE` for `duration`: request body bytes received meanwhile are
    /// acknowledged only when it ends.
    func stallWindow(for duration: Duration) {
        let until = loop.now &+ duration.nanoseconds
        windowStallUntil = max(windowStallUntil ?? 0, until)
        _ = loop.schedule(at: until) { [weak self] in
            guard let self, !self.closed, let u = self.windowStallUntil, u <= self.loop.now else { return }
            self.windowStallUntil = nil
            self.pump()
        }
    }

    func submitSettings(maxConcurrentStreams: Int?, initialWindowSize: Int?) {
        guard let session else { return }
        var entries: [nghttp2_settings_entry] = []
        if let n = maxConcurrentStreams {
            entries.append(nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS.rawValue), value: UInt32(n)))
        }
        if let w = initialWindowSize {
            entries.append(nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE.rawValue), value: UInt32(w)))
        }
        guard !entries.isEmpty else { return }
        _ = nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), &entries, entries.count)
    }

    /// Request body bytes the library received: the window they used is given back (a
    /// `WINDOW_UPDATE`) from the pump, unless a window stall is on.
    func received(stream id: Int32, bytes: Int) {
        unconsumed[id, default: 0] += bytes
        pumpAgain = true
    }

    /// Gives back the window of the body bytes received, unless stalled.
    func grantWindow() {
        guard !unconsumed.isEmpty, let session else { return }
        if let u = windowStallUntil, loop.now < u { return }
        var total = 0
        for (id, n) in unconsumed {
            total += n
            if streams[id] != nil { _ = nghttp2_session_consume_stream(session, id, n) }
        }
        unconsumed.removeAll(keepingCapacity: true)
        _ = nghttp2_session_consume_connection(session, total)
    }
}

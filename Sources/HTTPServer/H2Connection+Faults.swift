import CNghttp2

/// The connection-wide HTTP/2 faults (``HTTP2Fault``): GOAWAY, a window stall, SETTINGS; and the
/// request-body window given back from the pump so a stall can withhold it.
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

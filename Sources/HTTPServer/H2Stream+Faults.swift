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

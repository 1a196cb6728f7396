import CNghttp2
import HTTPCore

extension H2Connection {
    /// Creates the server session with this server's options and queues its SETTINGS.
    func openSession() -> Bool {
        var option: OpaquePointer?
        guard nghttp2_option_new(&option) == 0, let option else { return false }
        defer { nghttp2_option_del(option) }
        nghttp2_option_set_stream_reset_rate_limit(option, UInt64(limits.resetBurst), UInt64(limits.resetRate))
        nghttp2_option_set_max_outbound_ack(option, 1000)
        // The window is given back from the pump (``grantWindow()``), so a fault can withhold it.
        nghttp2_option_set_no_auto_window_update(option, 1)
        var s: OpaquePointer?
        let me = Unmanaged.passUnretained(self).toOpaque()
        guard nghttp2_session_server_new2(&s, H2Callbacks.shared, me, option) == 0, let s else { return false }
        session = s
        var settings = [
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS.rawValue),
                                   value: UInt32(limits.maxConcurrentStreams)),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE.rawValue),
                                   value: UInt32(limits.initialWindowSize)),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_ENABLE_PUSH.rawValue), value: 0),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE.rawValue),
                                   value: UInt32(limits.maxHeaderListSize)),
        ]
        guard nghttp2_submit_settings(s, UInt8(NGHTTP2_FLAG_NONE.rawValue), &settings, settings.count) == 0 else { return false }
        // The connection's receive window matches one stream's, so one upload is not held to 64 KiB.
        _ = nghttp2_session_set_local_window_size(s, UInt8(NGHTTP2_FLAG_NONE.rawValue), 0, Int32(limits.initialWindowSize))
        return true
    }

    /// The open stream `id`. The library's callbacks ask for the same stream many times in a
    /// row (each header field, its frames), so the last one found is checked before the table.
    func stream(_ id: Int32) -> H2Stream? {
        if let s = lastStream, s.id == id { return s }
        let s = streams[id]
        if s != nil { lastStream = s }
        return s
    }

    // MARK: what the callbacks report (inside the library: record only, no mem_send/mem_recv)

    func beginRequest(stream id: Int32) {
        let s = H2Stream(id: id, connection: self)
        streams[id] = s
        lastStream = s
        s.lastInput = loop.now
        begun.append(s)  // its request deadline is armed once `mem_recv` returns
        idleSince = loop.now
    }

    /// Arms the request deadline of the streams that began in the `mem_recv` that just returned
    /// and are still waiting for the rest of their request.
    func armBegunStreams() {
        for s in begun { s.armRequestDeadline() }
        begun.removeAll(keepingCapacity: true)
    }

    func requestComplete(stream id: Int32) {
        guard let s = stream(id), !s.queued else { return }
        s.queued = true
        ready.append(s)
        pumpAgain = true
    }

    func streamClosed(_ id: Int32, code: UInt32) {
        guard let s = streams.removeValue(forKey: id) else { return }
        if lastStream === s { lastStream = nil }
        s.closedByLibrary(code: code)
        closedStreams.append(s)
        if streams.isEmpty { idleSince = loop.now }
        pumpAgain = true
    }
}

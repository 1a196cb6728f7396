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

    // MARK: what the callbacks report (inside the library: record only, no mem_send/mem_recv)

    func beginRequest(stream id: Int32) {
        let s = H2Stream(id: id, connection: self)
        streams[id] = s
        idleSince = loop.now
    }

    func requestComplete(stream id: Int32) {
        guard let s = streams[id], !s.queued else { return }
        s.queued = true
        ready.append(s)
        pumpAgain = true
    }

    func streamClosed(_ id: Int32, code: UInt32) {
        guard let s = streams.removeValue(forKey: id) else { return }
        s.closedByLibrary(code: code)
        closedStreams.append(s)
        if streams.isEmpty { idleSince = loop.now }
        pumpAgain = true
    }
}

/// The session callbacks: C function pointers that find their ``H2Connection`` through the
/// session's user data and only record what happened. Built once; the library copies them into
/// every session.
enum H2Callbacks {
    nonisolated(unsafe) static let shared: OpaquePointer = {
        var cbs: OpaquePointer?
        precondition(nghttp2_session_callbacks_new(&cbs) == 0, "nghttp2_session_callbacks_new failed")
        nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, onBeginHeaders)
        nghttp2_session_callbacks_set_on_header_callback(cbs, onHeader)
        nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, onFrameRecv)
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, onDataChunk)
        nghttp2_session_callbacks_set_on_stream_close_callback(cbs, onStreamClose)
        nghttp2_session_callbacks_set_on_frame_send_callback(cbs, onFrameSend)
        return cbs!
    }()

    /// The data provider every response body reads through (``H2Stream/readData(into:length:flags:)``).
    static let read: nghttp2_data_source_read_callback = { _, id, buf, length, flags, _, user in
        let c = Unmanaged<H2Connection>.fromOpaque(user!).takeUnretainedValue()
        guard let s = c.streams[id], let buf, let flags else { return Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue) }
        return s.readData(into: buf, length: length, flags: flags)
    }

    static func connection(_ user: UnsafeMutableRawPointer?) -> H2Connection {
        Unmanaged<H2Connection>.fromOpaque(user!).takeUnretainedValue()
    }

    static let endStream = UInt8(NGHTTP2_FLAG_END_STREAM.rawValue)

    static let onBeginHeaders: nghttp2_on_begin_headers_callback = { _, frame, user in
        guard let f = frame?.pointee, f.hd.type == UInt8(NGHTTP2_HEADERS.rawValue),
              f.headers.cat == NGHTTP2_HCAT_REQUEST else { return 0 }
        connection(user).beginRequest(stream: f.hd.stream_id)
        return 0
    }

    static let onHeader: nghttp2_on_header_callback = { _, frame, name, nameLength, value, valueLength, _, user in
        guard let f = frame?.pointee, f.hd.type == UInt8(NGHTTP2_HEADERS.rawValue),
              let s = connection(user).streams[f.hd.stream_id], let name, let value else { return 0 }
        s.addField(name: UnsafeBufferPointer(start: name, count: nameLength),
                   value: UnsafeBufferPointer(start: value, count: valueLength))
        return 0
    }

    static let onFrameRecv: nghttp2_on_frame_recv_callback = { _, frame, user in
        guard let f = frame?.pointee else { return 0 }
        let c = connection(user)
        let type = UInt32(f.hd.type)
        if type == NGHTTP2_HEADERS.rawValue || type == NGHTTP2_DATA.rawValue {
            if type == NGHTTP2_HEADERS.rawValue, f.headers.cat == NGHTTP2_HCAT_REQUEST {
                c.streams[f.hd.stream_id]?.headComplete = true
            }
            if f.hd.flags & endStream != 0 { c.requestComplete(stream: f.hd.stream_id) }
        }
        return 0
    }

    static let onDataChunk: nghttp2_on_data_chunk_recv_callback = { _, _, id, data, length, user in
        let c = connection(user)
        c.received(stream: id, bytes: length)
        guard let s = c.streams[id], let data else { return 0 }
        if s.appendBody(UnsafeBufferPointer(start: data, count: length)) == false {
            c.requestComplete(stream: id)  // over the body limit: answered 413 now
        }
        return 0
    }

    static let onStreamClose: nghttp2_on_stream_close_callback = { _, id, code, user in
        connection(user).streamClosed(id, code: code)
        return 0
    }

    static let onFrameSend: nghttp2_on_frame_send_callback = { session, frame, user in
        guard let f = frame?.pointee, f.hd.flags & endStream != 0,
              let s = connection(user).streams[f.hd.stream_id], s.resetAfterResponse else { return 0 }
        // The response went out before the request ended (an early 413/431): stop the upload.
        _ = nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), f.hd.stream_id, NGHTTP2_NO_ERROR.rawValue)
        return 0
    }
}

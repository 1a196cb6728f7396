import CNghttp2

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
        nghttp2_session_callbacks_set_send_data_callback(cbs, sendData)
        return cbs!
    }()

    /// The data provider every response body reads through (``H2Stream/readData(length:flags:)``).
    static let read: nghttp2_data_source_read_callback = { _, id, _, length, flags, _, user in
        let c = Unmanaged<H2Connection>.fromOpaque(user!).takeUnretainedValue()
        guard let s = c.stream(id), let flags else { return Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue) }
        return s.readData(length: length, flags: flags)
    }

    /// A DATA frame whose bytes `read` left in place (`NO_COPY`): written into the output.
    static let sendData: nghttp2_send_data_callback = { _, frame, header, length, _, user in
        guard let f = frame?.pointee, let header, let s = connection(user).stream(f.hd.stream_id),
              s.sendFrame(header: header, length: length, padding: f.data.padlen) else {
            return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue
        }
        return 0
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
              let s = connection(user).stream(f.hd.stream_id), let name, let value else { return 0 }
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
                c.stream(f.hd.stream_id)?.headArrived()
            }
            if f.hd.flags & endStream != 0 { c.requestComplete(stream: f.hd.stream_id) }
        }
        return 0
    }

    static let onDataChunk: nghttp2_on_data_chunk_recv_callback = { _, _, id, data, length, user in
        let c = connection(user)
        c.received(stream: id, bytes: length)
        guard let s = c.stream(id), let data else { return 0 }
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
              let s = connection(user).stream(f.hd.stream_id), s.resetAfterResponse else { return 0 }
        // The response went out before the request ended (an early 413/431): stop the upload.
        _ = nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), f.hd.stream_id, NGHTTP2_NO_ERROR.rawValue)
        return 0
    }
}

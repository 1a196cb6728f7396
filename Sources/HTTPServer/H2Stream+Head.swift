import CNghttp2
import HTTPCore

extension H2Stream {
    /// Submits the response head; with `hasBody`, the body follows through the data provider
    /// (deferred until written), else the HEADERS frame ends the stream.
    func submitHead(status: Status, contentLength: Int?, hasBody: Bool, headers: (inout [UInt8]) -> Void) -> Bool {
        guard let session else { return false }
        var lines: [UInt8] = []
        lines.reserveCapacity(512)  // a usual head's lines in one allocation, not five
        headers(&lines)
        var head = H2ResponseHead(status: status, contentLength: contentLength, date: connection.loop.dateCache.current, lines: lines)
        var provider = nghttp2_data_provider(source: nghttp2_data_source(ptr: nil), read_callback: H2Callbacks.read)
        let rv = head.withFields { nva, count in
            hasBody ? nghttp2_submit_response(session, id, nva, count, &provider)
                    : nghttp2_submit_response(session, id, nva, count, nil)
        }
        headSent = true
        if rv != 0 { finish(); return false }
        return true
    }
}

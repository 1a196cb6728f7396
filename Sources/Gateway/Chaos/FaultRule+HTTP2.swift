import HTTPServer

/// The HTTP/2 faults of the grammar (`rst_stream`, `goaway`, `window_stall`, `data_stall`,
/// `h2_settings`): their options checked where they enter, their text for listings and plans,
/// and the ``HTTP2Fault`` the server acts out. On an HTTP/1.1 request they are skipped, and the
/// journal's entry says so (``skipNote``).
extension FaultRule {
    /// Whether the action exists only on HTTP/2.
    var isHTTP2: Bool { [.rstStream, .goaway, .windowStall, .dataStall, .h2Settings].contains(action) }

    /// What the journal appends to the reason of an HTTP/2 fault that met an HTTP/1.1 request.
    static let skipNote = "; skipped: an HTTP/2 fault, and the request came over http/1.1"

    /// The fault for the server; nil for the other actions.
    var http2Fault: HTTP2Fault? {
        switch action {
        case .rstStream: .resetStream(code: h2Code ?? .cancel)
        case .goaway: .goaway(code: h2Code ?? .noError, lastStreamID: lastStream.map { Int32($0) })
        case .windowStall: .windowStall(.milliseconds(stallMillis))
        case .dataStall: .dataStall(.milliseconds(stallMillis))
        case .h2Settings: .settings(maxConcurrentStreams: maxStreams, initialWindowSize: window)
        default: nil
        }
    }

    /// `code=CANCEL`, `last_stream=N`, `max_streams=N window=N`, as the rule was given.
    var http2ActionParts: [String] {
        var parts: [String] = []
        if action == .rstStream || action == .goaway, let h2Code { parts.append("code=\(h2Code.name)") }
        if action == .goaway, let lastStream { parts.append("last_stream=\(lastStream)") }
        if action == .h2Settings {
            if let maxStreams { parts.append("max_streams=\(maxStreams)") }
            if let window { parts.append("window=\(window)") }
        }
        return parts
    }

    /// The HTTP/2 options: `code` is an HTTP/2 error code for `rst_stream` and `goaway`;
    /// `last_stream` only for `goaway`; `max_streams`/`window` only for `h2_settings` (one needed).
    static func checkHTTP2(_ r: inout FaultRule, given: Set<String>) throws(FaultSpecError) {
        if r.action == .rstStream || r.action == .goaway, let text = r.code {
            guard let c = HTTP2ErrorCode(parsing: text) else {
                throw FaultSpecError(message: "code: expected an HTTP/2 error code (\(HTTP2ErrorCode.names.joined(separator: ", ")) or a number), found '\(text)'")
            }
            r.h2Code = c
            r.code = nil
        }
        if given.contains("last_stream"), r.action != .goaway { throw FaultSpecError(message: "last_stream: only goaway faults take it") }
        for n in ["max_streams", "window"] where given.contains(n) && r.action != .h2Settings {
            throw FaultSpecError(message: "\(n): only h2_settings faults take it")
        }
        if r.action == .h2Settings, r.maxStreams == nil, r.window == nil {
            throw FaultSpecError(message: "h2_settings: give max_streams=N and/or window=BYTES (e.g. h2_settings max_streams=1)")
        }
    }
}

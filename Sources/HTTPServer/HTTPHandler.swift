import HTTPCore

/// The application side of the server.
///
/// `handle` runs on the event-loop thread that owns the connection. It must not block: answer
/// through the responder now, or later from a loop timer (``Responder/schedule(after:_:)``), or
/// open a stream. Each request is answered exactly once; later calls are ignored.
public protocol HTTPHandler: Sendable {
    func handle(_ request: Request, responder: Responder)

    /// The response for a request the server itself rejects (parse errors, limits, timeouts).
    /// The default is a JSON body `{"error":{"message","type","code"}}`.
    func protocolErrorResponse(status: Status, message: String) -> Response

    /// Asked once per accepted connection, before anything is read. Non-nil: the server drops the
    /// connection at once that way (`.reset` → RST, `.close` → FIN with nothing written) and never
    /// reads from it. Default: nil.
    ///
    /// Runs on the loop thread that owns the connection; `peer` is the client IP as text, like
    /// ``Responder/peerAddress``. For `.close`, bytes the client already sent are discarded
    /// (not parsed) while the FIN is delivered; see ``Disconnect/close``.
    func acceptFault(peer: String) -> Disconnect?
}

extension HTTPHandler {
    public func protocolErrorResponse(status: Status, message: String) -> Response {
        defaultProtocolErrorResponse(status: status, message: message)
    }

    public func acceptFault(peer: String) -> Disconnect? { nil }
}

/// `{"error":{"message":…,"type":…,"code":…}}` for a server-level rejection.
public func defaultProtocolErrorResponse(status: Status, message: String) -> Response {
    var w = JSONWriter()
    w.objectStart()
    w.key("error")
    w.objectStart()
    w.key("message"); w.string(message)
    w.key("type"); w.string(status.code >= 500 ? "server_error" : "invalid_request_error")
    w.key("code"); w.string(codeName(status))
    w.objectEnd()
    w.objectEnd()
    return .json(status, w.bytes)
}

func codeName(_ status: Status) -> String {
    switch status.code {
    case 400: "bad_request"
    case 408: "request_timeout"
    case 413: "request_too_large"
    case 414: "uri_too_long"
    case 417: "expectation_failed"
    case 431: "headers_too_large"
    case 501: "not_implemented"
    case 503: "connection_limit"
    case 505: "http_version_not_supported"
    default: "http_\(status.code)"
    }
}

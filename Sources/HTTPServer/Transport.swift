/// Which protocol carried a request, as the journal records it: HTTP/1.1 (1.0 included), or
/// HTTP/2 over cleartext with prior knowledge (`h2c`) with its connection and stream.
///
/// A plain value: Sendable, no state. Read it from ``Responder/transport``.
public enum Transport: Sendable, Equatable {
    /// HTTP/1.x on its own connection.
    case http1
    /// HTTP/2 cleartext: `connection` numbers the server's HTTP/2 connections from 1 in the order
    /// they began; `stream` is the client's stream id (odd, from 1).
    case h2c(connection: UInt64, stream: Int32)

    /// `http/1.1` or `h2c`: the protocol's name in the journal and logs.
    public var name: String {
        switch self {
        case .http1: "http/1.1"
        case .h2c: "h2c"
        }
    }

    /// The HTTP/2 stream id, or nil for HTTP/1.1.
    public var streamID: Int? {
        if case .h2c(_, let s) = self { return Int(s) }
        return nil
    }

    /// The HTTP/2 connection number, or nil for HTTP/1.1.
    public var connectionNumber: Int? {
        if case .h2c(let c, _) = self { return Int(c) }
        return nil
    }
}

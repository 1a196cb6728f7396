/// How a connection is torn down on purpose (fault injection).
///
/// Used by ``Responder/disconnect(_:after:)``, ``ResponseStream/disconnect(_:)`` and
/// ``HTTPHandler/acceptFault(peer:)``. A plain value: Sendable, no state.
///
/// Over HTTP/2 a request is one stream of a shared connection: `.reset` still resets the TCP
/// connection (every stream on it fails, as with a proxy that drops the connection); `.close`
/// without bytes resets only the request's stream (`RST_STREAM(INTERNAL_ERROR)`: the stream ends
/// early, its siblings go on); `.close` after bytes writes them raw and closes the connection.
public enum Disconnect: Sendable, Equatable {
    /// An orderly close (FIN): the client reads what was sent, then EOF.
    ///
    /// The server half-closes (`shutdown(SHUT_WR)`, the FIN follows the queued bytes) and then
    /// reads and discards whatever the client still sends until its EOF or for at most 2 s
    /// before closing. Closing at once with unread input would make Linux answer with RST, which
    /// can destroy the bytes the client has not read yet and turn an "empty reply" into a reset.
    case close
    /// An abortive close (SO_LINGER {1, 0} then close → RST): the client sees "connection reset by peer".
    ///
    /// Bytes written before it are handed to the kernel first, but the RST discards whatever is
    /// still unsent there. On Linux, bytes that already reached the client's receive queue stay
    /// readable and the client's recv fails with ECONNRESET after them; a client whose receive
    /// window was full loses the rest.
    case reset
}

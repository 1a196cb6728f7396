/// An HTTP/2-only fault the handler can inject on the stream that carries its request
/// (``Responder/inject(_:)``, ``ResponseStream/inject(_:)``). Over HTTP/1.1 there is nothing to
/// inject: the calls return false and change nothing, so the caller can note the skip.
///
/// A plain value: Sendable.
public enum HTTP2Fault: Sendable, Equatable {
    /// `RST_STREAM` with `code` on this stream; on a response stream, after the bytes already
    /// written (the client reads them, then the reset). The stream's siblings go on.
    case resetStream(code: HTTP2ErrorCode)
    /// `GOAWAY` on the connection naming `lastStreamID` (nil: this stream before its head is sent,
    /// so the client may retry it; this stream once it has begun). With `NO_ERROR` streams up to
    /// the last one finish and later ones are refused; with any other code the connection ends
    /// once the GOAWAY is out, and every stream on it with it.
    case goaway(code: HTTP2ErrorCode, lastStreamID: Int32?)
    /// The connection grants the client no receive window (`WINDOW_UPDATE`) for `duration`: its
    /// uploads stall once their window is used up, then resume.
    case windowStall(Duration)
    /// This stream sends no DATA for `duration` although its window is open, then goes on.
    case dataStall(Duration)
    /// A `SETTINGS` frame to the connection: `SETTINGS_MAX_CONCURRENT_STREAMS` and/or
    /// `SETTINGS_INITIAL_WINDOW_SIZE` (the window the client may send request bodies into).
    case settings(maxConcurrentStreams: Int?, initialWindowSize: Int?)

    /// Whether the fault ends this stream (the caller's producer stops).
    public var endsStream: Bool {
        switch self {
        case .resetStream: true
        case .goaway(let code, _): code != .noError
        default: false
        }
    }
}

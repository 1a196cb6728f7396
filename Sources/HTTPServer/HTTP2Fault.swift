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

/// An HTTP/2 error code (RFC 9113 §7), by number, with its registered name.
public struct HTTP2ErrorCode: Sendable, Equatable, Hashable {
    public let value: UInt32
    public init(_ value: UInt32) { self.value = value }

    public static let noError = HTTP2ErrorCode(0x0)
    public static let protocolError = HTTP2ErrorCode(0x1)
    public static let internalError = HTTP2ErrorCode(0x2)
    public static let cancel = HTTP2ErrorCode(0x8)
    public static let refusedStream = HTTP2ErrorCode(0x7)

    /// The registered names, in code order (0x0 to 0xd).
    public static let names = ["NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR", "FLOW_CONTROL_ERROR", "SETTINGS_TIMEOUT",
                               "STREAM_CLOSED", "FRAME_SIZE_ERROR", "REFUSED_STREAM", "CANCEL", "COMPRESSION_ERROR",
                               "CONNECT_ERROR", "ENHANCE_YOUR_CALM", "INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED"]

    /// A code from its name (any case) or its number (0 to 2^32-1, decimal or 0x hex); nil otherwise.
    public init?(parsing text: String) {
        let upper = text.uppercased()
        if let i = Self.names.firstIndex(of: upper) { self.init(UInt32(i)); return }
        if upper.hasPrefix("0X"), let n = UInt32(upper.dropFirst(2), radix: 16) { self.init(n); return }
        guard let n = UInt32(text) else { return nil }
        self.init(n)
    }

    /// The registered name, or the number for an unregistered code.
    public var name: String { value < UInt32(Self.names.count) ? Self.names[Int(value)] : String(value) }
}

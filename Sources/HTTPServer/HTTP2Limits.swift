/// The limits an HTTP/2 connection advertises and enforces (h2c with prior knowledge).
///
/// The request body limit is the HTTP/1.1 one (``ParserLimits/maxBodyBytes``), answered 413 on
/// either protocol. Each field has a command-line flag (`--h2-…`, see the executable's `--help`).
/// A plain value: Sendable.
public struct HTTP2Limits: Sendable, Equatable {
    /// `SETTINGS_MAX_CONCURRENT_STREAMS`: streams a client may have open at once. A client that
    /// opens more after acknowledging the setting breaks the protocol, and libnghttp2 ends the
    /// connection with `GOAWAY(PROTOCOL_ERROR)` (clients such as httpx queue instead).
    public var maxConcurrentStreams = 100
    /// `SETTINGS_MAX_HEADER_LIST_SIZE`: a request whose header list (names, values and 32 bytes
    /// per field, RFC 9113 §6.5.2) is larger is answered 431.
    public var maxHeaderListSize = 64 * 1024
    /// `SETTINGS_INITIAL_WINDOW_SIZE` for request bodies (the client's send window per stream).
    public var initialWindowSize = 1 << 20
    /// Stream resets a client may cause in a burst ("rapid reset", CVE-2023-44487); beyond it and
    /// the refill rate libnghttp2 ends the connection with `GOAWAY(INTERNAL_ERROR)`.
    public var resetBurst = 1000
    /// Stream resets per second the burst refills at.
    public var resetRate = 33

    public init() {}

    /// The ranges each field is checked against where it enters (flags, fixtures).
    public static let concurrentStreamsRange = 1...100_000
    public static let headerListRange = 256...(16 << 20)
    public static let windowRange = 1...Int(Int32.max)
    public static let resetBurstRange = 1...1_000_000
    public static let resetRateRange = 1...1_000_000
}

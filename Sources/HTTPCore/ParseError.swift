/// Why a request could not be parsed. Every case maps to one status; after any of them the
/// message framing is unknowable, so the connection answers and closes.
public enum ParseError: Error, Sendable, Equatable {
    case requestLineTooLong
    case headersTooLarge
    case tooManyHeaders
    case bodyTooLarge
    case malformedRequestLine(String)
    case unsupportedVersion
    case invalidHeader(String)
    case obsoleteLineFolding
    case bareLineFeed
    case bareCarriageReturn
    case missingHost
    case invalidContentLength
    case contentLengthWithTransferEncoding
    case transferEncodingNotChunked
    case unsupportedTransferCoding(String)
    case invalidChunk(String)
    case unsupportedExpectation

    /// The response status for this error.
    public var status: Status {
        switch self {
        case .requestLineTooLong: .uriTooLong
        case .headersTooLarge, .tooManyHeaders: .headerFieldsTooLarge
        case .bodyTooLarge: .contentTooLarge
        case .unsupportedVersion: .httpVersionNotSupported
        case .unsupportedTransferCoding: .notImplemented
        case .unsupportedExpectation: .expectationFailed
        default: .badRequest
        }
    }

    /// A short human-readable explanation, used in the JSON error body.
    public var message: String {
        switch self {
        case .requestLineTooLong: "request line exceeds the configured limit"
        case .headersTooLarge: "header block exceeds the configured limit"
        case .tooManyHeaders: "too many header fields"
        case .bodyTooLarge: "request body exceeds the configured limit"
        case .malformedRequestLine(let why): "malformed request line: \(why)"
        case .unsupportedVersion: "only HTTP/1.0 and HTTP/1.1 are supported"
        case .invalidHeader(let why): "invalid header field: \(why)"
        case .obsoleteLineFolding: "obsolete line folding is not allowed"
        case .bareLineFeed: "bare LF is not allowed; lines end with CRLF"
        case .bareCarriageReturn: "bare CR is not allowed"
        case .missingHost: "HTTP/1.1 requests need exactly one Host header"
        case .invalidContentLength: "invalid or conflicting Content-Length"
        case .contentLengthWithTransferEncoding: "Content-Length and Transfer-Encoding together are not allowed"
        case .transferEncodingNotChunked: "Transfer-Encoding must end with chunked"
        case .unsupportedTransferCoding(let c): "unsupported transfer coding: \(c)"
        case .invalidChunk(let why): "invalid chunked body: \(why)"
        case .unsupportedExpectation: "only Expect: 100-continue is supported"
        }
    }
}

/// Size limits the parser enforces. Defaults follow common server practice.
public struct ParserLimits: Sendable, Equatable {
    /// Longest request line, bytes (414 beyond).
    public var maxRequestLine: Int = 8 * 1024
    /// Largest header block after the request line, bytes (431 beyond).
    public var maxHeaderBytes: Int = 64 * 1024
    /// Most header fields (431 beyond).
    public var maxHeaderCount: Int = 100
    /// Largest request body after de-chunking, bytes (413 beyond).
    public var maxBodyBytes: Int = 32 * 1024 * 1024

    public init() {}
    public init(maxRequestLine: Int, maxHeaderBytes: Int, maxHeaderCount: Int, maxBodyBytes: Int) {
        self.maxRequestLine = maxRequestLine
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxBodyBytes = maxBodyBytes
    }
}

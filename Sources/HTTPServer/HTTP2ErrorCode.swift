/// An HTTP/2 error code (RFC 9113 §7), by number, with its registered name. A plain value: Sendable.
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

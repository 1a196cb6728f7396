// HTTPCore: pure HTTP/1.1 protocol values and codecs. No sockets, no Foundation.

/// An HTTP request method. A struct rather than a closed enum so any valid token is representable.
///
/// Methods are case-sensitive (RFC 9110 §9.1); `Method("get")` is not `.get`.
public struct Method: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String

    /// Creates a method from an already validated token.
    public init(_ rawValue: String) { self.rawValue = rawValue }

    public static let get = Method("GET")
    public static let head = Method("HEAD")
    public static let post = Method("POST")
    public static let put = Method("PUT")
    public static let patch = Method("PATCH")
    public static let delete = Method("DELETE")
    public static let options = Method("OPTIONS")

    public var description: String { rawValue }

    /// Maps the bytes of a method token to a value, reusing the well-known constants.
    init(bytes: UnsafeRawBufferPointer) {
        switch bytes.count {
        case 3 where bytes[0] == 0x47 && bytes[1] == 0x45 && bytes[2] == 0x54: self = .get
        case 4 where bytes[0] == 0x50 && bytes[1] == 0x4F && bytes[2] == 0x53 && bytes[3] == 0x54: self = .post
        case 4 where bytes[0] == 0x48 && bytes[1] == 0x45 && bytes[2] == 0x41 && bytes[3] == 0x44: self = .head
        default: self = Method(String(decoding: bytes, as: UTF8.self))
        }
    }
}

/// The HTTP version of a request. Only 1.0 and 1.1 are served; anything else is a 505.
public enum Version: Sendable, Equatable {
    case http1_0
    case http1_1
}

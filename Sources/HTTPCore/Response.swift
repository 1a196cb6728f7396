/// A complete response: status, headers, body. `Content-Length`, `Date` and `Connection` are
/// added by the encoder; handlers never set them.
public struct Response: Sendable {
    public var status: Status
    public var headers: HeaderList
    public var body: [UInt8]

    public init(status: Status, headers: HeaderList = HeaderList(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON response with `Content-Type: application/json`.
    public static func json(_ status: Status, _ body: [UInt8], headers: HeaderList = HeaderList()) -> Response {
        var h = HeaderList()
        h.add("Content-Type", "application/json")
        h.append(contentsOf: headers)
        return Response(status: status, headers: h, body: body)
    }
}

/// How the encoder frames a body.
public enum BodyFraming: Sendable, Equatable {
    /// `Content-Length: n`.
    case length(Int)
    /// `Transfer-Encoding: chunked` (HTTP/1.1 clients).
    case chunked
    /// No length: the body ends when the connection closes (streams to HTTP/1.0 clients).
    case untilClose
}

/// Writes response heads into a byte buffer without building intermediate strings.
public enum ResponseEncoder {
    /// Appends `HTTP/1.1 <code> <reason>\r\n`, `Date`, the given headers, framing and
    /// connection headers, and the blank line.
    ///
    /// - Parameters:
    ///   - dateLine: a complete `Date: …\r\n` line (see ``HTTPDate``).
    ///   - keepAlive: whether the connection stays open after this response.
    ///   - requestVersion: `Connection: keep-alive` is spelt out only for HTTP/1.0 clients.
    public static func writeHead(into out: inout [UInt8], status: Status, headers: HeaderList, framing: BodyFraming,
                                 keepAlive: Bool, requestVersion: Version, dateLine: [UInt8]) {
        writeHead(into: &out, status: status, framing: framing, keepAlive: keepAlive, requestVersion: requestVersion,
                  dateLine: dateLine) { o in
            for field in headers {
                o.append(contentsOf: field.name.utf8)
                o.append(contentsOf: colonSpace)
                o.append(contentsOf: field.value.utf8)
                o.append(contentsOf: crlf)
            }
        }
    }

    /// As above, with the header lines (`Name: value\r\n` each) written by `headers` directly.
    public static func writeHead(into out: inout [UInt8], status: Status, framing: BodyFraming, keepAlive: Bool,
                                 requestVersion: Version, dateLine: [UInt8], headers: (inout [UInt8]) -> Void) {
        if status.code == 200, status.reason == "OK" {
            out.appendLiteral("HTTP/1.1 200 OK\r\n")
        } else {
            out.appendLiteral("HTTP/1.1 ")
            appendDecimal(status.code, to: &out)
            out.append(0x20)
            out.append(contentsOf: status.reason.utf8)
            out.append(0x0D); out.append(0x0A)
        }
        out.append(contentsOf: dateLine)
        headers(&out)
        switch framing {
        case .length(let n):
            withDecimalDigits(n) { out.appendHeaderLine("Content-Length", $0) }
        case .chunked:
            out.appendLiteral("Transfer-Encoding: chunked\r\n")
        case .untilClose:
            break
        }
        if !keepAlive {
            out.appendLiteral("Connection: close\r\n")
        } else if requestVersion == .http1_0 {
            out.appendLiteral("Connection: keep-alive\r\n")
        }
        out.append(contentsOf: crlf)
    }

    /// The interim response sent for `Expect: 100-continue`.
    public static let continueResponse: [UInt8] = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)
}

let crlf: [UInt8] = [0x0D, 0x0A]
let colonSpace: [UInt8] = [0x3A, 0x20]

/// Appends the decimal digits of a non-negative or negative integer.
@inlinable
public func appendDecimal(_ value: Int, to out: inout [UInt8]) {
    if value >= 0, value < 10 { out.append(0x30 + UInt8(value)); return }
    withDecimalDigits(value) { out.append(contentsOf: $0) }
}

extension Array where Element == UInt8 {
    /// Appends the bytes of a string literal without creating an intermediate array.
    @inlinable
    public mutating func appendLiteral(_ s: StaticString) {
        append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    /// Appends `Name: value\r\n` for a value given as bytes (a number from ``withDecimalDigits(_:_:)``
    /// or ``withFixedDigits(_:decimals:_:)``), the line put together on the stack and appended
    /// with one copy.
    @inlinable
    public mutating func appendHeaderLine(_ name: StaticString, _ value: UnsafeBufferPointer<UInt8>) {
        let n = name.utf8CodeUnitCount, total = n + value.count + 4
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: total) { line in
            let p = line.baseAddress!
            p.update(from: name.utf8Start, count: n)
            p[n] = 0x3A; p[n + 1] = 0x20
            if let v = value.baseAddress { (p + n + 2).update(from: v, count: value.count) }
            p[total - 2] = 0x0D; p[total - 1] = 0x0A
            append(contentsOf: UnsafeBufferPointer(start: p, count: total))
        }
    }

    /// Appends `Name: value\r\n`.
    @inlinable
    public mutating func appendHeader(_ name: StaticString, _ value: String) {
        appendLiteral(name)
        append(0x3A); append(0x20)
        append(contentsOf: value.utf8)
        append(0x0D); append(0x0A)
    }
}

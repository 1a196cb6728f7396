import HTTPCore

/// Prior-knowledge h2c on the HTTP/1.1 port: a connection whose first 24 bytes are the HTTP/2
/// client preface is handed to an ``H2Connection`` on the same loop thread; any other first
/// bytes keep it HTTP/1.1 for good (an `Upgrade: h2c` request included: it is answered over
/// HTTP/1.1, as RFC 9113 §3.1 allows).
extension Connection {
    /// `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n` (RFC 9113 §3.4).
    static let http2Preface: [UInt8] = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    enum PrefaceCheck {
        /// The bytes so far are a proper prefix of the preface.
        case needMore
        case http2
        case http1
    }

    /// Compares the first bytes with the preface; decides for good once they differ or all 24 match.
    func checkPreface() -> PrefaceCheck {
        let preface = Self.http2Preface
        let n = min(inEnd - inStart, preface.count)
        let matches = input.withUnsafeBytes { b in
            (0..<n).allSatisfy { b[inStart + $0] == preface[$0] }
        }
        if !matches { mayBeHTTP2 = false; return .http1 }
        return n == preface.count ? .http2 : .needMore
    }

    /// Gives the socket, and the bytes read so far, to a new HTTP/2 connection. This shell is
    /// done afterwards (closed without closing the fd; the open-connection count moves with it).
    func becomeHTTP2() {
        mayBeHTTP2 = false
        let bytes = Array(input[inStart..<inEnd])
        inStart = 0
        inEnd = 0
        loop.recycleInput(&input)
        closed = true
        context.budget.adjust(by: -accounted)
        accounted = 0
        let h2 = H2Connection(fd: fd, loop: loop, context: context, peer: nil)
        h2.start(initial: bytes)
    }
}

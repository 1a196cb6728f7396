/// The response half of a journal entry: what was written to the client, kept as references to
/// bytes the gateway built anyway (the head's values, the body array, the stream's events), so
/// capturing costs a few retains; JSON is made only when the journal is read.
///
/// Concurrency: a value (Sendable); built on the answering loop thread, read under the journal's lock.
struct CapturedResponse: Sendable {
    /// What went out after the head.
    enum Body: Sendable {
        /// Nothing: no head either (a cut or reset connection), or an empty body.
        case none
        /// A complete body (already cut if a `malformed` fault halved it).
        case complete([UInt8])
        /// An event stream: its events as sent, with their timing.
        case stream(StreamTranscript)
        /// Bytes that are not an HTTP response at all (a `garbage` fault).
        case raw([UInt8])
    }

    /// The head's header lines, as rendered at the time (nil: no HTTP head was written).
    var head: Gateway.Head?
    var body: Body = .none
    /// Body bytes left out by the per-entry limit (the kept body is its first bytes).
    var omittedBytes = 0

    static let nothing = CapturedResponse(head: nil, body: .none)

    /// The header fields the head wrote, in order.
    var headers: [(name: String, value: String)] {
        guard let head else { return [] }
        var bytes: [UInt8] = []
        head.write(to: &bytes)
        return HeaderLines.split(bytes)
    }

    /// Bytes of memory the entry keeps alive through this response (an upper bound: a shared,
    /// pre-encoded body is counted as if it were the entry's own).
    var heldBytes: Int {
        switch body {
        case .none: 0
        case .complete(let b), .raw(let b): b.count
        case .stream(let t): t.heldBytes
        }
    }
}

/// Splits `Name: value\r\n` lines.
enum HeaderLines {
    static func split(_ bytes: [UInt8]) -> [(name: String, value: String)] {
        var out: [(String, String)] = []
        var start = 0
        var i = 0
        while i + 1 < bytes.count {
            if bytes[i] == 0x0D, bytes[i + 1] == 0x0A {
                let line = bytes[start..<i]
                if let colon = line.firstIndex(of: 0x3A) {
                    let name = String(decoding: line[..<colon], as: UTF8.self)
                    let value = String(decoding: line[(colon + 1)...], as: UTF8.self).trimmingSpaces
                    out.append((name, value))
                }
                i += 2
                start = i
            } else {
                i += 1
            }
        }
        return out
    }
}

import HTTPServer

/// The driver's inputs (its time limit, its fault) and pure helpers: duration arithmetic and
/// the `malformed` fault's cut.
extension StreamDriver {
    /// The longest a stream may run, and the frame (an in-band error, given the events written
    /// so far) it ends with when it runs out of time.
    struct Limit {
        var after: Duration
        var frame: (Int) -> [UInt8]
    }

    /// What happens after `after` events.
    enum Fault {
        /// This error frame, then the end of the body.
        case inBand([UInt8])
        /// The body ends cleanly, without the remaining (terminal) events.
        case end
        /// The connection is torn down without ending the body.
        case disconnect(Disconnect)
        /// A pause, then the stream goes on.
        case stall(Duration)
        /// The next event's JSON is cut in half; the stream goes on.
        case malformed
        /// An HTTP/2 fault on the stream (after the events written); `skipped` runs instead
        /// when the request came over HTTP/1.1. The stream ends here if the fault ends it.
        case http2(HTTP2Fault, skipped: () -> Void)
    }

    /// Whole nanoseconds of a non-negative duration, saturating at a year (far past any limit).
    static func nanos(_ d: Duration) -> UInt64 {
        let (seconds, atto) = d.components
        guard seconds >= 0 else { return 0 }
        guard seconds < 31_536_000 else { return 31_536_000 * 1_000_000_000 }
        return UInt64(seconds) * 1_000_000_000 + UInt64(atto / 1_000_000_000)
    }

    /// An event whose JSON is cut in the middle; SSE framing (the blank line) is kept, so the
    /// client's parser sees one complete event with invalid JSON.
    static func malformed(_ event: [UInt8]) -> [UInt8] {
        var end = event.count
        while end > 0, event[end - 1] == 0x0A || event[end - 1] == 0x0D { end -= 1 }
        let start = event.firstIndex(of: 0x7B) ?? 0
        let cut = start + max(1, (end - start) / 2)
        return Array(event[..<min(cut, end)]) + event[end...]
    }
}

/// The driver's pure helpers: duration arithmetic and the `malformed` fault's cut.
extension StreamDriver {
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

/// What one event stream actually wrote, kept cheaply while it runs and rendered only when the
/// journal is read: the reply's packed events (``StreamEvents``, about 4 bytes per text event)
/// are shared with the stream driver (no copy, nothing repacked when the stream ends), plus the
/// few pieces that went out instead of or after them (a malformed event, an in-band error
/// frame), plus one time mark per send turn (events handed to the kernel together share it).
///
/// Concurrency: a value; built on the stream's loop thread, then handed to the journal whole.
struct StreamTranscript: Sendable {
    /// The reply's events; `events[i]` is item `i` unless `substitutes` replaces it.
    var events = StreamEvents(reservingRuns: 0)
    /// Raw pieces for streams without reply events (task streams): item `i` is `chunks[i]`.
    var chunks: [[UInt8]] = []
    /// Items written, in order.
    var count = 0
    /// Items that went out as other bytes than their event (a `malformed` fault cuts one).
    var substitutes: [(item: Int, bytes: [UInt8])] = []
    /// Bytes written after the last item (an in-band error frame), if any.
    var trailer: [UInt8]?
    /// Items from `item` on left `millis` after the head was sent.
    var marks: [(item: Int, millis: Int)] = []
    /// Monotonic nanoseconds when the head was sent.
    var headNanos: UInt64 = 0

    init(headNanos: UInt64 = monotonicNanos()) { self.headNanos = headNanos }

    /// Notes that the next item leaves now (one clock read; called once per send turn).
    mutating func mark() {
        let ms = Int((monotonicNanos() &- headNanos) / 1_000_000)
        if let last = marks.last, last.item == count { marks[marks.count - 1].millis = ms; return }
        marks.append((count, ms))
    }

    /// Appends a raw piece (task streams), with its time.
    mutating func append(chunk: [UInt8]) {
        mark()
        chunks.append(chunk)
        count += 1
    }

    /// The items in order as (offset in ms from the head, bytes), the trailer last.
    func items() -> [(millis: Int, bytes: [UInt8])] {
        var out: [(Int, [UInt8])] = []
        out.reserveCapacity(count + 1)
        var m = 0
        var millis = 0
        for i in 0..<count {
            while m < marks.count, marks[m].item <= i { millis = marks[m].millis; m += 1 }
            if let s = substitutes.first(where: { $0.item == i }) {
                out.append((millis, s.bytes))
            } else if i < events.count, chunks.isEmpty {
                out.append((millis, events[i].bytes))
            } else if i < chunks.count {
                out.append((millis, chunks[i]))
            }
        }
        if let trailer {
            while m < marks.count { millis = marks[m].millis; m += 1 }
            out.append((millis, trailer))
        }
        return out
    }

    /// Upper bound of the memory the transcript holds beyond what the stream already built.
    var heldBytes: Int {
        (events.isEmpty ? 0 : events.heldBytes) + chunks.reduce(0) { $0 + $1.count + 32 } + substitutes.reduce(0) { $0 + $1.bytes.count + 32 }
            + (trailer?.count ?? 0) + marks.count * 16
    }
}

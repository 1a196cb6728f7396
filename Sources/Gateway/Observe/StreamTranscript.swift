/// What one event stream actually wrote, kept cheaply while it runs and rendered only when the
/// journal is read: the reply's events are shared with the stream driver (no copy), plus the
/// few pieces that went out instead of or after them (a malformed event, an in-band error
/// frame), plus one time mark per send turn (events handed to the kernel together share it).
///
/// Concurrency: a value; built on the stream's loop thread, then handed to the journal whole.
struct StreamTranscript: Sendable {
    /// The reply's events; `events[i]` is item `i` unless `substitutes` replaces it. Emptied by
    /// ``packed()``, which moves them into `packedEvents`.
    var events: [StreamEvent] = []
    /// The events in the journal's form (``PackedEvents``), once the stream has ended.
    var packedEvents: PackedEvents?
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

    /// The transcript as the journal keeps it: the events packed (about 4 bytes per text event
    /// instead of 32), and the events array the stream driver shared released.
    func packed() -> StreamTranscript {
        guard packedEvents == nil, !events.isEmpty else { return self }
        var copy = self
        copy.packedEvents = PackedEvents(events)
        copy.events = []
        return copy
    }

    /// The items in order as (offset in ms from the head, bytes), the trailer last.
    func items() -> [(millis: Int, bytes: [UInt8])] {
        let events = packedEvents?.unpacked() ?? self.events
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
        events.count * 32 + (packedEvents?.heldBytes ?? 0) + chunks.reduce(0) { $0 + $1.count + 32 } + substitutes.reduce(0) { $0 + $1.bytes.count + 32 }
            + (trailer?.count ?? 0) + marks.count * 16
    }
}

/// A stream's events as the journal keeps them. A text stream's events are pieces of one reply
/// text cut by one template each, one after the other, so a run of them is the template and the
/// offsets where the pieces meet (4 bytes per event); an event with bytes of its own keeps them
/// (shared, not copied). ``unpacked()`` gives the same events back.
///
/// Concurrency: a value of immutable parts (Sendable).
struct PackedEvents: Sendable {
    private enum Run: Sendable {
        case bytes(StreamEvent)
        /// Pieces `bounds[k]..<bounds[k + 1]` of the template's text, one event each.
        case pieces(StreamEvent.Template, bounds: [UInt32])
    }

    private var runs: [Run] = []
    private(set) var count = 0

    init(_ events: [StreamEvent]) {
        count = events.count
        for e in events {
            guard let p = e.parts else { runs.append(.bytes(e)); continue }
            if case .pieces(let t, var bounds)? = runs.last, t === p.template, bounds.last == p.start {
                runs.removeLast()  // so `bounds` is the only reference and grows in place
                bounds.append(p.end)
                runs.append(.pieces(t, bounds: bounds))
            } else {
                runs.append(.pieces(p.template, bounds: [p.start, p.end]))
            }
        }
    }

    /// The events, rebuilt (when the journal is read).
    func unpacked() -> [StreamEvent] {
        var out: [StreamEvent] = []
        out.reserveCapacity(count)
        for run in runs {
            switch run {
            case .bytes(let e): out.append(e)
            case .pieces(let t, let bounds):
                for k in 0..<(bounds.count - 1) { out.append(StreamEvent(t, start: bounds[k], end: bounds[k + 1])) }
            }
        }
        return out
    }

    /// An upper bound of the memory the packed events keep alive: their own bytes, and each run's
    /// template with the reply text it cuts (shared with other runs and entries, counted per run).
    var heldBytes: Int {
        runs.reduce(32) { n, run in
            switch run {
            case .bytes(let e): n + 48 + e.storedBytes
            case .pieces(let t, let bounds): n + 48 + bounds.count * 4 + t.prefix.count + t.suffix.count + t.text.utf8.count
            }
        }
    }
}

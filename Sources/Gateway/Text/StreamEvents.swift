/// The events of one encoded stream, packed: a run of text events cut from one template is
/// the template and the offsets where its pieces meet (4 bytes per event), and an event with
/// bytes of its own is kept as it is. The codecs build a stream's events in this form, the
/// stream driver writes them from it (``Cursor``), and the journal keeps the same value as the
/// stream's transcript: no per-event value is made, copied or repacked on the way.
///
/// A collection of ``StreamEvent`` too (index `i` is event `i`; subscripting finds the run by a
/// binary search), for tests and for the rare event that is read back whole.
///
/// Concurrency: a value of immutable parts (Sendable).
struct StreamEvents: Sendable, RandomAccessCollection {
    enum Run: Sendable {
        case event(StreamEvent)
        /// Events cutting pieces `bounds[k]..<bounds[k + 1]` of the template's text, `tokens` each.
        case pieces(StreamEvent.Template, bounds: [UInt32], tokens: Int)

        var count: Int {
            switch self {
            case .event: 1
            case .pieces(_, let bounds, _): bounds.count - 1
            }
        }
    }

    /// Where the stream driver is: event `k` of run `run`.
    struct Cursor {
        var run = 0
        var k = 0
    }

    private(set) var runs: [Run] = []
    /// The index of each run's first event.
    private var firsts: [Int] = []
    private(set) var endIndex = 0
    var startIndex: Int { 0 }

    /// Room for `runs` runs before the arrays grow (a chat stream of one text block has four).
    init(reservingRuns runs: Int = 8) {
        self.runs.reserveCapacity(runs)
        firsts.reserveCapacity(runs)
    }

    /// Packs `events` (consecutive pieces of one template become one run).
    init(_ events: some Sequence<StreamEvent>) {
        for e in events { append(e) }
    }

    subscript(i: Int) -> StreamEvent {
        precondition(i >= 0 && i < endIndex, "event index out of range")
        var lo = 0, hi = firsts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if firsts[mid] <= i { lo = mid } else { hi = mid - 1 }
        }
        return self[Cursor(run: lo, k: i - firsts[lo])]
    }

    /// Appends one event, joining the run before it when it is that run's next piece.
    mutating func append(_ e: StreamEvent) {
        if let p = e.parts, case .pieces(let t, var bounds, let tokens)? = runs.last,
           t === p.template, bounds.last == p.start, tokens == e.tokens {
            runs.removeLast()  // so `bounds` is the only reference and grows in place
            bounds.append(p.end)
            runs.append(.pieces(t, bounds: bounds, tokens: tokens))
        } else if let p = e.parts {
            add(.pieces(p.template, bounds: [p.start, p.end], tokens: e.tokens))
        } else {
            add(.event(e))
        }
        endIndex += 1
    }

    /// Appends one event per token piece (``Tokens``) of the template's text, `tokens` each
    /// (none for an empty text).
    mutating func appendPieces(of template: StreamEvent.Template, tokens: Int = 1) {
        appendPieces(of: template, bounds: template.withText { Tokens.bounds($0) }, tokens: tokens)
    }

    /// Appends one event per piece `bounds[k]..<bounds[k + 1]` of the template's text (none
    /// for fewer than two bounds).
    mutating func appendPieces(of template: StreamEvent.Template, bounds: [UInt32], tokens: Int = 1) {
        guard bounds.count > 1 else { return }
        add(.pieces(template, bounds: bounds, tokens: tokens))
        endIndex += bounds.count - 1
    }

    private mutating func add(_ run: Run) {
        firsts.append(endIndex)
        runs.append(run)
    }

    /// Adds `delta` to the tokens of the event at `i`, which must have bytes of its own.
    mutating func addTokens(_ delta: Int, toEventAt i: Int) {
        guard let r = firsts.lastIndex(where: { $0 <= i }), case .event(var e) = runs[r] else {
            preconditionFailure("only an event with its own bytes takes extra tokens")
        }
        e.tokens = Swift.max(0, e.tokens + delta)
        runs[r] = .event(e)
    }

    // MARK: Walking (the stream driver)

    subscript(c: Cursor) -> StreamEvent {
        switch runs[c.run] {
        case .event(let e): e
        case .pieces(let t, let bounds, let tokens): StreamEvent(t, start: bounds[c.k], end: bounds[c.k + 1], tokens: tokens)
        }
    }

    /// Whether `c` is past the last event.
    func isEnd(_ c: Cursor) -> Bool { c.run >= runs.count }

    /// Moves `c` to the next event.
    func advance(_ c: inout Cursor) {
        c.k += 1
        if c.k >= runs[c.run].count {
            c.run += 1
            c.k = 0
        }
    }

    /// Moves `c` on by `m` events of its run (at most the rest of the run).
    func advance(_ c: inout Cursor, by m: Int) {
        c.k += m
        if c.k >= runs[c.run].count {
            c.run += 1
            c.k = 0
        }
    }

    /// Tokens of the event at `c`.
    func tokens(at c: Cursor) -> Int {
        switch runs[c.run] {
        case .event(let e): e.tokens
        case .pieces(_, _, let tokens): tokens
        }
    }

    // MARK: Memory

    /// Heap bytes the events keep: their own bytes, the piece offsets, and the templates (made
    /// for this stream, with their copy of the text).
    var storedBytes: Int {
        runs.reduce(runs.count * MemoryLayout<Run>.stride + firsts.count * 8) { n, run in
            switch run {
            case .event(let e): n + e.storedBytes
            case .pieces(let t, let bounds, _): n + bounds.count * 4 + t.heldBytes
            }
        }
    }

    /// An upper bound of the memory the events keep alive: their own bytes, and each run's
    /// template with the reply text it cuts (shared with other runs and entries, counted per run).
    var heldBytes: Int {
        runs.reduce(32 + firsts.count * 8) { n, run in
            switch run {
            case .event(let e): n + 48 + e.storedBytes
            case .pieces(let t, let bounds, _): n + 48 + bounds.count * 4 + t.heldBytes
            }
        }
    }
}

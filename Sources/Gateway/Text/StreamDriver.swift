import HTTPServer

/// Writes one encoded reply stream: the events in order, each as its own chunk, paced (a delay
/// before the first event, then `tokens / tokens_per_second` before each event that carries
/// tokens: every paced event leaves in its own send) or, unpaced, as fast as the socket drains,
/// pausing above the output high watermark. Unpaced, the first `batch` events are handed to the
/// kernel together in one send, and later ones `4 × batch` at a time (`batch` 1: a send per
/// event); the driver yields the loop after the first send and then every `max(4 × batch, 16)`
/// events. Over HTTP/1.x the events of one send are written into the connection's output in one
/// call (``ResponseStream/writeChunks(flush:_:)``), each its own chunk. A fault (scripted or
/// injected) can break or disturb the stream after a given number of events. Reports exactly
/// once how the stream ended, with what was written. A stream still running after its time limit (`--max-stream-seconds`, whatever its
/// pacing, stalls or the client's reading speed) gets the limit's frame (the surface's in-band
/// error), its body is ended, and it reports `expired`: the caller bills what was sent and frees
/// the concurrency slot. The limit costs no timer of its own (the loop's timers are deleted
/// lazily, so a long timer per stream would pile up): every wait is cut short at the deadline,
/// and every turn of the pump checks it. A client that stops reading is not pumped, but
/// `--write-timeout` cuts it (`aborted`).
/// Confined to the stream's loop thread.
final class StreamDriver {
    enum Outcome {
        /// Every event was written and the body ended.
        case completed
        /// The client went away (or the connection was cut) after `tokens` output tokens.
        case aborted(tokens: Int)
        /// The gateway broke the stream (an in-band error, an early end, a cut or reset): nothing is billed.
        case failed
        /// The stream outlived its time limit and was ended after `tokens` output tokens.
        case expired(tokens: Int)
    }

    /// Events and body bytes written, and what they were (for the journal).
    struct Sent { var events = 0; var bytes = 0; var transcript = StreamTranscript() }

    private let stream: ResponseStream
    private let events: StreamEvents
    /// Where event `next` is in `events`.
    private var cursor = StreamEvents.Cursor()
    private let pacing: Pacing
    private let batch: Int
    private var fault: (kind: Fault, after: Int)?
    private let limit: Limit?
    /// Monotonic nanoseconds after which the stream expires (set by `start`).
    private var deadline = UInt64.max
    private var finish: ((Outcome, Sent) -> Void)?
    private var next = 0
    private var tokens = 0
    private var sent = Sent()
    private var waitingForTimer = false
    /// Whether this send turn has its time mark yet.
    private var marked = false

    init(stream: ResponseStream, events: StreamEvents, pacing: Pacing, batch: Int = StreamDriver.defaultBatch,
         fault: (kind: Fault, after: Int)?, limit: Limit? = nil, finish: @escaping (Outcome, Sent) -> Void) {
        self.stream = stream
        self.events = events
        self.pacing = pacing
        self.batch = max(1, batch)
        self.fault = fault
        self.limit = limit
        self.finish = finish
        sent.transcript.events = events
    }

    func start() {
        stream.onClose = { [self] in done(.aborted(tokens: tokens)) }
        stream.onWritable = { [self] in if !waitingForTimer { pump() } }
        if let limit { deadline = monotonicNanos() &+ Self.nanos(limit.after) }
        // The prepared events are what this stream holds until its reader takes them: counted
        // in the server's output budget with the queued output.
        stream.holdState(bytes: events.storedBytes)
        if pacing.firstTokenMillis > 0 {
            stream.flush()  // the head goes now; the first event after the delay
            wait(.milliseconds(pacing.firstTokenMillis))
        } else {
            pump()
        }
    }

    private func wait(_ delay: Duration) {
        waitingForTimer = true
        // A wait that would run past the deadline ends there instead.
        let now = monotonicNanos()
        let left = deadline > now ? deadline - now : 0
        if Self.nanos(delay) >= left {
            stream.schedule(after: .nanoseconds(Int64(min(left, UInt64(Int64.max))))) { [self] in
                waitingForTimer = false
                expire()
            }
            return
        }
        let resume = { [self] in
            waitingForTimer = false
            pump(skipDelay: true)
        }
        if delay == .zero { stream.yield(resume) } else { stream.schedule(after: delay, resume) }
    }

    /// Unpaced streams send this many events at once (`--stream-batch`) and yield the loop after
    /// this many at least, so one long stream cannot hold up the other connections of its loop
    /// (and new requests get their first event early).
    static let defaultBatch = 16

    /// Events per send after the first `batch`: four times as many (1 stays 1: a send per event).
    private var laterBatch: Int { batch == 1 ? 1 : min(batch * 4, 4096) }

    private func pump(skipDelay: Bool = false) {
        if deadline != .max, monotonicNanos() >= deadline { return expire() }
        defer { stream.flush() }  // what this turn wrote leaves now, before the loop moves on
        marked = false
        var skip = skipDelay
        var written = 0
        // The first `batch` events are a turn and a send of their own, so the first event
        // arrives early (and other new streams get theirs); after that a send carries
        // `laterBatch` events (fewer sends: each one wakes the reader), and a turn at least 16.
        let first = next < batch
        let turn = first ? batch - next : max(laterBatch, Self.defaultBatch)
        let perSend = first ? turn : laterBatch
        while stream.isOpen, finish != nil {
            if written == turn {
                return wait(.zero)
            }
            if written > 0, written % perSend == 0 { stream.flush() }
            if let f = fault, next == f.after {
                switch f.kind {
                case .inBand(let frame):
                    if !marked { sent.transcript.mark() }
                    sent.transcript.trailer = frame
                    _ = write(frame)
                    stream.end()
                    return done(.failed)
                case .end:
                    stream.end()
                    return done(.failed)
                case .disconnect(let how):
                    let outcome = finishing()
                    stream.disconnect(how)
                    return outcome(.failed)
                case .stall(let pause):
                    fault = nil
                    return wait(pause)
                case .http2(let h, let skipped):
                    fault = nil
                    stream.flush()  // what was written goes first
                    guard stream.inject(h) else { skipped(); continue }
                    if h.endsStream { return finishing()(.failed) }
                    continue
                case .malformed:
                    fault = nil
                    if next < events.count {
                        let broken = Self.malformed(events[cursor].bytes)
                        sent.transcript.substitutes.append((next, broken))
                        note()
                        next += 1
                        events.advance(&cursor)
                        if !write(broken) { return }
                        continue
                    }
                }
            }
            guard next < events.count else {
                stream.end()
                return done(.completed)
            }
            // Unpaced, over HTTP/1.x: the events up to the next send, the yield or the fault
            // go out in one call.
            if pacing.tokensPerSecond <= 0 {
                var room = min(perSend - written % perSend, turn - written, events.count - next)
                if let f = fault, f.after >= next { room = min(room, f.after - next) }
                if room > 0, let writable = writeMany(room) {
                    written += room
                    if !writable { return }
                    continue
                }
            }
            let event = events[cursor]
            if !skip, event.tokens > 0, pacing.tokensPerSecond > 0 {
                return wait(pacing.delay(forTokens: event.tokens))
            }
            skip = false
            written += 1
            note()
            next += 1
            events.advance(&cursor)
            tokens += event.tokens
            if !write(event) { return }  // paused: onWritable resumes, or closed: onClose reports
        }
    }

    /// The time limit ran out: the limit's frame, then the end of the body (queued behind
    /// whatever a slow reader has not taken yet; `--write-timeout` still bounds that).
    private func expire() {
        guard finish != nil, stream.isOpen, let limit else { return }
        let frame = limit.frame(next)
        sent.transcript.mark()
        sent.transcript.trailer = frame
        _ = write(frame)
        stream.end()
        done(.expired(tokens: tokens))
    }

    /// Counts item `next` into the transcript, with a time mark on the turn's first item.
    @inline(__always) private func note() {
        if !marked {
            marked = true
            sent.transcript.mark()
        }
        sent.transcript.count += 1
    }

    private func write(_ bytes: [UInt8]) -> Bool {
        sent.events += 1
        sent.bytes += bytes.count
        return stream.write(bytes, flush: false)
    }

    private func write(_ event: StreamEvent) -> Bool {
        let n = event.count
        sent.events += 1
        sent.bytes += n
        return stream.write(count: n, flush: false) { event.render(into: &$0) }
    }

    /// Writes the next `n` events (all there, no fault among them) into the connection's output
    /// in one call, each its own chunk; nil over HTTP/2 (nothing written), else `isWritable`.
    /// The counts are updated before the output is flushed, so a client gone during the flush
    /// is billed for what was written.
    private func writeMany(_ n: Int) -> Bool? {
        stream.writeChunks(flush: false) { sink in
            if !marked {
                marked = true
                sent.transcript.mark()
            }
            var left = n
            while left > 0 {
                var m = 1, bytes = 0
                switch events.runs[cursor.run] {
                case .event(let e):
                    let none = UnsafeRawBufferPointer(start: nil, count: 0)
                    if let n = e.withOwnBytes({ own in sink.chunk(own, none, none); return own.count }) {
                        bytes = n
                    } else {
                        bytes = e.count
                        sink.chunk(count: bytes) { e.render(into: &$0) }
                    }
                    tokens += e.tokens
                case .pieces(let t, let bounds, let each):
                    m = min(bounds.count - 1 - cursor.k, left)
                    let (first, head, tail) = (cursor.k, t.head, t.tail)
                    bytes = t.withText { text in
                        var bytes = 0
                        for k in first..<(first + m) {
                            let (start, end) = (bounds[k], bounds[k + 1])
                            if t.isPlain(text, start, end) {
                                let piece = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(text)[Int(start)..<Int(end)])
                                sink.chunk(head, piece, tail)
                                bytes += head.count + piece.count + tail.count
                            } else {
                                let count = t.count(start, end)
                                sink.chunk(count: count) { t.render(start, end, into: &$0) }
                                bytes += count
                            }
                        }
                        return bytes
                    }
                    tokens += each * m
                }
                events.advance(&cursor, by: m)
                left -= m
                next += m
                sent.transcript.count += m
                sent.events += m
                sent.bytes += bytes
            }
        }
    }

    private func done(_ outcome: Outcome) {
        finishing()(outcome)
    }

    /// Detaches the stream's callbacks and returns the report, to call once the stream is gone.
    private func finishing() -> (Outcome) -> Void {
        guard let f = finish else { return { _ in } }
        finish = nil
        stream.onClose = nil
        stream.onWritable = nil
        let sent = sent
        return { f($0, sent) }
    }
}

import HTTPServer

/// Writes one encoded reply stream: the events in order, each flushed as its own chunk, paced
/// (a delay before the first event, then `tokens / tokens_per_second` before each event that
/// carries tokens) or, unpaced, as fast as the socket drains, pausing above the output high
/// watermark. Reports exactly once how the stream ended. Confined to the stream's loop thread.
final class StreamDriver {
    enum Outcome {
        /// Every event was written and the body ended.
        case completed
        /// The client went away (or the connection was cut) after `tokens` output tokens.
        case aborted(tokens: Int)
        /// A scripted in-band error broke the stream.
        case failedInBand
    }

    private let stream: ResponseStream
    private let events: [StreamEvent]
    private let pacing: Pacing
    /// The in-band error frame and the number of events written before it.
    private let failure: (frame: [UInt8], after: Int)?
    private var finish: ((Outcome) -> Void)?
    private var next = 0
    private var tokens = 0
    private var waitingForTimer = false

    init(stream: ResponseStream, events: [StreamEvent], pacing: Pacing, failure: (frame: [UInt8], after: Int)?,
         finish: @escaping (Outcome) -> Void) {
        self.stream = stream
        self.events = events
        self.pacing = pacing
        self.failure = failure
        self.finish = finish
    }

    func start() {
        stream.onClose = { [self] in done(.aborted(tokens: tokens)) }
        stream.onWritable = { [self] in if !waitingForTimer { pump() } }
        if pacing.firstTokenMillis > 0 {
            wait(.milliseconds(pacing.firstTokenMillis))
        } else {
            pump()
        }
    }

    private func wait(_ delay: Duration) {
        waitingForTimer = true
        stream.schedule(after: delay) { [self] in
            waitingForTimer = false
            pump(skipDelay: true)
        }
    }

    /// Unpaced streams yield the loop after this many events, so one long stream cannot hold up
    /// the other connections of its loop (and new requests get their first event early).
    static let burst = 16

    private func pump(skipDelay: Bool = false) {
        var skip = skipDelay
        var written = 0
        while stream.isOpen, finish != nil {
            if written == Self.burst {
                return wait(.zero)
            }
            if let failure, next == failure.after {
                stream.write(failure.frame)
                stream.end()
                return done(.failedInBand)
            }
            guard next < events.count else {
                stream.end()
                return done(.completed)
            }
            let event = events[next]
            if !skip, event.tokens > 0, pacing.tokensPerSecond > 0 {
                return wait(pacing.delay(forTokens: event.tokens))
            }
            skip = false
            written += 1
            next += 1
            tokens += event.tokens
            if !stream.write(event.bytes) { return }  // paused: onWritable resumes, or closed: onClose reports
        }
    }

    private func done(_ outcome: Outcome) {
        guard let f = finish else { return }
        finish = nil
        stream.onClose = nil
        stream.onWritable = nil
        f(outcome)
    }
}

/// The timing rules of one connection, as a pure value over a caller-supplied clock.
///
/// The connection shell reports what happened (bytes arrived, a response started or drained)
/// and asks, when its deadline passes, what to do. No sockets, no timers: tests drive it with a
/// fake clock. Times are nanoseconds on any monotonic clock.
public struct ConnectionStateMachine: Sendable, Equatable {
    public struct Timeouts: Sendable, Equatable {
        public var header: UInt64, body: UInt64, idle: UInt64, write: UInt64
        public init(header: UInt64, body: UInt64, idle: UInt64, write: UInt64) {
            self.header = header; self.body = body; self.idle = idle; self.write = write
        }
    }

    public enum Phase: Sendable, Equatable {
        /// Waiting for the first byte of a request.
        case idle
        /// Part of a request head has arrived; the header deadline runs from its first byte.
        case readingHead
        /// The head is complete and the body is arriving; the stall deadline moves with progress.
        case readingBody
        /// A handler owns the request (it may be waiting on a timer or streaming); no deadline.
        case processing
        /// Response bytes are queued the client is not taking; the write-stall deadline moves with progress.
        case writing
    }

    /// What the shell must do when the deadline passes.
    public enum TimeoutAction: Sendable, Equatable {
        case none
        /// Close quietly (idle keep-alive, or a stalled writer that can no longer be answered).
        case close
        /// Answer 408 Request Timeout, then close.
        case requestTimeout
    }

    public let timeouts: Timeouts
    public private(set) var phase: Phase = .idle
    /// When the current phase times out, or nil when it cannot.
    public private(set) var deadline: UInt64?
    private var responseOpen = false

    /// A new connection: it must start a request within the header timeout.
    public init(timeouts: Timeouts, now: UInt64) {
        self.timeouts = timeouts
        deadline = now &+ timeouts.header
    }

    /// Some bytes of a request head arrived but the head is incomplete.
    public mutating func headBytesArrived(now: UInt64) {
        if phase == .idle {
            phase = .readingHead
            deadline = now &+ timeouts.header
        }
    }

    /// The head is complete and body bytes are still expected; any progress moves the deadline.
    public mutating func bodyBytesArrived(now: UInt64) {
        phase = .readingBody
        deadline = now &+ timeouts.body
    }

    /// A complete request went to the handler.
    public mutating func requestDispatched() {
        phase = .processing
        responseOpen = true
        deadline = nil
    }

    /// Output is queued that the socket would not take; called again on each partial write.
    public mutating func outputBlocked(now: UInt64) {
        phase = .writing
        deadline = now &+ timeouts.write
    }

    /// All queued output was written. `responseComplete` says whether the response has ended.
    public mutating func outputDrained(now: UInt64, responseComplete: Bool) {
        if responseComplete { responseOpen = false }
        if responseOpen {
            phase = .processing
            deadline = nil
        } else {
            phase = .idle
            deadline = now &+ timeouts.idle
        }
    }

    /// The response ended while its bytes are still queued.
    public mutating func responseEnded() { responseOpen = false }

    /// Asks what to do at `now`; `.none` means the deadline has not passed (or there is none).
    public func timeoutAction(now: UInt64) -> TimeoutAction {
        guard let deadline, now >= deadline else { return .none }
        switch phase {
        case .idle, .writing: return .close
        case .readingHead, .readingBody: return .requestTimeout
        case .processing: return .none
        }
    }
}

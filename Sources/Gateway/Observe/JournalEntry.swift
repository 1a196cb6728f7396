import HTTPCore
import HTTPServer

/// One request as the journal keeps it (recorded when its response is complete): the summary
/// the filters and logs read, plus the full capture (the request as received, the response as
/// written) held by reference and rendered only when the journal is read.
struct JournalEntry: Sendable {
    /// The request id: the response's `X-Request-Id` (and Anthropic's `request-id`).
    var id: String
    /// Position in its session since the last reset (1-based): what exported plans select on.
    var seq: Int
    var session: String
    /// Virtual-clock Unix seconds at arrival.
    var time: Int
    var method: String
    var path: String
    var surface: String
    var keyID: String?
    var model: String?
    var stream: Bool
    /// The HTTP status sent; 0 when the connection was dropped without a response.
    var status: Int
    /// Which attempt of the same call this was (1 = first).
    var attempt: Int
    var faults: [AppliedFault]
    /// Stream events written (0 for complete responses).
    var events: Int
    /// Response body bytes written (for streams: event bytes).
    var bytes: Int
    var durationMillis: Double
    /// Why an outbound call (a task callback) got no response: refused, timed out, …
    var error: String?
    /// Which protocol carried the request (`http/1.1`, or `h2c` with its connection and stream).
    var transport: Transport = .http1
    /// The journal's own running number, for `since=` cursors.
    var index = 0
    /// The request as received (nil for connection-level and outbound entries). Its body may
    /// be cut to the journal's per-entry limit (`requestOmitted` says by how much).
    var request: Request?
    var requestOmitted = 0
    /// What was written back.
    var response = CapturedResponse.nothing
    /// Wall-clock Unix milliseconds when the entry was recorded (logs and the page).
    var wallMillis = 0
    /// Memory this entry keeps alive, as the journal's byte limit counts it (set on record).
    var cost = 0

    /// Fixed bytes counted per entry besides its strings and bodies (the struct, its arrays'
    /// headers, the fault list): a deliberate over-estimate.
    static let overhead = 512

    /// The memory the entry holds: an upper bound (shared, pre-encoded bodies count in full).
    func heldBytes() -> Int {
        var n = Self.overhead + id.utf8.count + path.utf8.count + session.utf8.count + faults.count * 160
        if let r = request { n += r.heldBytes }
        n += response.heldBytes  // a stream's transcript counts the reply text its events share
        return n
    }
}

extension Request {
    /// Bytes the request's buffers occupy.
    var heldBytes: Int { headBytes + body.count }
}

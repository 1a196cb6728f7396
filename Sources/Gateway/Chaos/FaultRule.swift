import Glibc
import HTTPCore
import HTTPServer

/// One fault-injection rule: what goes wrong (`action` and its settings), to which requests
/// (the selectors) and when (the schedule). Every channel speaks the same grammar: `faults.json`,
/// `--fault`, the `X-Mock-Fault` header, `POST /__mock/faults` and the plan exported from the
/// journal (README "Faults"). Example: `429 retry_after=2 model=gpt-* attempt=first`.
struct FaultRule: Sendable {
    enum Action: String, Sendable, CaseIterable {
        /// An HTTP error in the surface's envelope; on a stream with `after_events`, the
        /// surface's in-band error instead.
        case status
        /// A delay before the response head (the `latency` setting).
        case latency
        /// A stream pauses for `for` after `after_events` events, then goes on; before the head
        /// it is a delay like `latency`.
        case stall
        /// A stream's body ends cleanly after `after_events` events, without the terminal
        /// events (no stop reason, no `[DONE]`).
        case end
        /// The connection closes (FIN): before the head (an empty reply), or mid-stream.
        case cut
        /// The connection is reset (RST): on accept, before the head, or mid-stream.
        case reset
        /// Random bytes that are not HTTP, then close.
        case garbage
        /// A stream: event `after_events` is cut in half (invalid JSON) and the stream goes on.
        /// A complete response: a 200 whose JSON body is cut in half.
        case malformed
        /// A stream is paced slowly (`tps`, `ttft`).
        case drip
        /// An async task (`surface=tasks`, on submit) fails at a point of its timeline (`at`).
        case fail
        /// HTTP/2: `RST_STREAM` with `code` on the request's stream, before the head or after
        /// `after_events`. Skipped (journaled as such) on HTTP/1.1, like every HTTP/2 fault.
        case rstStream = "rst_stream"
        /// HTTP/2: `GOAWAY` with `code` and `last_stream` on the request's connection.
        case goaway
        /// HTTP/2: the connection grants no request-body window for `for`.
        case windowStall = "window_stall"
        /// HTTP/2: the stream sends no DATA for `for` although its window is open.
        case dataStall = "data_stall"
        /// HTTP/2: a SETTINGS frame with `max_streams` and/or `window` to the connection.
        case h2Settings = "h2_settings"
    }

    /// When in a request's life the rule acts.
    enum Stage: String, Sendable {
        /// Before any byte is read from a new connection (`on=accept`).
        case accept
        /// Before the response head.
        case delay, response
        /// While a stream is being written.
        case stream
    }

    enum Attempt: Sendable, Equatable {
        case first, retry
        case number(Int)
    }

    var id = ""
    /// `fixture`, `cli`, `runtime` or `header`.
    var origin = "runtime"
    var action: Action = .status
    var status = 500
    var message: String?
    var code: String?
    /// `Retry-After` seconds; nil for none.
    var retryAfter: Int?
    var retryAfterMillis: Int?
    var shouldRetry: Bool?
    var latency: Delay?
    var stallMillis = 0
    var afterEvents: Int?
    var tokensPerSecond: Double = 2
    var firstTokenMillis = 0
    var garbageBytes = 64
    var onAccept = false
    /// `fail`: the progress percent the task fails at; -1 = when it leaves the queue.
    var failAt = 50
    /// `rst_stream`, `goaway`: the HTTP/2 error code (`code=`); nil for the action's default.
    var h2Code: HTTP2ErrorCode?
    /// `goaway`: the last stream id it names (`last_stream=`); nil for the request's own stream
    /// (before the head: the one before it).
    var lastStream: Int?
    /// `h2_settings`: SETTINGS_MAX_CONCURRENT_STREAMS and SETTINGS_INITIAL_WINDOW_SIZE.
    var maxStreams: Int?
    var window: Int?

    // Selectors: all given ones must hold.
    var surfaces: [String] = []
    var paths: [String] = []
    var models: [String] = []
    var keys: [String] = []
    var methods: [String] = []
    /// Only this session's requests; "" (written `-`) selects requests without a session.
    var session: String?
    var attempt: Attempt?
    var stream: Bool?
    /// The request's position in its session (1-based, since the last reset): exported plans.
    var seq: Int?
    /// The connection's position since the last reset (1-based), for `on=accept` plans.
    var connection: Int?

    // Schedule, over the requests the selectors matched (n = 1, 2, …): all given ones must hold.
    var first: Int?
    var every: Int?
    var after: Int?
    var from: Int?
    var until: Int?
    var probability: Double?
    var seed: UInt64?

    var stage: Stage {
        if onAccept { return .accept }
        switch action {
        case .latency: return .delay
        case .stall: return afterEvents == nil ? .delay : .stream
        case .end, .drip, .fail: return .stream
        case .status, .cut, .reset, .garbage, .malformed, .rstStream, .goaway, .dataStall:
            return afterEvents == nil ? .response : .stream
        case .windowStall, .h2Settings: return .response
        }
    }

    /// The stage for one request: `malformed` without `after_events` breaks event 0 of a
    /// stream, and the body of a complete response.
    func stage(streaming: Bool) -> Stage {
        action == .malformed && streaming && !onAccept ? .stream : stage
    }

    /// Whether the rule can act on a request that streams (`stream`) or not.
    func applies(streaming: Bool) -> Bool {
        switch action {
        case .end, .drip: return streaming
        case .malformed, .fail: return true
        default: return afterEvents == nil || streaming
        }
    }

    /// The action and its settings, without selectors or schedule: what the plan replays.
    var actionText: String {
        var parts: [String] = []
        switch action {
        case .status: parts.append(String(status))
        case .latency: parts.append("latency")
        default: parts.append(action.rawValue)
        }
        if let latency { parts.append(action == .latency ? latency.text : "latency=\(latency.text)") }
        if action == .stall || action == .windowStall || action == .dataStall { parts.append("for=\(Delay.millisText(stallMillis))") }
        if action == .fail { parts.append("at=\(failAt < 0 ? "pending" : "\(failAt)%")") }
        if action == .status || action == .fail || (afterEvents != nil && ![.end, .rstStream, .goaway, .dataStall].contains(action)) {
            if let retryAfter { parts.append("retry_after=\(retryAfter)") }
            if let retryAfterMillis { parts.append("retry_after_ms=\(retryAfterMillis)") }
            if let shouldRetry { parts.append("should_retry=\(shouldRetry)") }
            if let code { parts.append("code=\(Self.quoted(code))") }
            if let message { parts.append("message=\(Self.quoted(message))") }
        }
        if action == .drip {
            let whole = tokensPerSecond.rounded() == tokensPerSecond && tokensPerSecond < 1e9
            parts.append("tps=\(whole ? String(Int(tokensPerSecond)) : JSONWriter.format(tokensPerSecond))")
            if firstTokenMillis > 0 { parts.append("ttft=\(Delay.millisText(firstTokenMillis))") }
        }
        if action == .garbage { parts.append("bytes=\(garbageBytes)") }
        parts += http2ActionParts
        if let afterEvents { parts.append("after_events=\(afterEvents)") }
        if onAccept { parts.append("on=accept") }
        return parts.joined(separator: " ")
    }

    /// The whole rule in the grammar (without its id), as listed and as parsed back.
    var text: String {
        var parts = [actionText]
        func add(_ name: String, _ values: [String]) {
            if !values.isEmpty { parts.append("\(name)=\(Self.quoted(values.joined(separator: "|")))") }
        }
        add("surface", surfaces); add("path", paths); add("model", models); add("key", keys); add("method", methods)
        if let session { parts.append("session=\(session.isEmpty ? "-" : Self.quoted(session))") }
        switch attempt {
        case .first?: parts.append("attempt=first")
        case .retry?: parts.append("attempt=retry")
        case .number(let n)?: parts.append("attempt=\(n)")
        case nil: break
        }
        if let stream { parts.append("stream=\(stream)") }
        if let seq { parts.append("seq=\(seq)") }
        if let connection { parts.append("connection=\(connection)") }
        if let first { parts.append("first=\(first)") }
        if let every { parts.append("every=\(every)") }
        if let after { parts.append("after=\(after)") }
        if let from { parts.append("from=\(from)") }
        if let until { parts.append("until=\(until)") }
        if let probability { parts.append("probability=\(JSONWriter.format(probability))") }
        if let seed { parts.append("seed=\(seed)") }
        return parts.joined(separator: " ")
    }

    static func quoted(_ s: String) -> String {
        let special: Set<UInt8> = [0x22, 0x3B, 0x2C, 0x28, 0x29, 0x5C]  // " ; , ( ) \
        let plain = !s.isEmpty && s.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && !special.contains($0) }
        if plain { return s }
        // By scalar, not Character: a backslash followed by a combining mark is one Character,
        // which a Character comparison would not see as a backslash (found by the fault-grammar fuzzer).
        var out = "\""
        for u in s.unicodeScalars {
            if u == "\"" || u == "\\" { out.unicodeScalars.append("\\") }
            out.unicodeScalars.append(u)
        }
        return out + "\""
    }

    /// The canned message of a status fault.
    var statusMessage: String {
        if let message { return message }
        let what: String = switch status {
        case 400: "bad request"
        case 401: "invalid API key"
        case 402: "insufficient balance"
        case 403: "permission denied"
        case 404: "not found"
        case 408: "request timeout"
        case 409: "conflict"
        case 413: "request too large"
        case 422: "unprocessable entity"
        case 429: "rate limit exceeded"
        case 451: "unavailable for legal reasons: the prompt was blocked"
        case 500: "internal server error"
        case 502: "bad gateway"
        case 503: "service unavailable"
        case 504: "gateway timeout"
        case 529: "overloaded"
        default: "error \(status)"
        }
        return "\(what) (injected by bytespike-mock fault rule \(id))"
    }

    /// OpenAI-envelope `code` of a status fault.
    var statusCode: String {
        if let code { return code }
        return switch status {
        case 401: "invalid_api_key"
        case 402: "insufficient_balance"
        case 403: "permission_denied"
        case 404: "not_found"
        case 408: "request_timeout"
        case 409: "conflict"
        case 413: "request_too_large"
        case 429: "rate_limit_exceeded"
        case 451: "content_blocked"
        case 502: "bad_gateway"
        case 503: "service_unavailable"
        case 504: "gateway_timeout"
        case 529: "overloaded"
        case 500...: "internal_error"
        default: "invalid_request"
        }
    }

    /// The error a status fault answers with, headers included.
    var error: GatewayError {
        var e = GatewayError(status: status, message: statusMessage, code: statusCode)
        if let retryAfter { e.headers.add("Retry-After", String(retryAfter)) }
        if let retryAfterMillis { e.headers.add("retry-after-ms", String(retryAfterMillis)) }
        if let shouldRetry { e.headers.add("x-should-retry", shouldRetry ? "true" : "false") }
        return e
    }
}

/// A delay: fixed, or drawn from a distribution with the rule's seed.
enum Delay: Sendable, Equatable {
    case fixed(Int)
    /// Uniform between two bounds (milliseconds).
    case uniform(Int, Int)
    /// Normal with mean and standard deviation (milliseconds), clamped to 0...600000.
    case normal(Int, Int)
    /// Log-normal with median (milliseconds) and sigma, capped at 600000.
    case lognormal(Int, Double)

    /// The delay in milliseconds for two uniform draws in [0, 1).
    func sample(_ u1: Double, _ u2: Double) -> Int {
        switch self {
        case .fixed(let ms): return ms
        case .uniform(let a, let b): return a + Int((Double(b - a) * u1).rounded(.down))
        case .normal(let mean, let sd):
            // Clamped to [0, 10 min] like every other delay (a wide sd can draw past it).
            return Int(min(600_000, max(0, (Double(mean) + Double(sd) * Self.gaussian(u1, u2)).rounded())))
        case .lognormal(let median, let sigma):
            // Capped while still a Double: an extreme draw would overflow Int.
            return Int(min(600_000, (Double(median) * Self.exp(sigma * Self.gaussian(u1, u2))).rounded()))
        }
    }

    var isRandom: Bool { if case .fixed = self { false } else { true } }

    var text: String {
        switch self {
        case .fixed(let ms): Self.millisText(ms)
        case .uniform(let a, let b): "\(Self.millisText(a))..\(Self.millisText(b))"
        case .normal(let m, let s): "normal(\(Self.millisText(m)),\(Self.millisText(s)))"
        case .lognormal(let m, let s): "lognormal(\(Self.millisText(m)),\(JSONWriter.format(s)))"
        }
    }

    static func millisText(_ ms: Int) -> String { ms % 1000 == 0 && ms > 0 ? "\(ms / 1000)s" : "\(ms)ms" }

    /// Box–Muller.
    private static func gaussian(_ u1: Double, _ u2: Double) -> Double {
        let r = (-2 * Glibc.log(max(u1, 1e-12))).squareRoot()
        return r * Glibc.cos(2 * Double.pi * u2)
    }

    private static func exp(_ x: Double) -> Double { Glibc.exp(x) }
}

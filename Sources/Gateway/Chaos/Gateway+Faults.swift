import Glibc
import HTTPCore
import HTTPServer

/// Options of the gateway itself (the server's are in `ServerConfiguration`).
public struct GatewayOptions: Sendable {
    /// `--fault` rules, in the fault grammar; tried after runtime rules, before `faults.json`.
    public var faults: [String] = []
    /// `--admin-token`: when set, control calls need `Authorization: Bearer TOKEN`
    /// (or `X-Mock-Admin-Token: TOKEN`); `GET /__mock/health` stays open.
    public var adminToken: String?
    /// `--journal-size`: requests the journal keeps (oldest dropped first).
    public var journalSize = 10_000
    /// `--journal-bytes`: memory the journal's entries may hold together (oldest dropped first).
    public var journalBytes = 64 << 20
    /// `--journal-body-bytes`: most bytes of one body an entry keeps (the rest is counted, not kept).
    public var journalBodyBytes = 1 << 20
    /// `--log`: the request log on stderr (`text`, `json`, `off`). Off for the library; the
    /// command line turns it on.
    public var log = LogFormat.off
    /// `--ledger-size`: billed requests the ledger lists (oldest dropped first; spend totals keep them).
    public var ledgerSize = 1_000_000
    /// `--stream-batch`: events an unpaced text stream hands to the kernel in one send.
    public var streamBatch = StreamDriver.defaultBatch
    /// `--max-stream-seconds`: how long a text stream may run before the gateway ends it with an
    /// in-band error and frees its concurrency slot (1 to 86400).
    public var maxStreamSeconds = 600
    /// The range `--max-stream-seconds` accepts: one second to one day.
    public static let maxStreamSecondsRange = 1...86_400
    /// `--unknown-fields`: text and image-generation request fields that no table in
    /// `RequestFields` lists are the provider's 400 (`reject`, the default) or accepted without
    /// effect (`ignore`); the `X-Mock-Unknown-Fields` request header overrides it per request.
    public var unknownFields = UnknownFieldPolicy.reject
    /// `--time-scale`, `--task-heartbeat`, callback secret and retries.
    public var tasks = TaskOptions()

    public init() {}
}

/// Checks a fault spec (the `--fault` flag): nil when valid, else what is wrong.
public func faultSpecProblem(_ spec: String) -> String? {
    do throws(FaultSpecError) {
        _ = try FaultRule.parse(spec, origin: "cli", now: 0)
        return nil
    } catch {
        return error.message
    }
}

/// Monotonic nanoseconds (durations in the journal).
func monotonicNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
}

/// Wall-clock Unix milliseconds (log lines and the page's times).
func wallClockMillis() -> Int {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return ts.tv_sec * 1000 + ts.tv_nsec / 1_000_000
}

extension Gateway {
    /// Numbers a gateway request on arrival (session position and attempt) and stamps its time.
    func arrive(_ ex: Exchange) {
        let r = ex.request
        let n = faults.arrive(session: ex.session, method: r.method.rawValue, path: ex.path, body: r.body,
                              retryCount: r.header("x-stainless-retry-count"), idempotencyKey: r.header("idempotency-key"))
        ex.seq = n.seq
        ex.attempt = n.attempt
        ex.time = clock.now
    }

    /// Notes the request's model and stream flag; true when no fault rule or fault header can
    /// touch it, so the caller may go straight on (without the escaping continuation
    /// `withFaults` takes, which costs an allocation and a retain of everything it captures).
    func faultFree(_ ex: Exchange, model: String?, stream: Bool) -> Bool {
        ex.model = model
        ex.stream = stream
        return faults.isEmpty && !ex.request.hasHeader("x-mock-fault") && !ex.request.hasHeader("x-mock-latency")
    }

    /// Decides the request's faults and acts on those before the head: a delay, then a status
    /// error, a dropped connection, or garbage. Otherwise `body` continues the pipeline with the
    /// stream fault, if any (acted on by the stream driver).
    func withFaults(_ ex: Exchange, model: String?, stream: Bool, _ responder: Responder,
                    _ body: @escaping (Exchange, FaultRule?) -> Void) {
        if faultFree(ex, model: model, stream: stream) { return body(ex, nil) }
        var header: [FaultRule] = []
        let request = ex.request
        if let h = request.header("x-mock-fault") {
            do throws(FaultSpecError) {
                header = try FaultRule.parseList(h, origin: "header", now: clock.now)
            } catch {
                return fail(.badRequest("X-Mock-Fault: \(error.message)", code: "invalid_fault", param: "X-Mock-Fault"), ex, responder)
            }
        }
        if let l = request.header("x-mock-latency") {
            do throws(FaultSpecError) {
                header.append(try FaultRule.parse("latency \(l)", origin: "header", now: clock.now))
            } catch {
                return fail(.badRequest("X-Mock-Latency: \(error.message)", code: "invalid_fault", param: "X-Mock-Latency"), ex, responder)
            }
        }
        for i in header.indices { header[i].id = "header-\(i + 1)" }
        let ctx = FaultContext(session: ex.session, surface: ex.family, method: request.method.rawValue, path: ex.path,
                               model: model, keyID: ex.caller?.key.id, secret: ex.caller?.key.secret, stream: stream,
                               attempt: ex.attempt, seq: ex.seq, now: clock.now)
        let d = faults.decide(ctx, header: header)
        ex.faults = d.applied
        let final = ex  // captured by the delayed continuation
        let go = { [self] in
            guard let r = d.response else { return body(final, d.stream) }
            switch r.action {
            case .status:
                fail(r.error, final, responder)
            case .cut, .reset:
                responder.disconnect(r.action.disconnect)
                record(final, status: 0, bytes: 0)
            case .garbage:
                let bytes = Self.garbage(count: r.garbageBytes, seed: ReplyEngine.hash(seed, final.requestID))
                responder.disconnect(.close, after: bytes)
                record(final, status: 0, bytes: bytes.count, response: CapturedResponse(head: nil, body: .raw(bytes)))
            case .malformed:
                final.truncateBody = true
                body(final, nil)
            case .latency, .stall, .end, .drip, .fail:
                body(final, d.stream)
            case .rstStream, .goaway:
                // The stream is reset (or refused by the GOAWAY) instead of answered.
                if let h = r.http2Fault, responder.inject(h) {
                    if case .goaway(.noError, let last) = h, let last, let s = final.transport.streamID, Int(last) >= s {
                        return body(final, d.stream)  // a graceful GOAWAY that still covers this stream
                    }
                    return record(final, status: 0, bytes: 0)
                }
                final.noteHTTP2Skipped(r)
                body(final, d.stream)
            case .windowStall, .dataStall, .h2Settings:
                if let h = r.http2Fault, !responder.inject(h) { final.noteHTTP2Skipped(r) }
                body(final, d.stream)
            }
        }
        if d.delayMillis > 0 {
            // A client that goes away during the delay gets nothing: journaled as status 0 (its
            // faults listed), not billed, like a `cut`.
            responder.schedule(after: .milliseconds(d.delayMillis), go) { [self] in record(final, status: 0, bytes: 0) }
        } else {
            go()
        }
    }

    /// Deterministic bytes that are not an HTTP response (the first is never `H`).
    static func garbage(count: Int, seed: UInt64) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count)
        var i: UInt64 = 0
        while out.count < count {
            var z = mix64(seed &+ i &* golden64)
            for _ in 0..<8 where out.count < count {
                out.append(UInt8(truncatingIfNeeded: z))
                z >>= 8
            }
            i += 1
        }
        if out.first == 0x48 { out[0] = 0x00 }
        return out
    }

    /// Writes the journal entry of a finished gateway request: its summary, the request as
    /// received and `response`, what was written (nothing, by default: a dropped connection).
    func record(_ ex: Exchange, status: Int, events: Int = 0, bytes: Int, response: CapturedResponse = .nothing) {
        let ms = Double(monotonicNanos() &- ex.started) / 1_000_000
        journal.record(JournalEntry(id: ex.requestID, seq: ex.seq, session: ex.session, time: ex.time,
                                    method: ex.request.method.rawValue, path: ex.path, surface: ex.family,
                                    keyID: ex.caller?.key.id, model: ex.model, stream: ex.stream, status: status,
                                    attempt: ex.attempt, faults: ex.faults, events: events, bytes: bytes,
                                    durationMillis: (ms * 1000).rounded() / 1000, transport: ex.transport,
                                    request: ex.request, response: response, wallMillis: wallClockMillis()))
    }

    /// The server's accept hook: an `on=accept` rule drops the new connection before any byte.
    /// Every connection is numbered, rules or not, so `connection=N` in a plan means the same
    /// connection on replay.
    public func acceptFault(peer: String) -> Disconnect? {
        guard let (rule, applied) = faults.acceptFault(now: clock.now) else { return nil }
        journal.record(JournalEntry(id: ids.next(), seq: 0, session: "", time: clock.now, method: "", path: "",
                                    surface: "connection", keyID: nil, model: nil, stream: false, status: 0, attempt: 1,
                                    faults: [applied], events: 0, bytes: 0, durationMillis: 0))
        return rule.action.disconnect
    }
}

extension Endpoint {
    /// The family faults select with `surface=` and the journal reports.
    var family: String {
        switch self {
        case .messages, .countTokens: "messages"
        case .chatCompletions: "chat"
        case .responses, .getResponse, .deleteResponse: "responses"
        case .geminiAction: "gemini"
        case .listModels, .getModel: "models"
        case .usageRows, .balance, .meAccount, .meUsage, .billingTransactions: "account"
        case .groupsAvailable, .listKeys, .createKey, .getKey, .updateKey, .revokeKey, .rotateKey, .revealKey: "keys"
        case .imageGenerations, .imageEdits: "images"
        case .taskSubmit, .taskQuery, .taskCancel, .taskStream, .videoSubmit, .videoTask: "tasks"
        case .file: "files"
        default: "control"
        }
    }

    /// The model a path names (`GET /v1/models/{model}`), for `model=` selectors.
    var pathModel: String? {
        if case .getModel(let m) = self { return m }
        return nil
    }
}

import HTTPCore
import HTTPServer

/// What a request log line says, taken from a journal entry on the answering thread: only the
/// fields the line shows (most are short inline strings, so taking it retains little), then
/// rendered on the log thread straight into its output bytes (no intermediate strings).
///
/// Text: `12:01:33.412 POST /v1/chat/completions 200 chat model=gpt-5-4-nano key=key_default 3.215ms events=50 faults=r1:429`
/// (`model`, `key`, `events` (streams), `faults`, `session` and `h2c=CONNECTION/STREAM` (HTTP/2)
/// only when there are some; UTC).
/// JSON: `{"time","id","method","path","surface","model","key","status","stream","events","duration_ms","faults","session","protocol"}`.
///
/// Concurrency: stateless.
struct LogLine: Sendable {
    var wallMillis: Int
    var id: String
    var session: String
    var method: String
    var path: String
    var surface: String
    var model: String?
    var keyID: String?
    var status: Int
    var stream: Bool
    var events: Int
    var durationMillis: Double
    var faults: [AppliedFault]
    var transport: Transport

    init(_ e: borrowing JournalEntry) {
        wallMillis = e.wallMillis
        id = e.id
        session = e.session
        method = e.method
        path = e.path
        surface = e.surface
        model = e.model
        keyID = e.keyID
        status = e.status
        stream = e.stream
        events = e.events
        durationMillis = e.durationMillis
        faults = e.faults
        transport = e.transport
    }

    static func write(_ e: LogLine, _ format: LogFormat, to out: inout [UInt8]) {
        switch format {
        case .off: return
        case .text: text(e, to: &out)
        case .json: json(e, to: &out)
        }
    }

    /// `HH:MM:SS.mmm` of a Unix millisecond time (UTC).
    static func clock(_ wallMillis: Int, to out: inout [UInt8]) {
        let ms = ((wallMillis % 86_400_000) + 86_400_000) % 86_400_000
        func digits(_ n: Int, _ width: Int) {
            var p = 1
            for _ in 1..<width { p *= 10 }
            var v = n
            while p > 0 { out.append(UInt8(48 + v / p)); v %= p; p /= 10 }
        }
        digits(ms / 3_600_000, 2); out.append(0x3A)
        digits(ms / 60_000 % 60, 2); out.append(0x3A)
        digits(ms / 1000 % 60, 2); out.append(0x2E)
        digits(ms % 1000, 3)
    }

    /// Appends a string's UTF-8 bytes in one copy (small strings are unpacked on the stack).
    @inline(__always) private static func put(_ s: String, _ out: inout [UInt8]) {
        var s = s
        s.withUTF8 { out.append(contentsOf: $0) }
    }

    private static func text(_ e: LogLine, to out: inout [UInt8]) {
        clock(e.wallMillis, to: &out)
        out.append(0x20); put(e.method.isEmpty ? "-" : e.method, &out)
        out.append(0x20); put(e.path.isEmpty ? "-" : e.path, &out)
        out.append(0x20); withDecimalDigits(e.status) { out.append(contentsOf: $0) }
        out.append(0x20); put(e.surface, &out)
        if let m = e.model { put(" model=", &out); put(m, &out) }
        if let k = e.keyID { put(" key=", &out); put(k, &out) }
        out.append(0x20); appendFixed(Int((e.durationMillis * 1000).rounded()), decimals: 3, to: &out); put("ms", &out)
        if e.stream { put(" events=", &out); withDecimalDigits(e.events) { out.append(contentsOf: $0) } }
        if !e.faults.isEmpty {
            put(" faults=", &out)
            for (i, f) in e.faults.enumerated() {
                if i > 0 { out.append(0x2C) }
                put(f.ruleID, &out); out.append(0x3A); put(f.action, &out)
            }
        }
        if !e.session.isEmpty { put(" session=", &out); put(e.session, &out) }
        if case .h2c(let connection, let stream) = e.transport {
            put(" h2c=", &out)
            withDecimalDigits(Int(truncatingIfNeeded: connection)) { out.append(contentsOf: $0) }
            out.append(0x2F)
            withDecimalDigits(Int(stream)) { out.append(contentsOf: $0) }
        }
        out.append(0x0A)
    }

    private static func json(_ e: LogLine, to out: inout [UInt8]) {
        var time: [UInt8] = []
        put(String(Timestamp.format(e.wallMillis / 1000).dropLast()), &time)  // …T12:01:33Z without the Z
        time.append(0x2E)
        withDecimalDigits(1000 + e.wallMillis % 1000) { time.append(contentsOf: UnsafeBufferPointer(rebasing: $0.dropFirst())) }
        time.append(0x5A)
        var w = JSONWriter(capacity: 320)
        w.objectStart()
        w.key("time"); w.string(String(decoding: time, as: UTF8.self))
        w.key("id"); w.string(e.id)
        w.key("method"); w.string(e.method)
        w.key("path"); w.string(e.path)
        w.key("surface"); w.string(e.surface)
        w.key("model"); w.optionalString(e.model)
        w.key("key"); w.optionalString(e.keyID)
        w.key("status"); w.int(e.status)
        w.key("stream"); w.bool(e.stream)
        w.key("events"); w.int(e.events)
        w.key("duration_ms"); w.fixed(Int((e.durationMillis * 1000).rounded()), decimals: 3)
        w.key("faults"); w.arrayStart()
        for f in e.faults {
            w.objectStart(); w.key("rule"); w.string(f.ruleID); w.key("action"); w.string(f.action); w.objectEnd()
        }
        w.arrayEnd()
        w.key("session"); w.optionalString(e.session.isEmpty ? nil : e.session)
        w.key("protocol"); w.string(e.transport.name)
        w.objectEnd()
        w.withBytes { out.append(contentsOf: $0) }
        out.append(0x0A)
    }
}

import HTTPCore

/// One request log line as values (what the line says), rendered as text or JSON last.
///
/// Text: `12:01:33.412 POST /v1/chat/completions 200 chat model=gpt-5-4-nano key=key_default 3.2ms events=50 faults=r1:429`
/// (`model`, `key`, `events` and `faults` only when there are some; time is UTC).
///
/// Concurrency: a value.
struct LogLine {
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
    var faults: [(rule: String, action: String)]

    init(_ e: JournalEntry) {
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
        faults = e.faults.map { ($0.ruleID, $0.action) }
    }

    /// `HH:MM:SS.mmm` (UTC).
    var clock: String {
        let ms = ((wallMillis % 86_400_000) + 86_400_000) % 86_400_000
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let milli = ms % 1000
        return "\(two(ms / 3_600_000)):\(two(ms / 60_000 % 60)):\(two(ms / 1000 % 60)).\(milli < 10 ? "00" : milli < 100 ? "0" : "")\(milli)"
    }

    func write(_ format: LogFormat, to out: inout [UInt8]) {
        switch format {
        case .off: return
        case .text:
            var s = clock + " " + (method.isEmpty ? "-" : method) + " " + (path.isEmpty ? "-" : path) + " " + String(status) + " " + surface
            if let model { s += " model=" + model }
            if let keyID { s += " key=" + keyID }
            s += " " + JSONWriter.format(durationMillis) + "ms"
            if stream { s += " events=" + String(events) }
            if !faults.isEmpty { s += " faults=" + faults.map { $0.rule + ":" + $0.action }.joined(separator: ",") }
            if !session.isEmpty { s += " session=" + session }
            out += Array(s.utf8)
            out.append(0x0A)
        case .json:
            var w = JSONWriter(capacity: 256)
            w.objectStart()
            w.key("time"); w.string(Timestamp.format(wallMillis / 1000).replacingOccurrences("Z", ".\(clock.suffix(3))Z"))
            w.key("id"); w.string(id)
            w.key("method"); w.string(method)
            w.key("path"); w.string(path)
            w.key("surface"); w.string(surface)
            w.key("model"); w.optionalString(model)
            w.key("key"); w.optionalString(keyID)
            w.key("status"); w.int(status)
            w.key("stream"); w.bool(stream)
            w.key("events"); w.int(events)
            w.key("duration_ms"); w.raw(Array(JSONWriter.format(durationMillis).utf8))
            w.key("faults"); w.arrayStart()
            for f in faults {
                w.objectStart(); w.key("rule"); w.string(f.rule); w.key("action"); w.string(f.action); w.objectEnd()
            }
            w.arrayEnd()
            w.key("session"); w.optionalString(session.isEmpty ? nil : session)
            w.objectEnd()
            out += w.bytes
            out.append(0x0A)
        }
    }
}

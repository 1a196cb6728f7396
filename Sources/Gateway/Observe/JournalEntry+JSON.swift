import HTTPCore
import HTTPServer

/// Rendering an entry for `GET /__mock/journal…` and verify: the summary fields, then (unless
/// `capture` is off) the request and the response as captured, secrets masked. All the work of
/// capture happens here, when the journal is read: parsing bodies, splitting stream events.
extension JournalEntry {
    func write(to w: inout JSONWriter, capture: Bool) {
        w.objectStart()
        w.key("id"); w.string(id)
        w.key("index"); w.int(index)
        w.key("seq"); w.int(seq)
        w.key("session"); w.optionalString(session.isEmpty ? nil : session)
        w.key("time"); w.int(time)
        w.key("method"); w.string(method)
        w.key("path"); w.string(path)
        w.key("surface"); w.string(surface)
        w.key("key"); w.optionalString(keyID)
        w.key("model"); w.optionalString(model)
        w.key("stream"); w.bool(stream)
        w.key("protocol"); w.string(transport.name)
        if let c = transport.connectionNumber, let s = transport.streamID {
            w.key("h2_connection"); w.int(c)
            w.key("h2_stream"); w.int(s)
        }
        w.key("status"); w.int(status)
        w.key("attempt"); w.int(attempt)
        w.key("events"); w.int(events)
        w.key("bytes"); w.int(bytes)
        w.key("duration_ms"); w.raw(Array(JSONWriter.format(durationMillis).utf8))
        w.key("recorded_at_ms"); w.int(wallMillis)
        if let error { w.key("error"); w.string(error) }
        w.key("faults"); w.arrayStart()
        for f in faults {
            w.objectStart()
            w.key("rule"); w.string(f.ruleID)
            w.key("origin"); w.string(f.origin)
            w.key("stage"); w.string(f.stage.rawValue)
            w.key("action"); w.string(f.action)
            w.key("reason"); w.string(f.reason)
            w.key("n"); w.int(f.n)
            if let s = f.seed { w.key("seed"); w.string(String(s)) }
            if let r = f.roll { w.key("roll"); w.raw(Array(JSONWriter.format(r).utf8)) }
            if let l = f.latencyMillis { w.key("latency_ms"); w.int(l) }
            w.objectEnd()
        }
        w.arrayEnd()
        if capture {
            w.key("request"); writeRequest(to: &w)
            w.key("response"); writeResponse(to: &w)
        }
        w.objectEnd()
    }

    private func writeRequest(to w: inout JSONWriter) {
        guard let r = request else { return w.null() }
        w.objectStart()
        w.key("target"); w.string(path + (r.query.map { "?" + Redactor.query($0, keyID: keyID) } ?? ""))
        w.key("query"); w.objectStart()
        for item in Query(r.query).items {
            w.key(escaping: item.name); w.string(item.name == "key" ? Redactor.mask(item.value, keyID: keyID) : item.value)
        }
        w.objectEnd()
        w.key("headers"); Self.writeHeaders(r.headers.map { ($0.name, $0.value) }, keyID: keyID, to: &w)
        Self.writeBody(r.body, contentType: r.header("content-type"), omitted: requestOmitted, to: &w)
        w.objectEnd()
    }

    private func writeResponse(to w: inout JSONWriter) {
        w.objectStart()
        w.key("status"); w.int(status)
        let written: String = switch response.body {
        case .raw: "raw"
        case .none where response.head == nil: "nothing"
        default: "http"
        }
        w.key("written"); w.string(written)
        w.key("headers"); Self.writeHeaders(response.headers, keyID: keyID, to: &w)
        let contentType = response.head?.contentType
        switch response.body {
        case .none:
            w.key("body"); w.null()
        case .complete(let b), .raw(let b):
            Self.writeBody(b, contentType: written == "raw" ? nil : contentType, omitted: response.omittedBytes, to: &w)
        case .stream(let t):
            w.key("content_type"); w.optionalString(contentType)
            w.key("events"); w.arrayStart()
            for item in t.items() { Self.writeEvent(item.bytes, millis: item.millis, to: &w) }
            w.arrayEnd()
        }
        w.objectEnd()
    }

    /// Headers as an object of lowercase names (repeated names joined with `, `), secrets masked.
    static func writeHeaders(_ fields: [(name: String, value: String)], keyID: String?, to w: inout JSONWriter) {
        var merged: [(String, String)] = []
        for (name, value) in fields {
            let n = name.lowercased()
            let v = Redactor.header(n, value, keyID: keyID)
            if let i = merged.firstIndex(where: { $0.0 == n }) { merged[i].1 += ", " + v } else { merged.append((n, v)) }
        }
        w.objectStart()
        for (n, v) in merged { w.key(escaping: n); w.string(v) }
        w.objectEnd()
    }

    /// `body` plus how it is shown: `body_format` (`json`, `text`, `base64`, `multipart`,
    /// `empty`), `body_size` (bytes received or sent), `content_type`, and `body_omitted`
    /// (bytes the journal's per-entry limit left out) when it was cut.
    static func writeBody(_ body: [UInt8], contentType: String?, omitted: Int, to w: inout JSONWriter) {
        w.key("content_type"); w.optionalString(contentType)
        w.key("body_size"); w.int(body.count + omitted)
        if omitted > 0 { w.key("body_omitted"); w.int(omitted) }
        if body.isEmpty {
            w.key("body_format"); w.string("empty")
            w.key("body"); w.null()
            return
        }
        if let ct = contentType, ct.lowercased().hasPrefix("multipart/form-data"), let boundary = Multipart.boundary(contentType: ct),
           case .success(let parts) = Multipart.parse(body, boundary: boundary, maxParts: 256) {
            w.key("body_format"); w.string("multipart")
            w.key("body"); w.objectStart()
            w.key("parts"); w.arrayStart()
            for p in parts {
                w.objectStart()
                w.key("name"); w.string(p.name)
                if let f = p.filename { w.key("filename"); w.string(f) }
                if let c = p.contentType { w.key("content_type"); w.string(c) }
                w.key("size"); w.int(p.body.count)
                if p.filename == nil, p.body.count <= 256, let text = String(validating: p.body, as: UTF8.self) {
                    w.key("value"); w.string(text)
                }
                w.objectEnd()
            }
            w.arrayEnd()
            w.objectEnd()
            return
        }
        if let v = try? JSONParser.parse(body) {
            w.key("body_format"); w.string("json")
            w.key("body"); w.value(v)
        } else if let text = String(validating: body, as: UTF8.self) {
            w.key("body_format"); w.string("text")
            w.key("body"); w.string(text)
        } else {
            w.key("body_format"); w.string("base64")
            w.key("body"); w.string(String(decoding: base64(body), as: UTF8.self))
        }
    }

    /// One stream item: `{"ms", "event", "id", "data"}` for server-sent events (data as JSON
    /// when it parses), `{"ms", "data"}` for a JSON-array stream's element, else `{"ms", "raw"}`.
    static func writeEvent(_ bytes: [UInt8], millis: Int, to w: inout JSONWriter) {
        w.objectStart()
        w.key("ms"); w.int(millis)
        let text = String(decoding: bytes, as: UTF8.self)
        let first = text.first { !$0.isWhitespace }
        if let first, "[,{]".contains(first) {
            var body = Substring(text).drop { $0.isWhitespace || $0 == "[" || $0 == "," }
            while body.last?.isWhitespace == true { body = body.dropLast() }
            if let v = (try? JSONParser.parse(Array(body.utf8))) ?? (body.hasSuffix("]") ? try? JSONParser.parse(Array(body.dropLast().utf8)) : nil) {
                w.key("data"); w.value(v)
            } else {
                w.key("raw"); w.string(text)
            }
        } else if text.hasPrefix("data:") || text.hasPrefix("event:") || text.hasPrefix("id:") || text.hasPrefix(":") || text.hasPrefix("retry:") {
            var data: [Substring] = []
            var comment: [Substring] = []
            for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
                let l = line.hasSuffix("\r") ? line.dropLast() : line
                func value(_ prefix: String) -> String { String(l.dropFirst(prefix.count)).trimmingSpaces }
                if l.hasPrefix("event:") { w.key("event"); w.string(value("event:")) }
                else if l.hasPrefix("id:") { w.key("id"); w.string(value("id:")) }
                else if l.hasPrefix("retry:") { w.key("retry"); w.string(value("retry:")) }
                else if l.hasPrefix("data:") { data.append(l.dropFirst(5).drop { $0 == " " }) }
                else if l.hasPrefix(":") { comment.append(l.dropFirst()) }
            }
            if !comment.isEmpty { w.key("comment"); w.string(comment.joined(separator: "\n").trimmingSpaces) }
            if !data.isEmpty {
                let joined = data.joined(separator: "\n")
                w.key("data")
                if let v = try? JSONParser.parse(Array(joined.utf8)) { w.value(v) } else { w.string(joined) }
            }
        } else {
            w.key("raw"); w.string(text)
        }
        w.objectEnd()
    }
}

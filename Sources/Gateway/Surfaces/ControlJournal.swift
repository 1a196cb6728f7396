import HTTPCore
import HTTPServer

/// `/__mock/journal`: what the gateway answered. With `X-Mock-Session: NAME` every view (list,
/// wait, plan, clear) sees only that session's requests; without it, all of them (`session=`
/// narrows the same way).
///
/// - `GET /__mock/journal?FILTERS&limit=N`: entries, oldest first (the last `limit`, default 1000).
/// - `GET /__mock/journal/{request-id}`: one entry. `DELETE /__mock/journal`: forget entries.
/// - `GET /__mock/journal/wait?count=N&timeout_ms=T&FILTERS`: answers once `count` matching
///   entries exist (200, with them), or 408 `journal_wait_timeout` after `timeout_ms`
///   (default 5000, at most 600000). `since=INDEX` counts only newer entries.
/// - `GET /__mock/journal/plan`: the fault decisions as a faults file that replays them.
///
/// Filters: `surface`, `path` (glob), `model` (glob), `key` (key id), `status` (`429`, `4xx`,
/// `200,503`), `faulted` (true|false), `rule` (fault rule id), `stream` (true|false), `since`.
extension Gateway {
    static let journalParams: Set = ["session", "surface", "path", "model", "key", "status", "faulted", "rule", "stream",
                                     "since", "limit", "count", "timeout_ms"]

    func serveControlJournal(_ endpoint: Endpoint, _ ex: Exchange) -> Result<[UInt8], GatewayError> {
        let query = Query(ex.request.query)
        switch (endpoint, ex.request.method) {
        case (.controlJournalEntry(let id), _):
            guard let e = journal.entry(id), ex.session.isEmpty || e.session == ex.session else {
                return .failure(.notFound("no journal entry '\(id)'", code: "entry_not_found"))
            }
            var w = JSONWriter(capacity: 512)
            write(e, to: &w)
            return .success(w.bytes)
        case (.controlJournal, .delete):
            journal.clear(session: ex.session.isEmpty ? nil : ex.session)
            return .success(Array(#"{"cleared":true}"#.utf8))
        case (.controlJournalPlan, _):
            return journalFilter(query, ex, allowed: ["session"]).map { plan($0) }
        default:
            return journalFilter(query, ex, allowed: Self.journalParams.subtracting(["count", "timeout_ms"])).flatMap { filter in
                var limit = 1000
                if let l = query.first("limit") {
                    guard let n = Int(l), n >= 1 else { return .failure(.badRequest("'limit' must be a whole number of at least 1", param: "limit")) }
                    limit = n
                }
                return .success(encodeEntries(journal.entries(filter, limit: limit)))
            }
        }
    }

    /// `GET /__mock/journal/wait`: answered later, on this connection's loop.
    func serveJournalWait(_ ex: Exchange, _ responder: Responder) {
        let query = Query(ex.request.query)
        let filter: JournalFilter
        switch journalFilter(query, ex, allowed: Self.journalParams.subtracting(["limit"])) {
        case .success(let f): filter = f
        case .failure(let e): return fail(e, ex, responder)
        }
        var count = 1, timeout = 5000
        if let c = query.first("count") {
            guard let n = Int(c), n >= 1 else { return fail(.badRequest("'count' must be a whole number of at least 1", param: "count"), ex, responder) }
            count = n
        }
        if let t = query.first("timeout_ms") {
            guard let n = Int(t), (0...600_000).contains(n) else {
                return fail(.badRequest("'timeout_ms' must be milliseconds from 0 to 600000", param: "timeout_ms"), ex, responder)
            }
            timeout = n
        }
        let answer = { [self] in send(.ok, encodeEntries(journal.entries(filter)), ex, responder) }
        nonisolated(unsafe) let later = answer
        let registered = journal.wait(filter, count: count, loop: responder.loop) { later() }
        switch registered {
        case .failure(let e): fail(e, ex, responder)
        case .success(nil): answer()
        case .success(let id?):
            responder.schedule(after: .milliseconds(timeout)) { [self] in
                guard journal.cancelWait(id) else { return }
                let seen = journal.entries(filter).count
                fail(GatewayError(status: 408, message: "timed out after \(timeout) ms: \(seen) of \(count) matching requests recorded",
                                  code: "journal_wait_timeout"), ex, responder)
            }
        }
    }

    private func journalFilter(_ q: Query, _ ex: Exchange, allowed: Set<String>) -> Result<JournalFilter, GatewayError> {
        for item in q.items where !allowed.contains(item.name) {
            return .failure(.badRequest("unknown parameter '\(item.name)'; use \(allowed.sorted().joined(separator: ", "))", param: item.name))
        }
        var f = JournalFilter()
        f.session = ex.session.isEmpty ? q.first("session") : ex.session
        f.surface = q.first("surface")
        f.path = q.first("path")
        f.model = q.first("model")
        f.key = q.first("key")
        f.rule = q.first("rule")
        func bool(_ name: String) -> Result<Bool?, GatewayError> {
            switch q.first(name) {
            case nil: .success(nil)
            case "true"?: .success(true)
            case "false"?: .success(false)
            case let v?: .failure(.badRequest("'\(name)' must be true or false, found '\(v)'", param: name))
            }
        }
        switch bool("faulted") { case .success(let b): f.faulted = b; case .failure(let e): return .failure(e) }
        switch bool("stream") { case .success(let b): f.stream = b; case .failure(let e): return .failure(e) }
        if let s = q.first("since") {
            guard let n = Int(s), n >= 0 else { return .failure(.badRequest("'since' must be a journal index (0 or more)", param: "since")) }
            f.since = n
        }
        if let s = q.first("status") {
            for part in s.split(separator: ",") {
                let p = part.lowercased()
                if p.count == 3, p.hasSuffix("xx"), let d = Int(p.prefix(1)), (1...5).contains(d) {
                    f.status.append(d * 100...d * 100 + 99)
                } else if let n = Int(p), (0...599).contains(n) {
                    f.status.append(n...n)
                } else {
                    return .failure(.badRequest("'status' must list statuses or classes such as 429, 4xx, 0 (dropped), found '\(part)'", param: "status"))
                }
            }
        }
        return .success(f)
    }

    private func encodeEntries(_ entries: [JournalEntry]) -> [UInt8] {
        let (total, dropped) = journal.counts
        var w = JSONWriter(capacity: 256 + entries.count * 400)
        w.objectStart()
        w.key("entries"); w.arrayStart()
        for e in entries { write(e, to: &w) }
        w.arrayEnd()
        w.key("count"); w.int(entries.count)
        w.key("total"); w.int(total)
        w.key("dropped"); w.int(dropped)
        w.key("capacity"); w.int(journal.capacity)
        w.objectEnd()
        return w.bytes
    }

    private func write(_ e: JournalEntry, to w: inout JSONWriter) {
        w.objectStart()
        w.key("id"); w.string(e.id)
        w.key("index"); w.int(e.index)
        w.key("seq"); w.int(e.seq)
        w.key("session"); w.optionalString(e.session.isEmpty ? nil : e.session)
        w.key("time"); w.int(e.time)
        w.key("method"); w.string(e.method)
        w.key("path"); w.string(e.path)
        w.key("surface"); w.string(e.surface)
        w.key("key"); w.optionalString(e.keyID)
        w.key("model"); w.optionalString(e.model)
        w.key("stream"); w.bool(e.stream)
        w.key("status"); w.int(e.status)
        w.key("attempt"); w.int(e.attempt)
        w.key("events"); w.int(e.events)
        w.key("bytes"); w.int(e.bytes)
        w.key("duration_ms"); w.raw(Array(JSONWriter.format(e.durationMillis).utf8))
        if let error = e.error { w.key("error"); w.string(error) }
        w.key("faults"); w.arrayStart()
        for f in e.faults {
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
        w.objectEnd()
    }

    /// The journal's fault decisions as a faults file: one rule per decision, selecting the
    /// request by its position in its session (`seq` and `session`, `-` for none), or the
    /// connection by its number.
    private func plan(_ filter: JournalFilter) -> [UInt8] {
        var w = JSONWriter(capacity: 1024)
        var requests = 0
        w.objectStart()
        w.key("faults"); w.arrayStart()
        var n = 0
        for e in journal.entries(filter) {
            if e.surface != "connection" { requests += 1 }
            for f in e.faults {
                n += 1
                var spec = f.action
                if f.stage == .accept {
                    spec += " connection=\(f.n)"
                } else {
                    // `session=-` pins requests sent without a session to the same (no-)session on replay.
                    spec += " seq=\(e.seq) session=\(e.session.isEmpty ? "-" : FaultRule.quoted(e.session))"
                }
                w.string(spec + " id=plan-\(n)")
            }
        }
        w.arrayEnd()
        w.key("requests"); w.int(requests)
        w.key("seed"); w.string(String(seed))
        w.objectEnd()
        return w.bytes
    }
}

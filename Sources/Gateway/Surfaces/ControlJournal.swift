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
/// Filters: the matcher's query form (see ``JournalFilter``): `method`, `surface`, `path` (glob),
/// `model` (glob), `key` (key id), `status` (`429`, `4xx`, `200,503`), `faulted`, `rule`, `stream`,
/// `body_contains`, `json=PATH=VALUE` / `json=PATH~REGEX`, `header=NAME[:VALUE]`; plus `since`.
/// Entries carry the captured request and response unless `capture=false`.
extension Gateway {
    static let journalParams = JournalFilter.matcherNames.subtracting(["headers", "body"])
        .union(["session", "since", "limit", "count", "timeout_ms", "capture"])

    func serveControlJournal(_ endpoint: Endpoint, _ ex: Exchange) -> Result<[UInt8], GatewayError> {
        let query = Query(ex.request.query)
        switch (endpoint, ex.request.method) {
        case (.controlJournalEntry(let id), _):
            guard let e = journal.entry(id), ex.session.isEmpty || e.session == ex.session else {
                return .failure(.notFound("no journal entry '\(id)'", code: "entry_not_found"))
            }
            var w = JSONWriter(capacity: 4096)
            e.write(to: &w, capture: true)
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
                return bool(query, "capture").map { encodeEntries(journal.entries(filter, limit: limit), capture: $0 ?? true) }
            }
        }
    }

    private func bool(_ q: Query, _ name: String) -> Result<Bool?, GatewayError> {
        switch q.first(name) {
        case nil: .success(nil)
        case "true"?: .success(true)
        case "false"?: .success(false)
        case let v?: .failure(.badRequest("'\(name)' must be true or false, found '\(v)'", param: name))
        }
    }

    /// `GET /__mock/journal/wait`: answered later, on this connection's loop.
    func serveJournalWait(_ ex: Exchange, _ responder: Responder) {
        let query = Query(ex.request.query)
        let filter: JournalFilter
        switch journalFilter(query, ex, allowed: Self.journalParams.subtracting(["limit", "capture"])) {
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
        let refuse = { [self] in
            fail(GatewayError(status: 503, message: "this wait gave its place to a newer one: at most \(Journal.maxWaiters) journal waits are kept",
                              code: "too_many_waiters"), ex, responder)
        }
        nonisolated(unsafe) let evicted = refuse
        let registered = journal.wait(filter, count: count, loop: responder.loop, done: { later() }, evicted: { evicted() })
        switch registered {
        case .failure(let e): fail(e, ex, responder)
        case .success(nil): answer()
        case .success(let id?):
            // A client that goes away takes its waiter with it (`cancelled`), so abandoned waits
            // cannot fill the waiter table and turn every later wait into a 503.
            responder.schedule(after: .milliseconds(timeout), { [self] in
                guard journal.cancelWait(id) else { return }
                let seen = journal.entries(filter).count
                fail(GatewayError(status: 408, message: "timed out after \(timeout) ms: \(seen) of \(count) matching requests recorded",
                                  code: "journal_wait_timeout"), ex, responder)
            }, cancelled: { [journal] in _ = journal.cancelWait(id) })
        }
    }

    private func journalFilter(_ q: Query, _ ex: Exchange, allowed: Set<String>) -> Result<JournalFilter, GatewayError> {
        var f = JournalFilter()
        for item in q.items {
            guard allowed.contains(item.name) else {
                return .failure(.badRequest("unknown parameter '\(item.name)'; use \(allowed.sorted().joined(separator: ", "))", param: item.name))
            }
            switch item.name {
            case "session", "since", "limit", "count", "timeout_ms", "capture": continue
            default:
                if case .failure(let e) = f.apply(query: item.name, item.value) { return .failure(e) }
            }
        }
        f.session = ex.session.isEmpty ? q.first("session") : ex.session
        if let s = q.first("since") {
            guard let n = Int(s), n >= 0 else { return .failure(.badRequest("'since' must be a journal index (0 or more)", param: "since")) }
            f.since = n
        }
        return .success(f)
    }

    func encodeEntries(_ entries: [JournalEntry], capture: Bool = true) -> [UInt8] {
        let (total, dropped) = journal.counts
        let usage = journal.usage
        var w = JSONWriter(capacity: 256 + entries.count * (capture ? 2000 : 400))
        w.objectStart()
        w.key("entries"); w.arrayStart()
        for e in entries { e.write(to: &w, capture: capture) }
        w.arrayEnd()
        w.key("count"); w.int(entries.count)
        w.key("total"); w.int(total)
        w.key("dropped"); w.int(dropped)
        w.key("capacity"); w.int(journal.capacity)
        w.key("held_bytes"); w.int(usage.bytes)
        w.key("byte_limit"); w.int(journal.byteLimit)
        w.objectEnd()
        return w.bytes
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

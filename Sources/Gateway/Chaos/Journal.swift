import HTTPCore
import HTTPServer
import Synchronization

/// One request as the journal keeps it (recorded when its response is complete).
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
    /// The journal's own running number, for `since=` cursors.
    var index = 0
}

/// Which entries a journal query selects: every given condition must hold.
struct JournalFilter: Sendable {
    var session: String?
    var surface: String?
    var path: String?
    var model: String?
    var key: String?
    var status: [ClosedRange<Int>] = []
    var faulted: Bool?
    var rule: String?
    var stream: Bool?
    /// Only entries after this journal index.
    var since = 0

    func matches(_ e: JournalEntry) -> Bool {
        if e.index <= since { return false }
        if let session, e.session != session { return false }
        if let surface, e.surface != surface { return false }
        if let path, !glob(path, e.path) { return false }
        if let model { guard let m = e.model, glob(model, m) else { return false } }
        if let key, e.keyID != key { return false }
        if !status.isEmpty, !status.contains(where: { $0.contains(e.status) }) { return false }
        if let faulted, faulted == e.faults.isEmpty { return false }
        if let rule, !e.faults.contains(where: { $0.ruleID == rule }) { return false }
        if let stream, e.stream != stream { return false }
        return true
    }
}

/// The request journal: the last `capacity` gateway requests (control calls are not gateway
/// traffic and are not recorded), in order, plus waiters for `GET /__mock/journal/wait`.
///
/// Concurrency: Sendable; the ring and the waiters sit behind one Mutex. A waiter is completed
/// on its own loop thread.
final class Journal: Sendable {
    struct Waiter: Sendable {
        var id: Int
        var filter: JournalFilter
        var count: Int
        var seen: Int
        let loop: EventLoop
        let done: @Sendable () -> Void
    }

    private struct State {
        var ring: [JournalEntry] = []
        var head = 0
        var total = 0
        /// Entries removed by `clear`, which did not fall out of the ring.
        var cleared = 0
        var waiters: [Waiter] = []
        var nextWaiter = 1
        /// The last entry's path: an equal path shares its storage (most entries repeat a
        /// handful of paths, and a path longer than 15 bytes is a heap string per request).
        var lastPath = ""
    }

    let capacity: Int
    private let state = Mutex(State())

    /// Most concurrent `wait` calls.
    static let maxWaiters = 1024

    init(capacity: Int) { self.capacity = max(1, capacity) }

    func record(_ entry: consuming JournalEntry) {
        var e = entry  // a move, numbered and stored without a copy
        let ready: [Waiter] = state.withLock { s in
            if e.path == s.lastPath { e.path = s.lastPath } else { s.lastPath = e.path }
            s.total += 1
            e.index = s.total
            if s.ring.count < capacity { s.ring.append(e) } else {
                s.ring[s.head] = e
                s.head = (s.head + 1) % capacity
            }
            guard !s.waiters.isEmpty else { return [] }
            var fired: [Waiter] = []
            var i = 0
            while i < s.waiters.count {
                if s.waiters[i].filter.matches(e) { s.waiters[i].seen += 1 }
                if s.waiters[i].seen >= s.waiters[i].count { fired.append(s.waiters.remove(at: i)) } else { i += 1 }
            }
            return fired
        }
        for w in ready { w.loop.execute(w.done) }
    }

    /// Entries in order, oldest first, that match `filter`; the last `limit` of them.
    func entries(_ filter: JournalFilter, limit: Int = .max) -> [JournalEntry] {
        state.withLock { s in
            var out: [JournalEntry] = []
            for e in ordered(s) where filter.matches(e) { out.append(e) }
            return out.count > limit ? Array(out.suffix(limit)) : out
        }
    }

    func entry(_ id: String) -> JournalEntry? {
        state.withLock { s in s.ring.first { $0.id == id } }
    }

    /// How many requests were recorded since the last clear, and how many fell out of the ring.
    var counts: (total: Int, dropped: Int) {
        state.withLock { s in (s.total, s.total - s.ring.count - s.cleared) }
    }

    /// Forgets the entries (of `session` only, when given).
    func clear(session: String?) {
        state.withLock { s in
            guard let session else {
                s.cleared += s.ring.count
                s.ring = []
                s.head = 0
                return
            }
            let kept = ordered(s).filter { $0.session != session }
            s.cleared += s.ring.count - kept.count
            s.ring = kept
            s.head = 0
        }
    }

    /// Registers a waiter for `count` matching entries. Returns nil when enough already exist
    /// (answer at once), else the waiter id to cancel on timeout; `done` then runs on `loop`.
    func wait(_ filter: JournalFilter, count: Int, loop: EventLoop, done: @escaping @Sendable () -> Void) -> Result<Int?, GatewayError> {
        state.withLock { s in
            let seen = ordered(s).reduce(0) { $0 + (filter.matches($1) ? 1 : 0) }
            if seen >= count { return .success(nil) }
            guard s.waiters.count < Self.maxWaiters else {
                return .failure(GatewayError(status: 503, message: "too many journal waiters (at most \(Self.maxWaiters))", code: "too_many_waiters"))
            }
            let id = s.nextWaiter
            s.nextWaiter += 1
            s.waiters.append(Waiter(id: id, filter: filter, count: count, seen: seen, loop: loop, done: done))
            return .success(id)
        }
    }

    /// Removes waiter `id`; true when it was still waiting (so the caller answers the timeout).
    func cancelWait(_ id: Int) -> Bool {
        state.withLock { s in
            guard let i = s.waiters.firstIndex(where: { $0.id == id }) else { return false }
            s.waiters.remove(at: i)
            return true
        }
    }

    private func ordered(_ s: State) -> [JournalEntry] {
        s.ring.count < capacity || s.head == 0 ? s.ring : Array(s.ring[s.head...] + s.ring[..<s.head])
    }
}

import HTTPCore
import HTTPServer
import Synchronization

/// The request journal: the last gateway requests (control calls are not gateway traffic and
/// are not recorded), in order, bounded by count (`--journal-size`) and by the memory their
/// captures hold (`--journal-bytes`), oldest dropped first; plus waiters for
/// `GET /__mock/journal/wait` and the traffic counters `/__mock/metrics` reports.
///
/// A body longer than `bodyLimit` is kept cut to its first `bodyLimit` bytes (the entry says
/// how many were left out), so one huge upload cannot push the whole journal out.
///
/// Concurrency: Sendable; the ring, the waiters and the counters sit behind one Mutex. A waiter
/// is completed on its own loop thread.
final class Journal: Sendable {
    struct Waiter: Sendable {
        var id: Int
        var filter: JournalFilter
        var count: Int
        var seen: Int
        let loop: EventLoop
        let done: @Sendable () -> Void
        /// Runs (on `loop`) when a newer wait takes this one's place in a full table.
        let evicted: @Sendable () -> Void
    }

    private struct State {
        var ring = EntryRing()
        var total = 0
        /// Entries removed by `clear`, which were not dropped for room.
        var cleared = 0
        /// Entries dropped for room (count or bytes).
        var dropped = 0
        /// The bytes the kept entries hold (their `cost`).
        var bytes = 0
        var waiters: [Waiter] = []
        var nextWaiter = 1
        /// The last entry's path: an equal path shares its storage (most entries repeat a
        /// handful of paths, and a path longer than 15 bytes is a heap string per request).
        var lastPath = ""
        var counters = TrafficCounters()
    }

    let capacity: Int
    /// Most bytes the kept entries may hold together.
    let byteLimit: Int
    /// Most bytes of one body (request or response) an entry keeps.
    let bodyLimit: Int
    private let state = Mutex(State())
    /// Lines for the request log, when logging is on (written off the loop thread).
    let log: RequestLog?

    /// Most concurrent `wait` calls.
    static let maxWaiters = 1024
    static let defaultBytes = 64 << 20
    static let defaultBodyLimit = 1 << 20

    init(capacity: Int, byteLimit: Int = Journal.defaultBytes, bodyLimit: Int = Journal.defaultBodyLimit, log: RequestLog? = nil) {
        self.capacity = max(1, capacity)
        self.byteLimit = max(4096, byteLimit)
        self.bodyLimit = max(0, bodyLimit)
        self.log = log
    }

    func record(_ entry: consuming JournalEntry) {
        // Held in an optional and changed in place, then swapped into the ring: never copied
        // (a copy would retain and release each of the entry's references).
        if let log { log.append(LogLine(entry)) }  // from the borrowed entry: only the line's fields are copied
        var moving: JournalEntry? = consume entry
        if moving!.request?.body.count ?? 0 > bodyLimit, let r = moving!.request {
            var cut = r
            cut.body = Array(r.body.prefix(bodyLimit))
            moving!.requestOmitted = r.body.count - bodyLimit
            moving!.request = cut
        }
        if moving!.bytes > bodyLimit { cutResponse(&moving!) }
        moving!.cost = moving!.heldBytes()
        let ready: [Waiter] = state.withLock { s in
            if moving!.path == s.lastPath { moving!.path = s.lastPath } else { s.lastPath = moving!.path }
            s.total += 1
            moving!.index = s.total
            s.counters.count(events: moving!.events, bytes: moving!.bytes, status: moving!.status, surface: moving!.surface,
                             faults: moving!.faults)
            let cost = moving!.cost
            while s.ring.count > 0, s.ring.count >= capacity || s.bytes + cost > byteLimit {
                s.bytes -= s.ring.removeFirst().cost
                s.dropped += 1
            }
            s.bytes += cost
            var fired: [Waiter] = []
            var i = 0
            while i < s.waiters.count {
                if s.waiters[i].filter.matches(moving!) { s.waiters[i].seen += 1 }
                if s.waiters[i].seen >= s.waiters[i].count { fired.append(s.waiters.remove(at: i)) } else { i += 1 }
            }
            s.ring.append(taking: &moving)
            return fired
        }
        for w in ready { w.loop.execute(w.done) }
    }

    /// Cuts a complete or raw response body to `bodyLimit` bytes (streams are kept as events).
    private func cutResponse(_ e: inout JournalEntry) {
        switch e.response.body {
        case .complete(let b) where b.count > bodyLimit:
            e.response.body = .complete(Array(b.prefix(bodyLimit)))
            e.response.omittedBytes = b.count - bodyLimit
        case .raw(let b) where b.count > bodyLimit:
            e.response.body = .raw(Array(b.prefix(bodyLimit)))
            e.response.omittedBytes = b.count - bodyLimit
        default: break
        }
    }

    /// Entries in order, oldest first, that match `filter`; the last `limit` of them.
    func entries(_ filter: JournalFilter, limit: Int = .max) -> [JournalEntry] {
        state.withLock { s in
            var out: [JournalEntry] = []
            s.ring.forEach { e in if filter.matches(e) { out.append(e) } }
            return out.count > limit ? Array(out.suffix(limit)) : out
        }
    }

    /// Every kept entry, oldest first (verify scores the ones that did not match).
    func all(session: String?) -> [JournalEntry] {
        state.withLock { s in
            var out: [JournalEntry] = []
            out.reserveCapacity(s.ring.count)
            s.ring.forEach { e in if session == nil || e.session == session { out.append(e) } }
            return out
        }
    }

    func entry(_ id: String) -> JournalEntry? {
        state.withLock { s in s.ring.first { $0.id == id } }
    }

    /// How many requests were recorded, and how many fell out for room (count or bytes).
    var counts: (total: Int, dropped: Int) {
        state.withLock { s in (s.total, s.dropped) }
    }

    /// The kept entries and the bytes they hold.
    var usage: (entries: Int, bytes: Int) {
        state.withLock { s in (s.ring.count, s.bytes) }
    }

    /// The traffic counters (never reset: Prometheus counters only grow).
    var counters: TrafficCounters { state.withLock { $0.counters } }

    /// Forgets the entries (of `session` only, when given).
    func clear(session: String?) {
        state.withLock { s in
            var kept = EntryRing()
            var bytes = 0
            if let session {
                s.ring.forEach { e in
                    if e.session != session { kept.append(e); bytes += e.cost }
                }
            }
            s.cleared += s.ring.count - kept.count
            s.ring = kept
            s.bytes = bytes
        }
    }

    /// Registers a waiter for `count` matching entries. Returns nil when enough already exist
    /// (answer at once), else the waiter id to cancel on timeout; `done` then runs on `loop`.
    ///
    /// The table holds at most ``maxWaiters``. A wait that finds it full takes the place of the
    /// oldest, whose `evicted` runs on its loop: an HTTP/1.1 client that hung up on its wait cannot
    /// be told from one that only half-closed until its answer is written, so abandoned waits would
    /// otherwise fill the table for up to their 600-second timeout and refuse every later wait.
    func wait(_ filter: JournalFilter, count: Int, loop: EventLoop, done: @escaping @Sendable () -> Void,
              evicted: @escaping @Sendable () -> Void = {}) -> Result<Int?, GatewayError> {
        let (result, displaced): (Result<Int?, GatewayError>, Waiter?) = state.withLock { s in
            var seen = 0
            s.ring.forEach { e in if filter.matches(e) { seen += 1 } }
            if seen >= count { return (.success(nil), nil) }
            let oldest = s.waiters.count >= Self.maxWaiters ? s.waiters.removeFirst() : nil
            let id = s.nextWaiter
            s.nextWaiter += 1
            s.waiters.append(Waiter(id: id, filter: filter, count: count, seen: seen, loop: loop, done: done, evicted: evicted))
            return (.success(id), oldest)
        }
        if let displaced { displaced.loop.execute(displaced.evicted) }
        return result
    }

    /// Removes waiter `id`; true when it was still waiting (so the caller answers the timeout).
    func cancelWait(_ id: Int) -> Bool {
        state.withLock { s in
            guard let i = s.waiters.firstIndex(where: { $0.id == id }) else { return false }
            s.waiters.remove(at: i)
            return true
        }
    }
}

import Dispatch
import HTTPCore
import HTTPServer
import Synchronization

/// Task options: `--time-scale`, the SSE heartbeat, and callback delivery.
public struct TaskOptions: Sendable {
    /// Task timelines run this many times faster than the clock (fixture seconds ÷ scale).
    public var timeScale = 1.0
    /// A `: keep-alive` comment on an idle task stream after this long.
    public var heartbeatMillis = 15_000
    /// Default HMAC-SHA256 secret for callbacks (a submit's `callback_secret` overrides it).
    public var callbackSecret = "bytespike-mock-callback-secret"
    /// Delivery attempts per callback; waits double from `callbackBackoffMillis`.
    public var callbackAttempts = 5
    public var callbackBackoffMillis = 1000
    public var callbackTimeoutMillis = 5000

    public init() {}
}

/// The async task store: submit (with `out_task_id` idempotency), look up, cancel, and settle
/// tasks whose timeline reached a terminal step: bill it once, make the result files, send the
/// callback. Settling happens whenever anyone looks, when the clock is changed through the
/// control API, and from a timer while the clock runs, so a task completes (and bills, and
/// calls back) on time even if nobody polls. SSE streams subscribe to be woken when the clock
/// jumps or their task is cancelled.
///
/// Budget: at most ``maxTasks`` tasks are kept (about 4 KB each, with their files and ledger rows); submitting one more forgets the
/// oldest settled task (its id and `out_task_id` then 404). Unsettled tasks are never forgotten:
/// they end on their timeline.
///
/// Concurrency: Sendable; state behind one Mutex; billing, files and callbacks run outside it.
final class TaskEngine: Sendable {
    struct Subscriber: Sendable {
        var taskID: String
        var loop: EventLoop
        var wake: @Sendable () -> Void
    }

    enum Submitted {
        case created(MediaTask)
        case existing(MediaTask)
        case conflict(MediaTask)
    }

    private struct State {
        var tasks: [String: MediaTask] = [:]
        var byOutID: [String: String] = [:]
        var unsettled: Set<String> = []
        /// Task ids oldest first: who is forgotten first.
        var order = FIFO<String>()
        var counter = 0
        /// Tasks stored so far: their order of submission.
        var submitted = 0
        var subscribers: [Int: Subscriber] = [:]
        var nextSubscriber = 0
        var timerGeneration = 0
    }

    /// Most tasks kept.
    static let maxTasks = 2048

    private let state = Mutex(State())
    let maxTasks: Int
    let options: TaskOptions
    private let clock: GatewayClock
    private let files: FileStore
    private let accounting: Accounting
    private let fileTTL: Int
    private let seed: UInt64
    /// Called (outside the lock) for each task that just reached its terminal step.
    private let onTerminal: @Sendable (MediaTask, MediaTask.Step) -> Void
    private let timerQueue = DispatchQueue(label: "bytespike-mock.tasks")

    init(options: TaskOptions, clock: GatewayClock, files: FileStore, accounting: Accounting, fileTTL: Int, seed: UInt64,
         maxTasks: Int = TaskEngine.maxTasks, onTerminal: @escaping @Sendable (MediaTask, MediaTask.Step) -> Void) {
        self.maxTasks = max(1, maxTasks)
        self.options = options
        self.clock = clock
        self.files = files
        self.accounting = accounting
        self.fileTTL = fileTTL
        self.seed = seed
        self.onTerminal = onTerminal
    }

    /// Virtual milliseconds of a fixture duration in seconds, under the time scale.
    func scaled(_ seconds: Double) -> Int { Int((seconds * 1000 / options.timeScale).rounded()) }

    /// `task_` + a 26-character ULID: 48 bits of virtual milliseconds, 80 bits from the seed.
    func newID(now: Int) -> String {
        let n = state.withLock { s in s.counter += 1; return s.counter }
        let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)
        var out: [UInt8] = Array("task_".utf8)
        let t = UInt64(max(0, now)) & 0xFFFF_FFFF_FFFF
        for i in (0..<10).reversed() { out.append(alphabet[Int(t >> (UInt64(i) * 5) & 31)]) }
        var r = mix64(seed ^ 0x7461_736B &+ UInt64(n) &* golden64)
        let r2 = mix64(r &+ golden64)
        for i in 0..<16 {
            if i == 8 { r = r2 }
            out.append(alphabet[Int(r & 31)])
            r >>= 5
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func outKey(_ accountID: String, _ out: String) -> String { accountID + "\u{0}" + out }

    /// Stores a new task, or finds the one `out_task_id` already names (same identity → that
    /// task; a different one → conflict).
    func submit(_ task: MediaTask) -> Submitted {
        let result = state.withLock { s -> Submitted in
            if let out = task.outTaskID, let id = s.byOutID[Self.outKey(task.accountID, out)], let old = s.tasks[id] {
                return old.identity == task.identity ? .existing(old) : .conflict(old)
            }
            s.submitted += 1
            var task = task
            task.number = s.submitted
            s.tasks[task.id] = task
            s.unsettled.insert(task.id)
            s.order.append(task.id)
            if let out = task.outTaskID { s.byOutID[Self.outKey(task.accountID, out)] = task.id }
            evict(&s)
            return .created(task)
        }
        if case .created = result { schedule() }
        return result
    }

    /// Forgets the oldest settled tasks while more than `maxTasks` are kept; an unsettled one goes
    /// to the back of the queue (at most one pass over it).
    private func evict(_ s: inout State) {
        var looked = 0
        while s.tasks.count > maxTasks, looked < s.order.count, let id = s.order.popFirst() {
            looked += 1
            guard let t = s.tasks[id] else { continue }  // forgotten by a session reset
            if s.unsettled.contains(id) {
                s.order.append(id)
                continue
            }
            s.tasks[id] = nil
            if let out = t.outTaskID, s.byOutID[Self.outKey(t.accountID, out)] == id { s.byOutID[Self.outKey(t.accountID, out)] = nil }
        }
    }

    /// The task with `id` (or `out_task_id`) of `accountID`, settled up to now.
    func find(id: String?, outTaskID: String?, accountID: String) -> MediaTask? {
        settle()
        return state.withLock { s in
            let key = id ?? outTaskID.flatMap { s.byOutID[Self.outKey(accountID, $0)] }
            guard let key, let t = s.tasks[key], t.accountID == accountID else { return nil }
            return t
        }
    }

    /// The task by id alone (streams re-reading their task).
    func task(_ id: String) -> MediaTask? { state.withLock { $0.tasks[id] } }

    /// Cancels a pending or running task; a terminal one is returned unchanged.
    func cancel(id: String?, outTaskID: String?, accountID: String) -> MediaTask? {
        settle()
        let now = clock.nowMillis
        let cancelled = state.withLock { s -> MediaTask? in
            let key = id ?? outTaskID.flatMap { s.byOutID[Self.outKey(accountID, $0)] }
            guard let key, var t = s.tasks[key], t.accountID == accountID else { return nil }
            guard let last = t.steps(at: now).last, !last.status.isTerminal else { return t }
            let start = t.submittedAt + t.queueMillis
            t.cancelledAt = now
            t.cancelledProgress = now <= start ? 0 : min(99, (now - start) * 100 / max(1, t.renderMillis))
            s.tasks[key] = t
            return t
        }
        guard let t = cancelled else { return nil }
        settle()
        wake(taskID: t.id)
        return state.withLock { $0.tasks[t.id] } ?? t
    }

    /// Settles every task whose timeline reached a terminal step by now: bills it once, makes
    /// its result files, hands it to `onTerminal`; then re-arms the timer.
    func settle() {
        let now = clock.nowMillis
        var done: [(MediaTask, MediaTask.Step)] = []
        state.withLock { s in
            for id in s.unsettled {
                guard var t = s.tasks[id], t.endsAt <= now, let last = t.steps(at: now).last, last.status.isTerminal else { continue }
                t.settled = true
                t.creditsUsed = t.credits(for: last)
                if last.status == .completed { t.files = makeFiles(t, at: last.at / 1000) }
                s.tasks[id] = t
                done.append((t, last))
            }
            for (t, _) in done { s.unsettled.remove(t.id) }
        }
        for (t, step) in done {
            if t.creditsUsed.micros > 0 {
                let admission = accounting.unchecked(keyID: t.keyID, accountID: t.accountID, model: t.model.id)
                accounting.bill(admission, usage: t.usage(for: step), pricing: t.model.pricing, surface: "tasks",
                                requestID: t.id, now: step.at / 1000)
            }
            onTerminal(t, step)
        }
        if !done.isEmpty { schedule() }
    }

    private func makeFiles(_ t: MediaTask, at now: Int) -> [FileStore.Entry] {
        if t.isVideo {
            let (w, h) = VideoFormat.rendered(aspect: t.aspect)
            return [files.add(.mp4(width: w, height: h, seconds: t.seconds, seed: t.seed), accountID: t.accountID,
                              session: t.session, now: now, ttl: fileTTL)]
        }
        return (0..<t.count).map { i in
            files.add(.png(width: t.size.width, height: t.size.height, seed: mix64(t.seed &+ UInt64(i))),
                      accountID: t.accountID, session: t.session, now: now, ttl: fileTTL)
        }
    }

    /// Arms one timer for the earliest terminal step of an unsettled task (only while the clock
    /// runs: a frozen clock moves only through the control API, which calls `clockChanged`).
    func schedule() {
        guard !clock.isFrozen else { return }
        let now = clock.nowMillis
        let (next, generation) = state.withLock { s -> (Int?, Int) in
            s.timerGeneration += 1
            let next = s.unsettled.compactMap { s.tasks[$0]?.endsAt }.min()
            return (next, s.timerGeneration)
        }
        guard let next else { return }
        let delay = max(1, next - now)
        timerQueue.asyncAfter(deadline: .now() + .milliseconds(delay)) { [self] in
            guard state.withLock({ $0.timerGeneration }) == generation else { return }
            settle()
            schedule()
        }
    }

    /// The clock was frozen, set, advanced or resumed: settle, wake every stream, re-arm.
    func clockChanged() {
        settle()
        wake(taskID: nil)
        schedule()
    }

    // MARK: subscribers

    func subscribe(taskID: String, loop: EventLoop, wake: @escaping @Sendable () -> Void) -> Int {
        state.withLock { s in
            s.nextSubscriber += 1
            s.subscribers[s.nextSubscriber] = Subscriber(taskID: taskID, loop: loop, wake: wake)
            return s.nextSubscriber
        }
    }

    func unsubscribe(_ id: Int) { _ = state.withLock { $0.subscribers.removeValue(forKey: id) } }

    var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    private func wake(taskID: String?) {
        let targets = state.withLock { s in s.subscribers.values.filter { taskID == nil || $0.taskID == taskID } }
        for t in targets { t.loop.execute(t.wake) }
    }

    /// Forgets every task (or one session's) and wakes the streams, which then end.
    func reset(session: String?) {
        state.withLock { s in
            if let session {
                let ids = s.tasks.values.filter { $0.session == session }.map(\.id)
                for id in ids {
                    if let out = s.tasks[id]?.outTaskID, let acct = s.tasks[id]?.accountID { s.byOutID[Self.outKey(acct, out)] = nil }
                    s.tasks[id] = nil
                    s.unsettled.remove(id)
                }
                let live = s.tasks
                s.order.removeAll { live[$0] == nil }
            } else {
                let (subscribers, next) = (s.subscribers, s.nextSubscriber)
                s = State()
                s.subscribers = subscribers
                s.nextSubscriber = next
            }
            s.timerGeneration += 1
        }
        wake(taskID: nil)
        schedule()  // the reset disarmed the timer other sessions' tasks still need
    }

    var count: Int { state.withLock { $0.tasks.count } }

    /// Every task (or one session's), oldest first.
    func all(session: String?) -> [MediaTask] {
        state.withLock { s in s.tasks.values.filter { session == nil || $0.session == session }.sorted { $0.number < $1.number } }
    }
}

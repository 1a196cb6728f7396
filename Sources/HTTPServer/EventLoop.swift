import CSystem
import Glibc
import Synchronization

/// Something registered with an event loop that receives readiness events for one fd.
protocol EventSink: AnyObject {
    func handleEvents(_ events: UInt32)
    /// Called when the sink's own deadline timer fires.
    func deadlineReached()
    /// Graceful shutdown began: stop taking new work, finish what is in flight.
    func shutdownRequested()
    /// Close now.
    func terminate()
}

/// A handle to a scheduled callback; cancel it with ``EventLoop/cancel(_:)``.
public struct TimerID: Hashable, Sendable {
    let seq: UInt64
}

/// A level-triggered epoll loop on a dedicated thread.
///
/// Concurrency: every stored property except `inbox` is confined to the loop thread; other
/// threads reach the loop only through ``execute(_:)``, which queues a closure under a mutex and
/// wakes `epoll_wait` through an eventfd. Timers (callbacks and per-connection deadlines) share
/// one heap whose earliest entry becomes the `epoll_wait` timeout. Loop-confined properties skip
/// the run-time exclusivity checks (see ``Connection``).
public final class EventLoop: @unchecked Sendable {
    let index: Int
    private let epfd: Int32
    private let wakeFD: Int32
    private let inbox = Mutex<[@Sendable () -> Void]>([])
    private let wakePending = Atomic<Bool>(false)
    @exclusivity(unchecked) private var threadID: pthread_t?

    // Loop-confined state.
    private struct Slot { var sink: (any EventSink)?; var gen: UInt32 }
    @exclusivity(unchecked) private var slots: [Slot] = []
    @exclusivity(unchecked) private var nextGen: UInt32 = 1
    @exclusivity(unchecked) private var heap = TimerHeap()
    @exclusivity(unchecked) private var callbacks: [UInt64: () -> Void] = [:]
    /// Work for the end of this turn (``runSoon(_:)``), a queue from `soonHead` on.
    @exclusivity(unchecked) private var soon: [() -> Void] = []
    @exclusivity(unchecked) private var soonHead = 0
    /// ``runSoon(_:)`` work done per turn at most, so that the I/O that arrives meanwhile (a new
    /// request, say) waits for a bounded slice of it, not for all of it.
    static let soonPerTurn = 64
    /// seq → fd for deadline entries, so a deadline entry can find its sink.
    @exclusivity(unchecked) private var deadlineOwners: [UInt64: (fd: Int32, gen: UInt32)] = [:]
    @exclusivity(unchecked) private var nextSeq: UInt64 = 1
    @exclusivity(unchecked) private var running = true
    /// The loop's cached monotonic time, refreshed once per wake-up.
    @exclusivity(unchecked) private(set) var now: UInt64 = Sys.monotonicNanos()
    /// Spare connection buffers: a connection holds input and output buffers only while it has
    /// bytes in them, so memory follows the connections that are busy this moment, not all open ones.
    @exclusivity(unchecked) private var spareInput: [[UInt8]] = []
    @exclusivity(unchecked) private var spareOutput: [[UInt8]] = []
    static let inputBufferSize = 4 * 1024
    static let spareBuffers = 64
    /// The largest output buffer kept for reuse: an HTTP/2 connection's batch of frames (the high
    /// watermark plus one 16 KiB DATA frame, ``H2Connection`` reserves that much).
    static let spareOutputCapacity = 96 * 1024
    let dateCache = DateCache()

    private static let wakeToken: UInt64 = UInt64.max

    init(index: Int) throws(SystemError) {
        self.index = index
        epfd = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epfd >= 0 else { throw SystemError(operation: "epoll_create1", errno: Glibc.errno) }
        wakeFD = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        guard wakeFD >= 0 else { throw SystemError(operation: "eventfd", errno: Glibc.errno) }
        var ev = epoll_event()
        csystem_epoll_event_set(&ev, EPOLLIN.rawValue, Self.wakeToken)
        epoll_ctl(epfd, EPOLL_CTL_ADD, wakeFD, &ev)
    }

    deinit {
        Sys.close(epfd)
        Sys.close(wakeFD)
    }

    // MARK: thread

    /// Starts the loop thread.
    func start() {
        let box = Unmanaged.passRetained(self)
        var tid = pthread_t()
        let rc = pthread_create(&tid, nil, { arg in
            let loop = Unmanaged<EventLoop>.fromOpaque(arg!).takeRetainedValue()
            loop.run()
            return nil
        }, box.toOpaque())
        precondition(rc == 0, "pthread_create failed")
        threadID = tid
    }

    /// Waits for the loop thread to exit (after ``stop()``).
    func join() {
        if let t = threadID { pthread_join(t, nil) }
        threadID = nil
    }

    /// Asks the loop to exit after its current iteration. Callable from any thread.
    func stop() { execute { [self] in running = false } }


    /// Runs `body` on the loop thread soon. Callable from any thread.
    public func execute(_ body: @escaping @Sendable () -> Void) {
        inbox.withLock { $0.append(body) }
        if !wakePending.exchange(true, ordering: .acquiringAndReleasing) {
            var one: UInt64 = 1
            _ = Glibc.write(wakeFD, &one, 8)
        }
    }

    private func run() {
        let capacity = 256
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: capacity)
        defer { events.deallocate() }
        while running {
            let timeout = computeTimeout()
            let n = epoll_wait(epfd, events, Int32(capacity), timeout)
            now = Sys.monotonicNanos()
            if n < 0 {
                if Glibc.errno == EINTR { continue }
                fatalError("epoll_wait: errno \(Glibc.errno)")
            }
            for k in 0..<Int(n) {
                let data = csystem_epoll_event_data(events + k)
                let mask = csystem_epoll_event_events(events + k)
                if data == Self.wakeToken { drainInbox(); continue }
                let fd = Int32(truncatingIfNeeded: data & 0xFFFF_FFFF)
                let gen = UInt32(truncatingIfNeeded: data >> 32)
                guard Int(fd) < slots.count, slots[Int(fd)].gen == gen, let sink = slots[Int(fd)].sink else { continue }
                sink.handleEvents(mask)
            }
            runTimers()
            runSoonQueue()
        }
        // Close anything still registered so no fd outlives the loop.
        for s in slots.compactMap(\.sink) { s.terminate() }
        for i in slots.indices { slots[i].sink = nil }
        callbacks.removeAll()
        soon.removeAll()
        soonHead = 0
    }

    private func drainInbox() {
        var value: UInt64 = 0
        _ = Glibc.read(wakeFD, &value, 8)
        wakePending.store(false, ordering: .releasing)
        let work = inbox.withLock { q -> [@Sendable () -> Void] in
            let w = q
            q.removeAll(keepingCapacity: true)
            return w
        }
        for w in work { w() }
    }

    private func computeTimeout() -> Int32 {
        if soonHead < soon.count { return 0 }
        guard let earliest = heap.earliest else { return -1 }
        let current = Sys.monotonicNanos()
        if earliest <= current { return 0 }
        let ms = (earliest - current + 999_999) / 1_000_000
        return Int32(min(ms, 60_000))
    }

    private func runTimers() {
        while let e = heap.earliest, e <= now {
            let entry = heap.pop()!
            if let cb = callbacks.removeValue(forKey: entry.seq) {
                cb()
            } else if let owner = deadlineOwners.removeValue(forKey: entry.seq) {
                let fd = Int(owner.fd)
                if fd < slots.count, slots[fd].gen == owner.gen, let sink = slots[fd].sink { sink.deadlineReached() }
            }
        }
    }

    /// Runs the oldest ``runSoon(_:)`` work, at most ``soonPerTurn`` of it and none that this
    /// pass queues; the rest waits for the next turn, in order.
    private func runSoonQueue() {
        let end = min(soon.count, soonHead + Self.soonPerTurn)
        while soonHead < end {
            let work = soon[soonHead]
            soon[soonHead] = {}
            soonHead += 1
            work()
        }
        if soonHead == soon.count {
            soon.removeAll(keepingCapacity: true)
            soonHead = 0
        } else if soonHead >= 1024, soonHead * 2 >= soon.count {
            soon.removeFirst(soonHead)
            soonHead = 0
        }
    }

    /// Runs `body` on the loop thread once the I/O events and timers of the current turn are
    /// served, in the order queued, a bounded slice per turn (loop thread only); the loop does
    /// not block while such work waits. Cheaper than `schedule(after: .zero)`: no heap entry, no
    /// cancellation.
    public func runSoon(_ body: @escaping () -> Void) {
        soon.append(body)
    }

    // MARK: buffers (loop thread only)

    /// A zero-filled input buffer of ``inputBufferSize`` bytes.
    func takeInputBuffer() -> [UInt8] {
        spareInput.popLast() ?? [UInt8](repeating: 0, count: Self.inputBufferSize)
    }

    /// Takes back an input buffer (its contents are dead); leaves `buffer` empty.
    func recycleInput(_ buffer: inout [UInt8]) {
        if buffer.count == Self.inputBufferSize, spareInput.count < Self.spareBuffers { spareInput.append(buffer) }
        buffer = []
    }

    /// An empty output buffer, with capacity when a spare one is at hand.
    func takeOutputBuffer() -> [UInt8] { spareOutput.popLast() ?? [] }

    /// Takes back a written-out output buffer of at most ``spareOutputCapacity`` bytes (larger
    /// ones are freed); leaves `buffer` empty. The spares hold at most
    /// ``spareBuffers`` × ``spareOutputCapacity`` (6 MiB) per loop, and only as many as were busy
    /// at once.
    func recycleOutput(_ buffer: inout [UInt8]) {
        if buffer.capacity <= Self.spareOutputCapacity, spareOutput.count < Self.spareBuffers {
            buffer.removeAll(keepingCapacity: true)
            spareOutput.append(buffer)
        }
        buffer = []
    }

    // MARK: registration (loop thread only)

    /// Registers `sink` for `events` on `fd`; returns the registration generation.
    func register(fd: Int32, events: UInt32, sink: any EventSink) -> UInt32 {
        let i = Int(fd)
        if i >= slots.count { slots.append(contentsOf: repeatElement(Slot(sink: nil, gen: 0), count: i + 1 - slots.count + 64)) }
        let gen = nextGen
        nextGen &+= 1
        if nextGen == 0 { nextGen = 1 }
        slots[i] = Slot(sink: sink, gen: gen)
        var ev = epoll_event()
        csystem_epoll_event_set(&ev, events, UInt64(gen) << 32 | UInt64(UInt32(bitPattern: fd)))
        epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev)
        return gen
    }

    /// Hands the registered `fd` to another sink (an HTTP/1.1 connection becoming HTTP/2) with a
    /// new generation, so events and deadlines armed for the old sink no longer reach anyone.
    func replace(fd: Int32, events: UInt32, sink: any EventSink) -> UInt32 {
        let gen = nextGen
        nextGen &+= 1
        if nextGen == 0 { nextGen = 1 }
        slots[Int(fd)] = Slot(sink: sink, gen: gen)
        modify(fd: fd, gen: gen, events: events)
        return gen
    }

    func modify(fd: Int32, gen: UInt32, events: UInt32) {
        var ev = epoll_event()
        csystem_epoll_event_set(&ev, events, UInt64(gen) << 32 | UInt64(UInt32(bitPattern: fd)))
        epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev)
    }

    /// Removes `fd` from the loop. Call before closing it: the number is reused at once.
    func deregister(fd: Int32) {
        epoll_ctl(epfd, EPOLL_CTL_DEL, fd, nil)
        let i = Int(fd)
        if i < slots.count { slots[i].sink = nil; slots[i].gen = 0 }
    }

    /// Arms a deadline for the sink registered on `fd`; it gets ``EventSink/deadlineReached()``.
    func armDeadline(_ deadline: UInt64, fd: Int32, gen: UInt32) {
        let seq = nextSeq
        nextSeq &+= 1
        deadlineOwners[seq] = (fd, gen)
        heap.push(.init(deadline: deadline, seq: seq))
    }

    // MARK: timers (loop thread only)

    /// Runs `body` on the loop thread after `delay`.
    @discardableResult
    public func schedule(after delay: Duration, _ body: @escaping () -> Void) -> TimerID {
        schedule(at: Sys.monotonicNanos() &+ delay.nanoseconds, body)
    }

    func schedule(at deadline: UInt64, _ body: @escaping () -> Void) -> TimerID {
        let seq = nextSeq
        nextSeq &+= 1
        callbacks[seq] = body
        heap.push(.init(deadline: deadline, seq: seq))
        return TimerID(seq: seq)
    }

    /// Cancels a scheduled callback; a no-op when it already ran.
    public func cancel(_ id: TimerID) { callbacks.removeValue(forKey: id.seq) }

    /// Calls `body` for every registered sink (loop thread only).
    func forEachSink(_ body: (any EventSink) -> Void) {
        for s in slots.compactMap(\.sink) { body(s) }
    }

    /// Number of live callback timers (for tests proving nothing is left behind).
    var pendingCallbackCount: Int { callbacks.count }
}

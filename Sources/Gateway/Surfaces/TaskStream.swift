import HTTPCore
import HTTPServer
import Synchronization

/// `GET /v1/tasks/stream/{task_id}`: the task's timeline as server-sent events. The gateway's
/// docs name the endpoint and nothing more; the mock's design (README "Async tasks"):
///
/// - one event per step: `event: task.<status>` for a state change (`task.pending` (or
///   `task.queued` in the flat shape), `task.running`, `task.completed`, `task.failed`,
///   `task.cancelled`) and `event: task.progress` for each progress step while running;
/// - `data:` is exactly the object `/v1/tasks/query` answers at that step; `id:` is the step's
///   number (1, 2, …), so `Last-Event-ID` (header, or `?last_event_id=`) resumes after it with
///   nothing lost or repeated; a new stream replays from the first step;
/// - `: keep-alive` comments while idle (`--task-heartbeat`), a `retry: 2000` hint first;
/// - the stream ends (terminating chunk) right after the terminal event.
///
/// Steps come from the clock: a running clock wakes the stream at each step's time; a frozen
/// one moves only through `POST /__mock/clock`, which wakes every stream.
extension Gateway {
    func streamTask(_ id: String, _ fault: FaultRule?, _ ex: Exchange, _ responder: Responder, _ caller: Caller) {
        guard tasks.find(id: id, outTaskID: nil, accountID: caller.account.id) != nil else {
            return fail(.notFound("no task '\(id)' for this account", code: "task_not_found"), ex, responder)
        }
        var resume = 0
        if let raw = ex.request.header("last-event-id") ?? Query(ex.request.query).first("last_event_id") {
            guard let n = Int(raw.trimmingSpaces), n >= 0 else {
                return fail(.badRequest("Last-Event-ID: expected an event id (a non-negative integer), found '\(raw)'",
                                        param: "Last-Event-ID"), ex, responder)
            }
            resume = n
        }
        let head = head(ex, contentType: "text/event-stream", extra: ["Cache-Control": "no-cache"])
        guard let stream = responder.startStream(status: .ok, headers: { head.write(to: &$0) }) else {
            return record(ex, status: 0, bytes: 0)
        }
        openStreams.add(1, ordering: .relaxed)
        TaskStreamer(gateway: self, stream: stream, head: head, taskID: id, sent: resume, ex: ex, fault: fault).start()
    }
}

/// Writes one task's steps to one SSE stream. Confined to the stream's loop thread; it stays
/// alive through the engine's subscription and its stream timers until it finishes.
final class TaskStreamer {
    private let gateway: Gateway
    private let stream: ResponseStream
    private let head: Gateway.Head
    /// Every piece written, with its time (the journal's capture).
    private var transcript = StreamTranscript()
    private let taskID: String
    /// Steps already delivered (the last event id).
    private var sent: Int
    private let ex: Gateway.Exchange
    private let fault: FaultRule?
    private var subscription: Int?
    private var events = 0
    private var bytes = 0
    private var lastWrite = monotonicNanos()
    private var stalled = false
    /// The stream fault acts once.
    private var faultActed = false
    private var finished = false

    init(gateway: Gateway, stream: ResponseStream, head: Gateway.Head, taskID: String, sent: Int, ex: Gateway.Exchange, fault: FaultRule?) {
        self.gateway = gateway
        self.stream = stream
        self.head = head
        self.taskID = taskID
        self.sent = sent
        self.ex = ex
        self.fault = fault
    }

    func start() {
        nonisolated(unsafe) let me = self
        subscription = gateway.tasks.subscribe(taskID: taskID, loop: stream.loop) { me.pump() }
        stream.onClose = { [self] in finish(status: 200) }
        write(Array("retry: 2000\n\n".utf8), counts: false)
        armHeartbeat()
        pump()
    }

    private func pump() {
        guard !finished, !stalled, stream.isOpen else { return }
        if let t = gateway.tasks.task(taskID), !t.settled, t.endsAt <= gateway.clock.nowMillis { gateway.tasks.settle() }
        guard let task = gateway.tasks.task(taskID) else {
            // The task is gone (a reset): end the stream cleanly.
            stream.end()
            return finish(status: 200)
        }
        let now = gateway.clock.nowMillis
        let steps = task.steps(at: now)
        while sent < steps.count {
            if let f = fault, !faultActed, events == (f.afterEvents ?? 0) {
                faultActed = true
                if act(f) { return }
            }
            let step = steps[sent]
            sent += 1
            var data = task.encode(step, base: task.base)
            if let f = fault, f.action == .malformed, events == (f.afterEvents ?? 0) {  // acted just above
                data = Array(data.prefix(data.count / 2))
            }
            let name = step.status == .running && step.progress > 0 ? "progress" : task.word(step.status)
            var out = Array("id: \(sent)\nevent: task.\(name)\ndata: ".utf8)
            out += data
            out += [0x0A, 0x0A]
            write(out, counts: true)
            if step.status.isTerminal {
                stream.end()
                return finish(status: 200)
            }
        }
        if steps.last?.status.isTerminal == true {
            // Resumed after the terminal event: nothing more will come.
            stream.end()
            return finish(status: 200)
        }
        if !gateway.clock.isFrozen, let next = task.nextStep(after: now) {
            stream.schedule(after: .milliseconds(max(1, next - now))) { [self] in pump() }
        }
    }

    /// Acts on the stream fault due before the next event; true when the stream is over.
    private func act(_ f: FaultRule) -> Bool {
        switch f.action {
        case .status:
            var out = Array("event: error\ndata: ".utf8)
            out += ex.surface.errorBody(f.error, requestID: ex.requestID)
            out += [0x0A, 0x0A]
            write(out, counts: true)
            stream.end()
        case .end:
            stream.end()
        case .cut, .reset:
            stream.disconnect(f.action.disconnect)
        case .stall:
            stalled = true
            let resume = { [self] in stalled = false; pump() }
            stream.schedule(after: .milliseconds(f.stallMillis), resume)
            return true
        case .rstStream, .goaway, .dataStall:
            guard let h = f.http2Fault else { return false }
            stream.flush()  // the events before it go first
            guard stream.inject(h) else { ex.noteHTTP2Skipped(f); return false }
            if !h.endsStream { return false }
        default:
            return false
        }
        finish(status: 200)
        return true
    }

    private func write(_ bytes: [UInt8], counts: Bool) {
        stream.write(bytes)
        transcript.append(chunk: bytes)
        lastWrite = monotonicNanos()
        self.bytes += bytes.count
        if counts { events += 1 }
    }

    private func armHeartbeat() {
        let every = gateway.tasks.options.heartbeatMillis
        stream.schedule(after: .milliseconds(every)) { [self] in
            guard !finished else { return }
            if monotonicNanos() &- lastWrite >= UInt64(every) * 900_000 { write(Array(": keep-alive\n\n".utf8), counts: false) }
            armHeartbeat()
        }
    }

    private func finish(status: Int) {
        guard !finished else { return }
        finished = true
        if let s = subscription { gateway.tasks.unsubscribe(s) }
        subscription = nil
        gateway.openStreams.subtract(1, ordering: .relaxed)
        gateway.record(ex, status: status, events: events, bytes: bytes,
                       response: CapturedResponse(head: head, body: .stream(transcript)))
    }
}

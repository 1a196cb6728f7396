import Dispatch
import HTTPServer
import Media

/// Delivers a task's terminal state to its `callback_url`: `POST` of the task object (the same
/// bytes a query answers), signed `X-ByteSpike-Signature: sha256=<hex HMAC-SHA256(secret, body)>`,
/// retried with doubling waits until a 2xx or the attempt limit. Every attempt is a journal entry
/// (`surface: callback`, `path`: the URL, `status`: the receiver's, 0 with `error` when none).
///
/// Concurrency: Sendable; deliveries run on a concurrent Dispatch queue, never on a loop.
final class CallbackSender: Sendable {
    private let options: TaskOptions
    private let journal: Journal
    private let ids: RequestIDs
    private let clock: GatewayClock
    private let queue = DispatchQueue(label: "bytespike-mock.callbacks", attributes: .concurrent)

    init(options: TaskOptions, journal: Journal, ids: RequestIDs, clock: GatewayClock) {
        self.options = options
        self.journal = journal
        self.ids = ids
        self.clock = clock
    }

    func deliver(_ task: MediaTask, _ step: MediaTask.Step) {
        guard let url = task.callbackURL else { return }
        let body = task.encode(step, base: task.base)
        let signature = "sha256=" + Media.hex(Media.hmacSHA256(key: Array(task.callbackSecret.utf8), message: body))
        let headers = [
            ("Content-Type", "application/json"),
            ("X-ByteSpike-Event", "task." + task.word(step.status)),
            ("X-ByteSpike-Task-Id", task.id),
            ("X-ByteSpike-Delivery", "dlv_" + task.id.dropFirst(5)),
            ("X-ByteSpike-Timestamp", String(step.at / 1000)),
            ("X-ByteSpike-Signature", signature),
        ]
        attempt(1, url: url, headers: headers, body: body, task: task)
    }

    private func attempt(_ n: Int, url: String, headers: [(String, String)], body: [UInt8], task: MediaTask) {
        queue.async { [self] in
            let started = monotonicNanos()
            var h = headers
            h.append(("X-ByteSpike-Attempt", String(n)))
            let outcome = url.lowercased().hasPrefix("https://")
                ? CallbackPost.Outcome(status: nil, error: "https callbacks are not delivered by the mock; use an http:// URL")
                : CallbackPost.send(url: url, headers: h, body: body, timeoutMillis: options.callbackTimeoutMillis)
            let ms = Double(monotonicNanos() &- started) / 1_000_000
            journal.record(JournalEntry(id: ids.next(), seq: 0, session: task.session, time: clock.now, method: "POST", path: url,
                                        surface: "callback", keyID: task.keyID, model: task.model.id, stream: false,
                                        status: outcome.status ?? 0, attempt: n, faults: [], events: 0, bytes: body.count,
                                        durationMillis: (ms * 1000).rounded() / 1000, error: outcome.error))
            let delivered = outcome.status.map { (200..<300).contains($0) } ?? false
            guard !delivered, n < options.callbackAttempts, !url.lowercased().hasPrefix("https://") else { return }
            let wait = options.callbackBackoffMillis << min(20, n - 1)
            queue.asyncAfter(deadline: .now() + .milliseconds(wait)) { [self] in
                attempt(n + 1, url: url, headers: headers, body: body, task: task)
            }
        }
    }
}

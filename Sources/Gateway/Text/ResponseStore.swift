import Synchronization

/// Stored OpenAI Responses (`store: true`, the default): the body for `GET /v1/responses/{id}`
/// and the conversation `previous_response_id` continues. Scoped to the account that created
/// each response.
///
/// Budget: at most ``capacity`` responses and ``byteBudget`` bytes (each entry's body plus its
/// conversation's text, counted as if nothing were shared); past either, the oldest go first,
/// and a `previous_response_id` naming one of them is then the usual 404.
///
/// Concurrency: Sendable through one Mutex.
final class ResponseStore: Sendable {
    struct Entry: Sendable {
        var accountID: String
        var body: [UInt8]
        /// The whole conversation up to and including this response's output.
        var messages: [ChatMessage]

        /// The bytes the entry is charged: body, texts and a fixed overhead per message and part.
        var cost: Int {
            var n = 128 + body.count + accountID.utf8.count
            for m in messages {
                n += 48
                for p in m.parts {
                    n += 64
                    switch p {
                    case .text(let t), .thinking(let t): n += t.utf8.count
                    case .image(let t): n += t.utf8.count
                    case .toolCall(let id, let name, let args): n += id.utf8.count + name.utf8.count + args.utf8.count
                    case .toolResult(let id, let name, let content, _): n += id.utf8.count + (name?.utf8.count ?? 0) + content.utf8.count
                    }
                }
            }
            return n
        }
    }

    static let capacity = 10_000
    static let byteBudget = 8 << 20

    private struct State {
        var entries: [String: (entry: Entry, cost: Int)] = [:]
        var order = FIFO<String>()
        var bytes = 0
    }

    private let state = Mutex(State())
    let capacity: Int
    let byteBudget: Int

    init(capacity: Int = ResponseStore.capacity, byteBudget: Int = ResponseStore.byteBudget) {
        self.capacity = max(1, capacity)
        self.byteBudget = byteBudget
    }

    func put(_ id: String, _ entry: Entry) {
        let cost = entry.cost
        guard cost <= byteBudget else { return }  // larger than the whole store: not kept
        state.withLock { s in
            if let old = s.entries.updateValue((entry, cost), forKey: id) { s.bytes -= old.cost } else { s.order.append(id) }
            s.bytes += cost
            while s.entries.count > capacity || s.bytes > byteBudget, let oldest = s.order.popFirst() {
                if let gone = s.entries.removeValue(forKey: oldest) { s.bytes -= gone.cost }
            }
        }
    }

    func get(_ id: String, accountID: String) -> Entry? {
        state.withLock { s in s.entries[id].flatMap { $0.entry.accountID == accountID ? $0.entry : nil } }
    }

    @discardableResult
    func remove(_ id: String, accountID: String) -> Bool {
        state.withLock { s in
            guard let e = s.entries[id], e.entry.accountID == accountID else { return false }
            s.entries[id] = nil
            s.bytes -= e.cost
            // Its name stays queued until it comes up (popping it then frees nothing), unless
            // such names are half the queue: then the queue is compacted.
            if s.order.count > 2 * s.entries.count + 64 {
                let live = s.entries
                s.order.removeAll { live[$0] == nil }
            }
            return true
        }
    }

    /// Responses and bytes held now.
    var usage: (count: Int, bytes: Int) { state.withLock { ($0.entries.count, $0.bytes) } }

    func reset() { state.withLock { $0 = State() } }
}

import Synchronization

/// Stored OpenAI Responses (`store: true`, the default): the body for `GET /v1/responses/{id}`
/// and the conversation `previous_response_id` continues. Bounded: the oldest entries go
/// first once ``capacity`` is reached. Scoped to the account that created each response.
///
/// Concurrency: Sendable through one Mutex.
final class ResponseStore: Sendable {
    struct Entry: Sendable {
        var accountID: String
        var body: [UInt8]
        /// The whole conversation up to and including this response's output.
        var messages: [ChatMessage]
    }

    static let capacity = 10_000

    private struct State {
        var entries: [String: Entry] = [:]
        var order: [String] = []
        var head = 0
    }

    private let state = Mutex(State())

    func put(_ id: String, _ entry: Entry) {
        state.withLock { s in
            if s.entries.updateValue(entry, forKey: id) == nil { s.order.append(id) }
            while s.order.count - s.head > Self.capacity {
                s.entries[s.order[s.head]] = nil
                s.head += 1
            }
            if s.head > Self.capacity { s.order.removeFirst(s.head); s.head = 0 }
        }
    }

    func get(_ id: String, accountID: String) -> Entry? {
        state.withLock { s in s.entries[id].flatMap { $0.accountID == accountID ? $0 : nil } }
    }

    @discardableResult
    func remove(_ id: String, accountID: String) -> Bool {
        state.withLock { s in
            guard s.entries[id]?.accountID == accountID else { return false }
            s.entries[id] = nil
            return true
        }
    }

    func reset() { state.withLock { $0 = State() } }
}

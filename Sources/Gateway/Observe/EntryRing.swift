/// The journal's storage: a growable ring of entries, oldest first. Appending and dropping the
/// oldest are O(1); storage grows by doubling and is never larger than twice the entries kept.
///
/// Concurrency: a value, confined to the journal's lock.
struct EntryRing {
    private var slots: [JournalEntry?] = []
    private var head = 0
    private(set) var count = 0

    mutating func append(_ e: JournalEntry) {
        if count == slots.count { grow() }
        slots[(head + count) % slots.count] = e
        count += 1
    }

    /// Removes and returns the oldest entry; the ring must not be empty.
    @discardableResult
    mutating func removeFirst() -> JournalEntry {
        let e = slots[head]!
        slots[head] = nil
        head = (head + 1) % slots.count
        count -= 1
        return e
    }

    func forEach(_ body: (JournalEntry) -> Void) {
        var i = 0
        while i < count {
            body(slots[(head + i) % slots.count]!)
            i += 1
        }
    }

    func first(where match: (JournalEntry) -> Bool) -> JournalEntry? {
        var i = 0
        while i < count {
            let e = slots[(head + i) % slots.count]!
            if match(e) { return e }
            i += 1
        }
        return nil
    }

    private mutating func grow() {
        var bigger: [JournalEntry?] = []
        bigger.reserveCapacity(max(16, slots.count * 2))
        forEach { bigger.append($0) }
        bigger.append(contentsOf: repeatElement(nil, count: max(16, slots.count * 2) - bigger.count))
        slots = bigger
        head = 0
    }
}

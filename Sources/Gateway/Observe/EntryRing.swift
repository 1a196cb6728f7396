/// The journal's storage: a growable ring of entries, oldest first. Appending and dropping the
/// oldest are O(1), and entries are moved in and out (swapped), never copied: an entry holds
/// some twenty references, and a copy would retain and release each of them. Storage grows by
/// doubling (moving the entries) and is never larger than twice the entries kept.
///
/// Concurrency: a value, confined to the journal's lock.
struct EntryRing {
    private var slots: [JournalEntry?] = []
    private var head = 0
    private(set) var count = 0

    /// Moves `entry` into the ring (it is nil afterwards).
    mutating func append(taking entry: inout JournalEntry?) {
        if count == slots.count { grow() }
        swap(&slots[(head + count) % slots.count], &entry)
        count += 1
    }

    mutating func append(_ e: JournalEntry) {
        var moved: JournalEntry? = e
        append(taking: &moved)
    }

    /// Moves the oldest entry out; the ring must not be empty.
    mutating func removeFirst() -> JournalEntry {
        var out: JournalEntry?
        swap(&out, &slots[head])
        head = (head + 1) % slots.count
        count -= 1
        return out!
    }

    func forEach(_ body: (JournalEntry) -> Void) {
        var i = 0
        while i < count {
            if let e = slots[(head + i) % slots.count] { body(e) }
            i += 1
        }
    }

    func first(where match: (JournalEntry) -> Bool) -> JournalEntry? {
        var i = 0
        while i < count {
            if let e = slots[(head + i) % slots.count], match(e) { return e }
            i += 1
        }
        return nil
    }

    private mutating func grow() {
        let size = max(16, slots.count * 2)
        var bigger = [JournalEntry?](repeating: nil, count: size)
        for i in 0..<count { swap(&bigger[i], &slots[(head + i) % slots.count]) }
        slots = bigger
        head = 0
    }
}

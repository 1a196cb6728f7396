/// A first-in first-out queue over an array with a moving head: `popFirst` is O(1), and the
/// consumed prefix is dropped once it is half the storage, so memory stays proportional to the
/// elements queued. What the bounded stores evict in arrival order.
///
/// Concurrency: a value; its owner's lock guards it.
struct FIFO<Element> {
    private var storage: [Element] = []
    private var head = 0

    var count: Int { storage.count - head }
    var isEmpty: Bool { head == storage.count }
    var first: Element? { isEmpty ? nil : storage[head] }

    mutating func append(_ e: Element) { storage.append(e) }

    mutating func popFirst() -> Element? {
        guard head < storage.count else { return nil }
        let e = storage[head]
        head += 1
        if head >= 64, head * 2 >= storage.count {
            storage.removeFirst(head)
            head = 0
        }
        return e
    }

    /// Removes every element for which `drop` is true, keeping the order of the rest.
    mutating func removeAll(where drop: (Element) -> Bool) {
        storage.removeFirst(head)
        head = 0
        storage.removeAll(where: drop)
    }
}

extension FIFO: Sendable where Element: Sendable {}

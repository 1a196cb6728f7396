/// A binary min-heap of deadlines. Entries are never removed early: cancelled or superseded
/// entries are skipped when they surface (lazy deletion), which keeps every operation O(log n).
struct TimerHeap {
    struct Entry {
        var deadline: UInt64
        var seq: UInt64
    }

    private var items: [Entry] = []

    var isEmpty: Bool { items.isEmpty }
    var earliest: UInt64? { items.first?.deadline }
    var count: Int { items.count }

    mutating func push(_ e: Entry) {
        items.append(e)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard items[i].deadline < items[parent].deadline else { break }
            items.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() -> Entry? {
        guard !items.isEmpty else { return nil }
        let top = items[0]
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < items.count, items[l].deadline < items[m].deadline { m = l }
                if r < items.count, items[r].deadline < items[m].deadline { m = r }
                if m == i { break }
                items.swapAt(i, m)
                i = m
            }
        }
        return top
    }
}

/// The index of one (account, model, key) combination of the ledger: its kept rows' numbers
/// sorted by (time, number), with running sums every ``block`` entries, so the rows and the sums
/// of any time range come from two binary searches and at most two short scans, however large the
/// ledger. 4 bytes a row (the low 32 bits of its number) plus 32 bytes per block.
///
/// Rows arrive almost in time order: an append is O(1); a row older than the newest (a task
/// billed at its completion time, a clock moved back) is inserted, costing the entries after it.
/// Dropped rows leave from the front (O(1)) unless they were inserted out of order.
///
/// Positions before ``head`` are dropped rows, kept until a compaction so that the running sums
/// stay absolute: `blocks[b]` is the sum of entries `0 ..< b * block`, `total` of every entry.
///
/// Concurrency: a value inside ``Accounting``'s Mutex.
struct LedgerSeries: Sendable {
    static let block = 64

    let account: UInt32
    let model: UInt32
    let key: UInt32
    /// Low 32 bits of the row numbers (see ``LedgerTable/number(_:)``).
    private(set) var numbers: [UInt32] = []
    private(set) var head = 0
    private var blocks: [LedgerSums] = []
    private var total = LedgerSums()

    init(account: UInt32, model: UInt32, key: UInt32) {
        self.account = account
        self.model = model
        self.key = key
    }

    /// Positions of the kept rows.
    var live: Range<Int> { head..<numbers.count }

    func number(at p: Int, _ t: LedgerTable) -> Int { t.number(numbers[p]) }
    func time(at p: Int, _ t: LedgerTable) -> Int { t.time(t.number(numbers[p])) }
    private func sums(at p: Int, _ t: LedgerTable) -> LedgerSums { t.sums(t.number(numbers[p])) }

    // MARK: reads

    /// The first position in `range` whose time is at least `time` (`range.upperBound` if none).
    func lowerBound(time: Int, in range: Range<Int>, _ t: LedgerTable) -> Int {
        Self.firstPosition(in: range) { self.time(at: $0, t) >= time }
    }

    /// The first position in `range` whose time is after `time` (`range.upperBound` if none).
    func upperBound(time: Int, in range: Range<Int>, _ t: LedgerTable) -> Int {
        Self.firstPosition(in: range) { self.time(at: $0, t) > time }
    }

    /// The first position in `range` whose row number is at least `number`; `range` must hold
    /// rows of one time (sorted by number then).
    func lowerBound(number: Int, in range: Range<Int>, _ t: LedgerTable) -> Int {
        Self.firstPosition(in: range) { self.number(at: $0, t) >= number }
    }

    /// The binary search behind the bounds: the first position where `isAtOrPast` holds, given
    /// that it holds for every position after it too (`range.upperBound` if none).
    private static func firstPosition(in range: Range<Int>, _ isAtOrPast: (Int) -> Bool) -> Int {
        var lo = range.lowerBound, hi = range.upperBound
        while lo < hi {
            let mid = lo + (hi - lo) / 2
            if isAtOrPast(mid) { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }

    /// The kept positions with a time in [since, until).
    func range(since: Int?, until: Int?, _ t: LedgerTable) -> Range<Int> {
        let a = since.map { lowerBound(time: $0, in: live, t) } ?? head
        let b = until.map { lowerBound(time: $0, in: a..<numbers.count, t) } ?? numbers.count
        return a..<max(a, b)
    }

    /// The sums of the entries at `range` (kept positions).
    func sum(_ range: Range<Int>, _ t: LedgerTable) -> LedgerSums {
        range.isEmpty ? LedgerSums() : prefix(range.upperBound, t) - prefix(range.lowerBound, t)
    }

    /// The sum of entries `0 ..< p` (`p` a kept position or the end), from the nearest block
    /// boundary: the one below when its block holds no dropped entry, else the one above.
    private func prefix(_ p: Int, _ t: LedgerTable) -> LedgerSums {
        if p == numbers.count { return total }
        let b = p / Self.block, start = b * Self.block
        if start >= head {
            var s = blocks[b]
            for i in start..<p { s += sums(at: i, t) }
            return s
        }
        let end = min(start + Self.block, numbers.count)
        var s = end == numbers.count ? total : blocks[b + 1]
        for i in p..<end { s -= sums(at: i, t) }
        return s
    }

    // MARK: changes

    /// Adds row `number` (the newest in the table) at its place by time.
    mutating func insert(_ number: Int, time: Int, sums e: LedgerSums, _ t: LedgerTable) {
        let low = UInt32(truncatingIfNeeded: number)
        let oldCount = numbers.count
        if oldCount % Self.block == 0 { blocks.append(total) }
        if oldCount == head || self.time(at: oldCount - 1, t) <= time {
            numbers.append(low)
        } else {
            // After every row of the same or an earlier time (it is the newest number).
            let p = upperBound(time: time, in: live, t)
            numbers.insert(low, at: p)
            // Each block boundary past p now has one more entry before it (the new one) and
            // one fewer (the entry pushed across it, now at the boundary).
            var k = p / Self.block + 1
            while k < blocks.count {
                blocks[k] = blocks[k] + e - sums(at: k * Self.block, t)
                k += 1
            }
        }
        total += e
    }

    /// Removes row `number` (the oldest in the table, still readable) before the table drops it.
    mutating func remove(_ number: Int, time: Int, sums e: LedgerSums, _ t: LedgerTable) {
        if head < numbers.count, self.number(at: head, t) == number {
            head += 1
            compactIfWorthIt()
            return
        }
        let sameTime = lowerBound(time: time, in: live, t)..<upperBound(time: time, in: live, t)
        let p = lowerBound(number: number, in: sameTime, t)
        guard p < sameTime.upperBound, self.number(at: p, t) == number else { return }
        numbers.remove(at: p)
        let blockCount = (numbers.count + Self.block - 1) / Self.block
        var k = p / Self.block + 1
        while k < blockCount {
            blocks[k] = blocks[k] - e + sums(at: k * Self.block - 1, t)
            k += 1
        }
        blocks.removeLast(blocks.count - blockCount)
        total -= e
    }

    /// Forgets the dropped entries once they are half the storage, whole blocks at a time (the
    /// running sums stay absolute, so no sum changes).
    private mutating func compactIfWorthIt() {
        guard head >= 4096, head * 2 >= numbers.count else { return }
        let cut = head / Self.block * Self.block
        numbers.removeFirst(cut)
        blocks.removeFirst(cut / Self.block)
        head -= cut
    }
}

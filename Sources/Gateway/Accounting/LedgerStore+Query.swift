/// Which rows a usage read covers: times in [since, until), one model and one key when given.
struct UsageFilter: Sendable, Equatable {
    var since: Int?
    var until: Int?
    var model: String?
    var key: String?
}

/// One page of `/v1/usage`: its rows, newest first, and what every filtered row adds up to.
struct UsagePage: Sendable, Equatable {
    var rows: [LedgerRow]
    var totals: LedgerSums
}

/// One bucket of `/api/v1/me/usage`: its start time (by day or hour), model and key when
/// grouped by them, and its sums.
struct UsageBucket: Sendable, Equatable {
    var start: Int?
    var model: String?
    var key: String?
    var sums: LedgerSums
}

/// The usage reads, from the index: binary searches per series, then work in proportion to the
/// page or to the buckets.
extension LedgerStore {
    /// The rows of page `page` (from 1) of `size` rows, newest first (by time, then by the order
    /// billed), of the rows matching `filter`, and their totals.
    func usagePage(accountID: String, filter: UsageFilter, page: Int, size: Int) -> UsagePage {
        let chosen = series(accountID: accountID, model: filter.model, key: filter.key)
        let ranges = chosen.map { series[$0].range(since: filter.since, until: filter.until, table) }
        var totals = LedgerSums()
        for (s, r) in zip(chosen, ranges) { totals += series[s].sum(r, table) }
        let (skip, overflow) = (page - 1).multipliedReportingOverflow(by: size)
        guard !overflow, skip < totals.requests, size > 0 else { return UsagePage(rows: [], totals: totals) }
        // Cursors just below the `skip` newest rows of each series, then a merge downwards.
        var cursors = cut(chosen, ranges, skip: skip)
        var rows: [LedgerRow] = []
        rows.reserveCapacity(min(size, totals.requests - skip))
        while rows.count < size {
            var best: (i: Int, time: Int, number: Int)?
            for (i, s) in chosen.enumerated() where cursors[i] > ranges[i].lowerBound {
                let p = cursors[i] - 1
                let time = series[s].time(at: p, table), number = series[s].number(at: p, table)
                if best.map({ (time, number) > ($0.time, $0.number) }) ?? true { best = (i, time, number) }
            }
            guard let best else { break }
            cursors[best.i] -= 1
            rows.append(row(best.number))
        }
        return UsagePage(rows: rows, totals: totals)
    }

    /// For each series, the position above which lie its rows among the `skip` newest of all
    /// (by time, then number): found by a binary search on the time, then on the number within
    /// that second, counting with binary searches in every series.
    private func cut(_ chosen: [Int], _ ranges: [Range<Int>], skip: Int) -> [Int] {
        if chosen.count == 1 { return [ranges[0].upperBound - skip] }
        func countAfter(_ time: Int) -> Int {
            var n = 0
            for (s, r) in zip(chosen, ranges) { n += r.upperBound - series[s].upperBound(time: time, in: r, table) }
            return n
        }
        // T: the time of the first row of the page, the latest time with more than `skip` rows at or after it.
        var lo = Int.max, hi = Int.min
        for (s, r) in zip(chosen, ranges) where !r.isEmpty {
            lo = min(lo, series[s].time(at: r.lowerBound, table))
            hi = max(hi, series[s].time(at: r.upperBound - 1, table))
        }
        // Invariant: rows at or after lo > skip; rows after hi = 0 ≤ skip.
        while lo < hi {
            let mid = Self.midpointUp(lo, hi)
            if countAfter(mid - 1) > skip { lo = mid } else { hi = mid - 1 }
        }
        let time = lo
        let rest = skip - countAfter(time)  // rows of second `time` among the skipped
        let seconds = zip(chosen, ranges).map { s, r in
            series[s].lowerBound(time: time, in: r, table)..<series[s].upperBound(time: time, in: r, table)
        }
        func countFrom(_ number: Int) -> Int {
            var n = 0
            for (s, r) in zip(chosen, seconds) { n += r.upperBound - series[s].lowerBound(number: number, in: r, table) }
            return n
        }
        // X: the number of the first row of the page, the largest with more than `rest` rows of
        // that second at or above it.
        var nlo = table.dropped, nhi = table.end - 1
        while nlo < nhi {
            let mid = Self.midpointUp(nlo, nhi)
            if countFrom(mid) > rest { nlo = mid } else { nhi = mid - 1 }
        }
        return zip(chosen, seconds).map { s, r in series[s].lowerBound(number: nlo + 1, in: r, table) }
    }

    /// The middle of lo < hi, rounded up (lo < mid ≤ hi), for any two Ints.
    static func midpointUp(_ lo: Int, _ hi: Int) -> Int {
        let d = UInt(bitPattern: hi &- lo)
        return lo &+ Int(bitPattern: d / 2 + d % 2)
    }

    /// The sums of the rows matching `filter`, per bucket: by time (`width` seconds, floored from
    /// the epoch) when given, by model and by key when asked; and the totals.
    func usageBuckets(accountID: String, filter: UsageFilter, width: Int?, byModel: Bool, byKey: Bool)
        -> (buckets: [UsageBucket], totals: LedgerSums) {
        struct Key: Hashable { var start: Int?; var model: UInt32?; var key: UInt32? }
        var sums: [Key: LedgerSums] = [:]
        var totals = LedgerSums()
        for s in series(accountID: accountID, model: filter.model, key: filter.key) {
            let one = series[s]
            let r = one.range(since: filter.since, until: filter.until, table)
            guard !r.isEmpty else { continue }
            let base = Key(start: nil, model: byModel ? one.model : nil, key: byKey ? one.key : nil)
            guard let width, width > 0 else {
                let add = one.sum(r, table)
                sums[base, default: LedgerSums()] += add
                totals += add
                continue
            }
            // Jump from bucket to bucket: one binary search per non-empty bucket.
            var p = r.lowerBound
            while p < r.upperBound {
                let t = one.time(at: p, table)
                let start = t &- ((t % width) &+ width) % width
                let (next, overflow) = start.addingReportingOverflow(width)
                let end = overflow ? r.upperBound : one.lowerBound(time: next, in: p..<r.upperBound, table)
                let add = one.sum(p..<end, table)
                var k = base
                k.start = start
                sums[k, default: LedgerSums()] += add
                totals += add
                p = end
            }
        }
        let buckets = sums.map { k, v in
            UsageBucket(start: k.start, model: k.model.map(name), key: k.key.map(name), sums: v)
        }
        return (buckets, totals)
    }
}

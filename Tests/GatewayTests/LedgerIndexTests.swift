@testable import BytespikeMock
import Testing

/// The ledger's index and running sums against brute force over the same randomized rows:
/// out-of-order times, rows kept whole, drops past the capacity (in and out of order), every
/// filter, page and bucket grouping.
@Suite struct LedgerIndexTests {
    struct Rng {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    }

    static let accounts = ["acct_a", "acct_b", "acct_c"]
    static let models = ["m1", "m2", "m3", "m4"]
    static let keys = ["k1", "k2", "k3"]
    static let t0 = 1_780_000_000

    /// Appends `n` random rows to a store of `capacity`; returns it and every row with its number.
    static func ledger(seed: UInt64, n: Int, capacity: Int, combos: Int = 36) -> (LedgerStore, [(number: Int, row: LedgerRow)]) {
        var rng = Rng(state: seed)
        var store = LedgerStore(capacity: capacity)
        var all: [(Int, LedgerRow)] = []
        let ids = RequestIDs(seed: seed)
        var clock = t0
        for i in 0..<n {
            clock += rng.below(400)
            // One row in eight is older than the clock (a task billed late, a clock moved back).
            let time = rng.below(8) == 0 ? clock - rng.below(20_000) : clock
            let combo = rng.below(combos)
            // Text rows; media rows (packed with a request or task id); rows kept whole.
            var usage = Usage(inputTokens: rng.below(5000), outputTokens: rng.below(900), thinkingTokens: rng.below(50))
            var id = ids.next()
            switch rng.below(12) {
            case 0: usage = Usage(images: 1 + rng.below(4))
            case 1: usage = Usage(videoSeconds: 1 + rng.below(20)); id = taskID(&rng)
            case 2: id = "custom-\(i)"
            case 3: usage.cacheReadTokens = 1 + rng.below(100)
            default: break
            }
            let row = LedgerRow(requestID: id, time: time, keyID: keys[combo % 3], accountID: accounts[combo / 12 % 3],
                                model: models[combo / 3 % 4], surface: "chat", usage: usage,
                                credits: Credits(micros: 1 + rng.below(100_000)))
            store.append(row)
            all.append((i, row))
        }
        return (store, Array(all.suffix(capacity)))
    }

    /// A task id: `task_` and 26 ULID characters (a first one past `7` cannot be packed).
    static func taskID(_ rng: inout Rng) -> String {
        let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
        return "task_" + String((0..<26).map { _ in alphabet[rng.below(32)] })
    }

    @Test func ledgerStore_packsMediaRowsAndGivesThemBack() {
        var rng = Rng(state: 5)
        var store = LedgerStore()
        var rows: [LedgerRow] = []
        let ids = RequestIDs(seed: 5)
        for i in 0..<2000 {
            let id = i % 3 == 0 ? Self.taskID(&rng) : ids.next()
            let usage = i % 2 == 0 ? Usage(images: rng.below(10)) : Usage(videoSeconds: rng.below(30))
            let row = LedgerRow(requestID: id, time: Self.t0 + i, keyID: "k", accountID: "a", model: "m",
                                surface: i % 3 == 0 ? "tasks" : "images", usage: usage, credits: Credits(micros: 7 * i))
            store.append(row)
            rows.append(row)
        }
        #expect(store.rows(accountID: "a") == rows)
        #expect(LedgerStore.packTask("task_7ZZZZZZZZZZZZZZZZZZZZZZZZZ").map(LedgerStore.unpackTask) == "task_7ZZZZZZZZZZZZZZZZZZZZZZZZZ")
        #expect(LedgerStore.packTask("task_8000000000000000000000000") == nil)
        #expect(LedgerStore.packTask("task_000000000000000000000000I0") == nil)
    }

    static func expectedPage(_ kept: [(number: Int, row: LedgerRow)], account: String, filter: UsageFilter, page: Int, size: Int) -> UsagePage {
        let rows = kept.filter { n, r in
            r.accountID == account && (filter.since.map { r.time >= $0 } ?? true) && (filter.until.map { r.time < $0 } ?? true)
                && (filter.model.map { r.model == $0 } ?? true) && (filter.key.map { r.keyID == $0 } ?? true)
        }.sorted { ($0.row.time, $0.number) > ($1.row.time, $1.number) }
        var totals = LedgerSums()
        for (_, r) in rows {
            totals += LedgerSums(requests: 1, credits: r.credits.micros, input: r.usage.inputTokens, output: r.usage.outputTokens)
        }
        let start = min(rows.count, (page - 1) * size)
        return UsagePage(rows: rows[start..<min(rows.count, start + size)].map(\.row), totals: totals)
    }

    static func randomFilter(_ rng: inout Rng) -> UsageFilter {
        var f = UsageFilter()
        if rng.below(2) == 0 { f.since = t0 + rng.below(1_200_000) - 30_000 }
        if rng.below(2) == 0 { f.until = (f.since ?? t0) + rng.below(900_000) }
        switch rng.below(4) {
        case 0: f.model = models[rng.below(4)]
        case 1: f.model = "never-billed"
        default: break
        }
        if rng.below(3) == 0 { f.key = rng.below(5) == 0 ? "nope" : keys[rng.below(3)] }
        return f
    }

    @Test(arguments: [(UInt64(1), Int.max), (2, 3000), (3, 700), (4, 1)])
    func usagePage_equalsBruteForce(_ seed: UInt64, _ capacity: Int) {
        let (store, kept) = Self.ledger(seed: seed, n: 6000, capacity: capacity)
        var rng = Rng(state: seed ^ 0xABCD)
        for _ in 0..<300 {
            let account = Self.accounts[rng.below(3)]
            let filter = Self.randomFilter(&rng)
            let size = [1, 3, 50, 1000][rng.below(4)]
            let page = rng.below(4) == 0 ? 1 + rng.below(3000) : 1 + rng.below(6)
            let got = store.usagePage(accountID: account, filter: filter, page: page, size: size)
            let want = Self.expectedPage(kept, account: account, filter: filter, page: page, size: size)
            #expect(got == want, "\(account) \(filter) page \(page) size \(size)")
        }
    }

    @Test(arguments: [(UInt64(5), Int.max), (6, 2500)])
    func usageBuckets_equalBruteForce(_ seed: UInt64, _ capacity: Int) {
        let (store, kept) = Self.ledger(seed: seed, n: 5000, capacity: capacity)
        var rng = Rng(state: seed ^ 0x1234)
        for _ in 0..<200 {
            let account = Self.accounts[rng.below(3)]
            let filter = Self.randomFilter(&rng)
            let width = [nil, 86_400, 3600][rng.below(3)]
            let byModel = rng.below(2) == 0, byKey = rng.below(2) == 0
            let got = store.usageBuckets(accountID: account, filter: filter, width: width, byModel: byModel, byKey: byKey)
            struct Key: Hashable { var start: Int?; var model: String?; var key: String? }
            var want: [Key: LedgerSums] = [:]
            var totals = LedgerSums()
            for (_, r) in kept where r.accountID == account && (filter.since.map { r.time >= $0 } ?? true)
                && (filter.until.map { r.time < $0 } ?? true) && (filter.model.map { r.model == $0 } ?? true)
                && (filter.key.map { r.keyID == $0 } ?? true) {
                let s = LedgerSums(requests: 1, credits: r.credits.micros, input: r.usage.inputTokens, output: r.usage.outputTokens)
                let k = Key(start: width.map { r.time - ((r.time % $0) + $0) % $0 }, model: byModel ? r.model : nil, key: byKey ? r.keyID : nil)
                want[k, default: LedgerSums()] += s
                totals += s
            }
            let gotMap = Dictionary(uniqueKeysWithValues: got.buckets.map { (Key(start: $0.start, model: $0.model, key: $0.key), $0.sums) })
            #expect(gotMap == want, "\(account) \(filter) width \(String(describing: width)) \(byModel) \(byKey)")
            #expect(got.totals == totals)
        }
    }

    /// One series long enough for its dropped front to be compacted (4,096 dropped entries).
    @Test func usagePage_afterCompactionEqualsBruteForce() {
        let (store, kept) = Self.ledger(seed: 9, n: 12_000, capacity: 1500, combos: 1)
        var rng = Rng(state: 99)
        #expect(store.series.count == 1)
        for _ in 0..<100 {
            let filter = Self.randomFilter(&rng)
            let page = 1 + rng.below(40), size = [1, 17, 100][rng.below(3)]
            #expect(store.usagePage(accountID: "acct_a", filter: filter, page: page, size: size)
                    == Self.expectedPage(kept, account: "acct_a", filter: filter, page: page, size: size))
        }
    }

    @Test func usagePage_hugePageIsEmptyWithTotals() {
        let (store, kept) = Self.ledger(seed: 11, n: 500, capacity: .max)
        let got = store.usagePage(accountID: "acct_a", filter: UsageFilter(), page: Int.max, size: 1000)
        #expect(got.rows.isEmpty)
        #expect(got.totals == Self.expectedPage(kept, account: "acct_a", filter: UsageFilter(), page: 1, size: 1).totals)
    }
}

import HTTPCore

/// The ledger: every billed request's row, packed, indexed and aggregated for a mock that bills
/// millions of requests in a load test.
///
/// Rows (``LedgerTable``): key, account, model and surface interned to small numbers, request
/// ids of the gateway's own form (`req_` and 24 hex digits) kept as 12 bytes, the time as seconds
/// after the first row's, the text usage counts as 32-bit numbers, in fixed pages: 48 bytes a
/// row. Image and video rows pack too, with `req_` or task ids (``packed(_:base:key:account:model:surface:)``).
/// A row that does not fit (another id, cache counts, tokens with images, a time before the
/// first row's, counts past 32 bits) is kept whole beside the pages.
///
/// Index (``LedgerSeries``): per (account, model, key), the row numbers sorted by time with
/// running sums, 4 bytes a row; the usage reads (``usagePage(accountID:filter:page:size:)``,
/// ``usageBuckets(accountID:filter:width:byModel:byKey:)``) answer from it in time proportional
/// to the page or the buckets, not to the ledger. Running credits per account and model serve
/// ``modelCredits(accountID:)``.
///
/// Retention: at most `capacity` rows are kept (`--ledger-size`); each row past it drops the
/// oldest. The credits of dropped rows stay counted per account and model, so spend totals never
/// forget; row listings and usage buckets cover the rows kept.
///
/// Concurrency: a value inside ``Accounting``'s Mutex.
struct LedgerStore: Sendable {
    typealias Packed = LedgerTable.Packed
    static let pageSize = LedgerTable.pageSize

    /// One index series per combination.
    struct SeriesKey: Hashable, Sendable { var account: UInt32, model: UInt32, key: UInt32 }

    private(set) var table = LedgerTable()
    private var names: [String] = []
    private var nameIndex: [String: UInt32] = [:]
    /// The last names interned or looked up (indices into `names`), most checked first.
    private var recent = InlineArray<4, UInt32>(repeating: .max)
    private var recentNext = 0
    private(set) var series: [LedgerSeries] = []
    private var seriesIndex: [SeriesKey: Int] = [:]
    /// The series of each account, in creation order.
    private var seriesByAccount: [UInt32: [Int]] = [:]
    /// Credits of every row ever appended, by account and model name indices (`account << 32 | model`).
    private var credits: [UInt64: Int] = [:]
    /// Most rows kept.
    let capacity: Int

    init(capacity: Int = .max) { self.capacity = max(1, capacity) }

    /// Rows kept.
    var count: Int { table.count }
    /// Rows dropped so far.
    var dropped: Int { table.dropped }
    var isEmpty: Bool { table.count == 0 }

    mutating func append(_ row: LedgerRow) {
        let base = table.base(for: row.time)
        let key = intern(row.keyID), account = intern(row.accountID), model = intern(row.model), surface = intern(row.surface)
        if let p = packed(row, base: base, key: key, account: account, model: model, surface: surface) {
            table.append(p, whole: nil)
        } else {
            table.append(Packed(credits: row.credits.micros, idHigh: 0, idLow: 0, time: 0, input: 0, output: 0, thinking: 0,
                                key: key, account: account, model: 0, surface: Packed.whole), whole: row)
        }
        let number = table.end - 1
        let s = seriesSlot(SeriesKey(account: account, model: model, key: key))
        series[s].insert(number, time: row.time, sums: table.sums(number), table)
        credits[UInt64(account) << 32 | UInt64(model), default: 0] &+= row.credits.micros
        if table.count > capacity { dropOldest() }
    }

    /// Drops the oldest row from its series, then from the table.
    private mutating func dropOldest() {
        let number = table.dropped
        let p = table.packed(number)
        let model = p.surface == Packed.whole ? table.whole(number).map { nameIndex[$0.model] ?? 0 } ?? 0 : UInt32(p.model)
        if let s = seriesIndex[SeriesKey(account: p.account, model: model, key: p.key)] {
            series[s].remove(number, time: table.time(number), sums: table.sums(number), table)
        }
        table.dropOldest()
    }

    private mutating func seriesSlot(_ k: SeriesKey) -> Int {
        if let s = seriesIndex[k] { return s }
        series.append(LedgerSeries(account: k.account, model: k.model, key: k.key))
        seriesIndex[k] = series.count - 1
        seriesByAccount[k.account, default: []].append(series.count - 1)
        return series.count - 1
    }

    /// The series of `accountID`, narrowed to a model and a key name when given (empty when a
    /// name was never billed).
    func series(accountID: String, model: String?, key: String?) -> [Int] {
        guard let account = nameIndex[accountID], let all = seriesByAccount[account] else { return [] }
        var m: UInt32?, k: UInt32?
        if let model { guard let i = nameIndex[model] else { return [] }; m = i }
        if let key { guard let i = nameIndex[key] else { return [] }; k = i }
        return all.filter { (m == nil || series[$0].model == m) && (k == nil || series[$0].key == k) }
    }

    func name(_ index: UInt32) -> String { names[Int(index)] }

    /// Credits billed to `accountID` by model name, the dropped rows included.
    func modelCredits(accountID: String) -> [String: Int] {
        guard let account = nameIndex[accountID] else { return [:] }
        var out: [String: Int] = [:]
        for (k, c) in credits where UInt32(k >> 32) == account { out[names[Int(k & 0xFFFF_FFFF)], default: 0] &+= c }
        return out
    }

    /// The rows of `accountID` kept, oldest first (a scan of the whole ledger: for tests and
    /// exports, not for request paths).
    func rows(accountID: String) -> [LedgerRow] {
        guard let account = nameIndex[accountID] else { return [] }
        var out: [LedgerRow] = []
        table.forEach { p, number in if p.account == account { out.append(row(number)) } }
        return out
    }

    /// Row `number` (kept) as the value appended.
    func row(_ number: Int) -> LedgerRow {
        let p = table.packed(number)
        if p.surface == Packed.whole, let row = table.whole(number) { return row }
        let (id, usage) = Self.unpacked(p)
        return LedgerRow(requestID: id, time: table.time(number), keyID: names[Int(p.key)], accountID: names[Int(p.account)],
                         model: names[Int(p.model)], surface: names[Int(p.surface & Packed.surfaceMask)], usage: usage,
                         credits: Credits(micros: p.credits))
    }

    private mutating func intern(_ s: String) -> UInt32 {
        // Consecutive rows mostly repeat their names: the last few are checked before hashing.
        for k in recent.indices where recent[k] != .max && names[Int(recent[k])] == s { return recent[k] }
        let found = nameIndex[s]
        recent[recentNext] = found ?? UInt32(names.count)
        recentNext = (recentNext + 1) % recent.count
        if let found { return found }
        let i = UInt32(names.count)
        names.append(s)
        nameIndex[s] = i
        return i
    }

    /// `req_` + 24 lowercase hex digits → the digits as 16 + 8; nil for any other form.
    static func pack(_ id: String) -> (high: UInt64, low: UInt32)? {
        var id = id
        return id.withUTF8 { u -> (high: UInt64, low: UInt32)? in
            guard u.count == 28, u[0] == 0x72, u[1] == 0x65, u[2] == 0x71, u[3] == 0x5F else { return nil }
            var high: UInt64 = 0
            var low: UInt64 = 0
            for i in 4..<28 {
                // Lowercase only: `unpack` writes lowercase, so any other id is kept as it is.
                guard let d = hexValue(u[i]), u[i] < 0x41 || u[i] > 0x46 else { return nil }
                let v = UInt64(d)
                if i < 20 { high = high << 4 | v } else { low = low << 4 | v }
            }
            return (high, UInt32(low))
        }
    }

    static func unpack(_ high: UInt64, _ low: UInt32) -> String {
        var out: [UInt8] = Array("req_".utf8)
        out.reserveCapacity(28)
        for shift in stride(from: 60, through: 0, by: -4) { out.append(hexDigit(UInt8((high >> UInt64(shift)) & 0xF))) }
        for shift in stride(from: 28, through: 0, by: -4) { out.append(hexDigit(UInt8((low >> UInt32(shift)) & 0xF))) }
        return String(decoding: out, as: UTF8.self)
    }
}

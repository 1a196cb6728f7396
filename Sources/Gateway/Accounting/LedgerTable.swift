/// The ledger's rows in append order, packed (see ``LedgerStore``): fixed pages of 48-byte
/// ``Packed`` rows, rows that do not fit kept whole beside them, the oldest dropped from the
/// front. A row is addressed by its number: its position among every row ever appended.
///
/// Concurrency: a value inside ``Accounting``'s Mutex.
struct LedgerTable: Sendable {
    struct Packed: Sendable {
        var credits: Int
        /// The request id's 24 hex digits (16 + 8).
        var idHigh: UInt64
        var idLow: UInt32
        /// Seconds after `timeBase`.
        var time: UInt32
        var input: UInt32
        var output: UInt32
        var thinking: UInt32
        var key: UInt32
        var account: UInt32
        var model: UInt16
        /// The surface's name index (``surfaceMask``) and the form flags; ``whole``: the row is in
        /// `others` (only `credits`, `key` and `account` hold here).
        var surface: UInt16

        static let whole = UInt16.max
        static let surfaceMask: UInt16 = 0x0FFF
        /// Media form: `thinking` is images, `output` video seconds, no tokens.
        static let mediaUsage: UInt16 = 0x2000
        /// The id is a task id whose low 32 bits are in `input`.
        static let taskID: UInt16 = 0x4000
    }

    static let pageSize = 4096
    private(set) var pages: [[Packed]] = []
    /// The first row's time: packed times count from it.
    private(set) var timeBase: Int?
    /// Rows not of the packed form, whole, by number.
    private(set) var others: [Int: LedgerRow] = [:]
    /// Rows kept.
    private(set) var count = 0
    /// Rows dropped so far: the number of the oldest row kept.
    private(set) var dropped = 0
    /// Rows of the first page already dropped.
    private(set) var firstPageStart = 0

    /// One past the newest row's number.
    var end: Int { dropped + count }

    /// Fixes the time base at the first row (later packed times count from it).
    mutating func base(for time: Int) -> Int {
        let base = timeBase ?? time
        timeBase = base
        return base
    }

    mutating func append(_ packed: Packed, whole: LedgerRow?) {
        if let whole { others[end] = whole }
        if pages.last.map({ $0.count == Self.pageSize }) ?? true {
            var page: [Packed] = []
            page.reserveCapacity(Self.pageSize)
            pages.append(page)
        }
        pages[pages.count - 1].append(packed)
        count += 1
    }

    /// Drops the oldest row.
    mutating func dropOldest() {
        others[dropped] = nil
        dropped += 1
        count -= 1
        firstPageStart += 1
        if firstPageStart == pages[0].count, firstPageStart == Self.pageSize || pages.count > 1 {
            pages.removeFirst()
            firstPageStart = 0
        }
    }

    /// The packed row `number` (kept).
    func packed(_ number: Int) -> Packed {
        let k = number - dropped + firstPageStart
        return pages[k / Self.pageSize][k % Self.pageSize]
    }

    /// The whole row `number`, when it is not of the packed form.
    func whole(_ number: Int) -> LedgerRow? { others[number] }

    func time(_ number: Int) -> Int {
        let p = packed(number)
        if p.surface == Packed.whole { return others[number]?.time ?? 0 }
        return (timeBase ?? 0) &+ Int(p.time)
    }

    func sums(_ number: Int) -> LedgerSums {
        let p = packed(number)
        if p.surface == Packed.whole, let row = others[number] {
            return LedgerSums(requests: 1, credits: row.credits.micros, input: row.usage.inputTokens, output: row.usage.outputTokens)
        }
        if p.surface & Packed.mediaUsage != 0 { return LedgerSums(requests: 1, credits: p.credits, input: 0, output: 0) }
        return LedgerSums(requests: 1, credits: p.credits, input: Int(p.input), output: Int(p.output))
    }

    /// A row number from its low 32 bits: the kept rows are fewer than 2^32, so one kept number
    /// has them.
    func number(_ low: UInt32) -> Int { dropped + Int(low &- UInt32(truncatingIfNeeded: dropped)) }

    /// Calls `body` with each kept row and its number, oldest first.
    func forEach(_ body: (Packed, Int) -> Void) {
        var n = dropped
        for (i, page) in pages.enumerated() {
            for p in page[(i == 0 ? firstPageStart : 0)...] {
                body(p, n)
                n += 1
            }
        }
    }
}

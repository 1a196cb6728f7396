import HTTPCore

/// The ledger's rows, packed for a mock that bills millions of requests in a load test: key,
/// account, model and surface interned to small numbers, request ids of the gateway's own form
/// (`req_` and 24 hex digits) kept as 12 bytes, the time as seconds after the first row's, the
/// text usage counts as 32-bit numbers, rows stored in fixed pages so growing never copies what
/// is already stored. 48 bytes a row, against about 300 for an array of ``LedgerRow`` (a heap
/// string per request id, and an array that doubles). A row that does not fit that form (another
/// id, cache/image/video counts, a time before the first row's, counts past 32 bits) is kept
/// whole beside the pages; text traffic of the gateway's own ids never needs that.
///
/// Rows come back as ``LedgerRow`` values, equal to the ones appended.
///
/// Retention: at most `capacity` rows are kept (`--ledger-size`); each row past it drops the
/// oldest. The credits of dropped rows stay counted per account and model
/// (``modelCredits(accountID:)``), so spend totals never forget; row listings and usage buckets
/// cover the rows kept.
struct LedgerStore: Sendable {
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
        /// ``whole``: the row is in `others` (only `credits`, `key` and `account` hold here).
        var surface: UInt16

        static let whole = UInt16.max
    }

    static let pageSize = 4096
    private var pages: [[Packed]] = []
    /// The first row's time: packed times count from it.
    private var timeBase: Int?
    private var names: [String] = []
    private var nameIndex: [String: UInt32] = [:]
    /// The last names interned or looked up (indices into `names`), most checked first.
    private var recent = InlineArray<4, UInt32>(repeating: .max)
    private var recentNext = 0
    /// Rows not of the packed form, whole, by row number (counted from the first row ever).
    private var others: [Int: LedgerRow] = [:]
    /// Rows kept.
    private(set) var count = 0
    /// Most rows kept.
    let capacity: Int
    /// Rows dropped so far (the number of the oldest row kept).
    private(set) var dropped = 0
    /// Rows of the first page already dropped.
    private var firstPageStart = 0
    /// Credits of dropped rows, by account and model name indices (`account << 32 | model`).
    private var droppedCredits: [UInt64: Int] = [:]

    init(capacity: Int = .max) { self.capacity = max(1, capacity) }

    var isEmpty: Bool { count == 0 }

    mutating func append(_ row: LedgerRow) {
        let base = timeBase ?? row.time
        timeBase = base
        let u = row.usage
        let key = intern(row.keyID), account = intern(row.accountID), model = intern(row.model), surface = intern(row.surface)
        let packed: Packed
        if let id = Self.pack(row.requestID), let time = UInt32(exactly: row.time &- base),
           let input = UInt32(exactly: u.inputTokens), let output = UInt32(exactly: u.outputTokens),
           let thinking = UInt32(exactly: u.thinkingTokens),
           u.cacheReadTokens == 0, u.cacheWriteTokens == 0, u.images == 0, u.videoSeconds == 0,
           model < UInt32(Packed.whole), surface < UInt32(Packed.whole) {
            packed = Packed(credits: row.credits.micros, idHigh: id.high, idLow: id.low, time: time, input: input,
                            output: output, thinking: thinking, key: key, account: account, model: UInt16(model),
                            surface: UInt16(surface))
        } else {
            others[dropped + count] = row
            packed = Packed(credits: row.credits.micros, idHigh: 0, idLow: 0, time: 0, input: 0, output: 0, thinking: 0,
                            key: key, account: account, model: 0, surface: Packed.whole)
        }
        if pages.last.map({ $0.count == Self.pageSize }) ?? true {
            var page: [Packed] = []
            page.reserveCapacity(Self.pageSize)
            pages.append(page)
        }
        pages[pages.count - 1].append(packed)
        count += 1
        if count > capacity { dropOldest() }
    }

    /// Drops the oldest row, keeping its credits in the per-model totals.
    private mutating func dropOldest() {
        let p = pages[0][firstPageStart]
        var model = UInt32(p.model)
        if p.surface == Packed.whole, let row = others.removeValue(forKey: dropped) { model = intern(row.model) }
        droppedCredits[UInt64(p.account) << 32 | UInt64(model), default: 0] += p.credits
        dropped += 1
        count -= 1
        firstPageStart += 1
        if firstPageStart == pages[0].count, firstPageStart == Self.pageSize || pages.count > 1 {
            pages.removeFirst()
            firstPageStart = 0
        }
    }

    /// Credits billed to `accountID` by model name, the dropped rows included.
    func modelCredits(accountID: String) -> [String: Int] {
        guard let account = nameIndex[accountID] else { return [:] }
        var out: [String: Int] = [:]
        for (k, credits) in droppedCredits where UInt32(k >> 32) == account {
            out[names[Int(k & 0xFFFF_FFFF)], default: 0] += credits
        }
        forEach(account: account) { p, number in
            let model = p.surface == Packed.whole ? others[number]?.model ?? "" : names[Int(p.model)]
            out[model, default: 0] += p.credits
        }
        return out
    }

    /// The rows of `accountID` kept, oldest first.
    func rows(accountID: String) -> [LedgerRow] {
        guard let account = nameIndex[accountID] else { return [] }
        var out: [LedgerRow] = []
        forEach(account: account) { p, number in out.append(row(p, number: number)) }
        return out
    }

    /// Calls `body` with each kept row of `account` and its number, oldest first.
    private func forEach(account: UInt32, _ body: (Packed, Int) -> Void) {
        var n = dropped
        for (i, page) in pages.enumerated() {
            for p in page[(i == 0 ? firstPageStart : 0)...] {
                if p.account == account { body(p, n) }
                n += 1
            }
        }
    }

    private func row(_ p: Packed, number: Int) -> LedgerRow {
        if p.surface == Packed.whole, let row = others[number] { return row }
        return LedgerRow(requestID: Self.unpack(p.idHigh, p.idLow), time: (timeBase ?? 0) &+ Int(p.time),
                         keyID: names[Int(p.key)], accountID: names[Int(p.account)],
                         model: names[Int(p.model)], surface: names[Int(p.surface)],
                         usage: Usage(inputTokens: Int(p.input), outputTokens: Int(p.output), thinkingTokens: Int(p.thinking)),
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

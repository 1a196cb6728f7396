import HTTPCore

/// The ledger's rows, packed for a mock that bills millions of requests in a load test: key,
/// account, model and surface interned to small numbers, request ids of the gateway's own form
/// (`req_` and 24 hex digits) kept as 12 bytes, usage counts as 32-bit numbers (saturating at
/// 4,294,967,295, far beyond any body the server accepts), rows stored in fixed pages so growing
/// never copies what is already stored. 80 bytes a row, against about 300 for an array of
/// ``LedgerRow`` (a heap string per request id, and an array that doubles).
///
/// Rows come back as ``LedgerRow`` values, equal to the ones appended.
///
/// Retention: at most `capacity` rows are kept (`--ledger-size`); each row past it drops the
/// oldest. The credits of dropped rows stay counted per account and model
/// (``modelCredits(accountID:)``), so spend totals never forget; row listings and usage buckets
/// cover the rows kept.
struct LedgerStore: Sendable {
    struct Packed: Sendable {
        var time: Int
        var credits: Int
        /// Usage counts, in ``Usage``'s order.
        var counts: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32)
        /// The request id's 24 hex digits (16 + 8); `packedID` false: the id is in `otherIDs`.
        var idHigh: UInt64
        var idLow: UInt32
        var packedID: Bool
        var key: UInt32
        var account: UInt32
        var model: UInt32
        var surface: UInt32
    }

    static let pageSize = 4096
    private var pages: [[Packed]] = []
    private var names: [String] = []
    private var nameIndex: [String: UInt32] = [:]
    /// The last names interned or looked up (indices into `names`), most checked first.
    private var recent = InlineArray<4, UInt32>(repeating: .max)
    private var recentNext = 0
    /// Request ids not of the packed form, by row number (counted from the first row ever).
    private var otherIDs: [Int: String] = [:]
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
        let id = Self.pack(row.requestID)
        if id == nil { otherIDs[dropped + count] = row.requestID }
        let u = row.usage
        let counts = (UInt32(clamping: u.inputTokens), UInt32(clamping: u.outputTokens), UInt32(clamping: u.thinkingTokens),
                      UInt32(clamping: u.cacheReadTokens), UInt32(clamping: u.cacheWriteTokens), UInt32(clamping: u.images),
                      UInt32(clamping: u.videoSeconds))
        let packed = Packed(time: row.time, credits: row.credits.micros, counts: counts,
                            idHigh: id?.high ?? 0, idLow: id?.low ?? 0, packedID: id != nil,
                            key: intern(row.keyID), account: intern(row.accountID),
                            model: intern(row.model), surface: intern(row.surface))
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
        droppedCredits[UInt64(p.account) << 32 | UInt64(p.model), default: 0] += p.credits
        if !p.packedID { otherIDs[dropped] = nil }
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
        forEach(account: account) { p, _ in out[names[Int(p.model)], default: 0] += p.credits }
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
        let id = p.packedID ? Self.unpack(p.idHigh, p.idLow) : otherIDs[number] ?? ""
        return LedgerRow(requestID: id, time: p.time, keyID: names[Int(p.key)], accountID: names[Int(p.account)],
                         model: names[Int(p.model)], surface: names[Int(p.surface)],
                         usage: Usage(inputTokens: Int(p.counts.0), outputTokens: Int(p.counts.1), thinkingTokens: Int(p.counts.2),
                                      cacheReadTokens: Int(p.counts.3), cacheWriteTokens: Int(p.counts.4), images: Int(p.counts.5),
                                      videoSeconds: Int(p.counts.6)),
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

/// The packed forms of a row's request id and usage.
///
/// Text form: a `req_` id (96 bits in `idHigh`/`idLow`), input, output and thinking tokens in
/// their fields. Media form (``LedgerTable/Packed/mediaUsage``): no tokens; `thinking` holds the
/// images and `output` the video seconds, and the id is a `req_` id, or a task id
/// (``LedgerTable/Packed/taskID``: `task_` and a 26-character ULID, 128 bits, whose last 32 bits
/// take the unused `input` field). Anything else is kept whole.
extension LedgerStore {
    /// The packed row for `row`, or nil when it must be kept whole.
    func packed(_ row: LedgerRow, base: Int, key: UInt32, account: UInt32, model: UInt32, surface: UInt32) -> Packed? {
        let u = row.usage
        guard let time = UInt32(exactly: row.time &- base), model < UInt32(Packed.whole), surface <= UInt32(Packed.surfaceMask),
              u.cacheReadTokens == 0, u.cacheWriteTokens == 0 else { return nil }
        var p = Packed(credits: row.credits.micros, idHigh: 0, idLow: 0, time: time, input: 0, output: 0, thinking: 0,
                       key: key, account: account, model: UInt16(model), surface: UInt16(surface))
        if u.images == 0, u.videoSeconds == 0 {
            guard let id = Self.pack(row.requestID), let input = UInt32(exactly: u.inputTokens),
                  let output = UInt32(exactly: u.outputTokens), let thinking = UInt32(exactly: u.thinkingTokens) else { return nil }
            (p.idHigh, p.idLow, p.input, p.output, p.thinking) = (id.high, id.low, input, output, thinking)
            return p
        }
        guard u.inputTokens == 0, u.outputTokens == 0, u.thinkingTokens == 0,
              let images = UInt32(exactly: u.images), let seconds = UInt32(exactly: u.videoSeconds) else { return nil }
        (p.thinking, p.output) = (images, seconds)
        p.surface |= Packed.mediaUsage
        if let id = Self.pack(row.requestID) {
            (p.idHigh, p.idLow) = (id.high, id.low)
        } else if let id = Self.packTask(row.requestID) {
            (p.idHigh, p.idLow, p.input) = (UInt64(truncatingIfNeeded: id >> 64), UInt32(truncatingIfNeeded: id >> 32),
                                            UInt32(truncatingIfNeeded: id))
            p.surface |= Packed.taskID
        } else {
            return nil
        }
        return p
    }

    /// The request id and usage a packed row stands for.
    static func unpacked(_ p: Packed) -> (id: String, usage: Usage) {
        guard p.surface & Packed.mediaUsage != 0 else {
            return (unpack(p.idHigh, p.idLow),
                    Usage(inputTokens: Int(p.input), outputTokens: Int(p.output), thinkingTokens: Int(p.thinking)))
        }
        let usage = Usage(images: Int(p.thinking), videoSeconds: Int(p.output))
        guard p.surface & Packed.taskID != 0 else { return (unpack(p.idHigh, p.idLow), usage) }
        return (unpackTask(UInt128(p.idHigh) << 64 | UInt128(p.idLow) << 32 | UInt128(p.input)), usage)
    }

    static let ulidAlphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

    /// `task_` + 26 ULID characters whose first is at most `7` → their 128 bits; nil otherwise.
    static func packTask(_ id: String) -> UInt128? {
        var id = id
        return id.withUTF8 { u -> UInt128? in
            guard u.count == 31, u[0] == 0x74, u[1] == 0x61, u[2] == 0x73, u[3] == 0x6B, u[4] == 0x5F else { return nil }
            var x: UInt128 = 0
            for i in 5..<31 {
                guard let d = ulidAlphabet.firstIndex(of: u[i]) else { return nil }
                if i == 5, d > 7 { return nil }
                x = x << 5 | UInt128(d)
            }
            return x
        }
    }

    static func unpackTask(_ x: UInt128) -> String {
        var out: [UInt8] = Array("task_".utf8)
        out.reserveCapacity(31)
        for i in 0..<26 { out.append(ulidAlphabet[Int((x >> UInt128(5 * (25 - i))) & 31)]) }
        return String(decoding: out, as: UTF8.self)
    }
}

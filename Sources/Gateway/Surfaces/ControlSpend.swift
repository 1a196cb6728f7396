import HTTPCore

/// `POST /__mock/spend`: synthetic usage billed through the same engine as real traffic, within
/// bounds a real request could reach: each count has a ceiling (`spendFields`), and one call
/// bills at most `maxSpendCredits` ($10,000: more than any single request to the catalog's
/// models can cost), so a wallet is never driven a fortune below zero by one call and the
/// ledger's sums stay far from overflow. A wallet with credit left admits the call, and its cost
/// is billed in full even past zero, as a long real request would be.
extension Gateway {
    /// The counted fields, their `Usage` member, and the most one call may bill.
    static var spendFields: [(String, WritableKeyPath<Usage, Int>, Int)] {
        [
            ("input_tokens", \.inputTokens, 1_000_000_000), ("output_tokens", \.outputTokens, 1_000_000_000),
            ("thinking_tokens", \.thinkingTokens, 1_000_000_000), ("cache_read_tokens", \.cacheReadTokens, 1_000_000_000),
            ("cache_write_tokens", \.cacheWriteTokens, 1_000_000_000), ("images", \.images, 100_000),
            ("video_seconds", \.videoSeconds, 1_000_000),
        ]
    }

    /// The most one spend call bills: $10,000.
    static let maxSpendCredits = Credits(micros: 10_000_000_000)

    /// What `field` alone of `usage` costs (to name the field that pushed a call over the ceiling).
    private static func fieldCost(_ field: String, _ usage: Usage, _ pricing: CatalogModel.Pricing) -> Credits {
        guard let path = spendFields.first(where: { $0.0 == field })?.1 else { return .zero }
        var only = Usage()
        only[keyPath: path] = usage[keyPath: path]
        return pricing.cost(of: only)
    }

    /// Bills synthetic usage through the same engine as real traffic: `{"key": id or secret,
    /// "model": id, "input_tokens", "output_tokens", "thinking_tokens", "cache_read_tokens",
    /// "cache_write_tokens", "images", "video_seconds", "enforce": true}`. With `enforce` (the
    /// default) the key-state and admission checks run and their error is returned, as real
    /// traffic would see it (IP rules excepted: synthetic spend has no client address).
    func spend(_ body: JSONObject, requestID: String, _ catalog: Catalog) -> Result<[UInt8], GatewayError> {
        guard case .string(let keyRef)? = body["key"],
              let caller = accounting.caller(keyID: keyRef) ?? accounting.lookup(secret: keyRef) else {
            return .failure(.badRequest("'key' must name a key by id or secret", param: "key"))
        }
        guard case .string(let modelName)? = body["model"], let model = catalog.model(named: modelName) else {
            return .failure(.badRequest("'model' must be a catalog model", param: "model"))
        }
        var usage = Usage()
        for (field, path, most) in Self.spendFields {
            guard let v = body[field] else { continue }
            guard case .int(let n) = v, n >= 0 else { return .failure(.badRequest("'\(field)' must be a non-negative integer", param: field)) }
            guard n <= most else {
                return .failure(.badRequest("'\(field)' must be from 0 to \(most) in one spend call, found \(n)", param: field))
            }
            usage[keyPath: path] = n
        }
        let cost = model.pricing.cost(of: usage)
        guard cost <= Self.maxSpendCredits else {
            let field = Self.spendFields.map(\.0).max { a, b in
                Self.fieldCost(a, usage, model.pricing) < Self.fieldCost(b, usage, model.pricing)
            } ?? "input_tokens"
            return .failure(.badRequest("this spend would bill \(cost) USD to one request; one spend call bills at most \(Self.maxSpendCredits) USD (split it, or lower '\(field)')",
                                        param: field))
        }
        var enforce = true
        if case .bool(let b)? = body["enforce"] { enforce = b }
        let now = clock.now
        let admission: Admission
        if enforce {
            if let e = Authenticator.keyState(caller, now: now) { return .failure(e) }
            switch accounting.admit(caller, model: model.id, catalog: catalog, now: now) {
            case .success(let a): admission = a
            case .failure(let e): return .failure(e)
            }
        } else {
            admission = accounting.unchecked(keyID: caller.key.id, accountID: caller.account.id, model: model.id)
        }
        let row = accounting.bill(admission, usage: usage, pricing: model.pricing, surface: "control", requestID: requestID, now: now)
        if enforce { accounting.release(admission) }
        var w = JSONWriter()
        w.objectStart()
        w.key("request_id"); w.string(row.requestID)
        w.key("api_key_id"); w.string(row.keyID)
        w.key("model"); w.string(row.model)
        w.key("credits"); w.int(row.credits.micros)
        w.key("cost_usd"); w.usd(row.credits)
        w.objectEnd()
        return .success(w.bytes)
    }
}

import HTTPCore

/// The free accounting reads: per-request usage rows, balance, account, usage buckets and wallet
/// transactions. Every one is scoped to the caller's account.
extension Gateway {
    /// `GET /v1/usage`, `GET /api/v1/usage`: one row per billed request, newest first.
    /// Filters `since` (inclusive), `until` (exclusive), `model`, `key` (or `api_key_id`);
    /// `page`/`page_size` (1–1000, default 100); `totals` cover every filtered row.
    func usageRows(_ caller: Caller, _ q: Query) -> Result<[UInt8], GatewayError> {
        let since: Int?, until: Int?, p: (page: Int, size: Int)
        switch EndpointSupport.listing(q, defaultSize: 100, maxSize: 1000) {
        case .success(let l): (since, until, p) = l
        case .failure(let e): return .failure(e)
        }
        let filter = UsageFilter(since: since, until: until, model: q.first("model"), key: q.first("key") ?? q.first("api_key_id"))
        let result = accounting.usagePage(accountID: caller.account.id, filter: filter, page: p.page, size: p.size)
        let totals = result.totals
        var w = JSONWriter(capacity: 512 + result.rows.count * 300)
        w.objectStart()
        w.key("object"); w.string("list")
        w.key("data"); w.arrayStart()
        for r in result.rows {
            w.objectStart()
            w.key("request_id"); w.string(r.requestID)
            w.key("created"); w.int(r.time)
            w.key("created_at"); w.time(r.time)
            w.key("api_key_id"); w.string(r.keyID)
            w.key("model"); w.string(r.model)
            w.key("surface"); w.string(r.surface)
            w.key("prompt_tokens"); w.int(r.usage.inputTokens)
            w.key("completion_tokens"); w.int(r.usage.outputTokens)
            w.key("thinking_tokens"); w.int(r.usage.thinkingTokens)
            w.key("cache_read_tokens"); w.int(r.usage.cacheReadTokens)
            w.key("cache_write_tokens"); w.int(r.usage.cacheWriteTokens)
            w.key("images"); w.int(r.usage.images)
            w.key("video_seconds"); w.int(r.usage.videoSeconds)
            w.key("credits"); w.int(r.credits.micros)
            w.key("cost_usd"); w.usd(r.credits)
            w.objectEnd()
        }
        w.arrayEnd()
        w.key("totals"); w.objectStart()
        w.key("requests"); w.int(totals.requests)
        w.key("prompt_tokens"); w.int(totals.input)
        w.key("completion_tokens"); w.int(totals.output)
        w.key("credits"); w.int(totals.credits)
        w.objectEnd()
        w.key("page"); w.int(p.page)
        w.key("page_size"); w.int(p.size)
        w.key("total"); w.int(totals.requests)
        w.key("has_more"); w.bool(p.page * p.size < totals.requests)
        w.objectEnd()
        return .success(w.bytes)
    }

    /// `GET /v1/balance`: the key's remaining quota, its wallet, its windows and concurrency.
    func balance(_ caller: Caller, now: Int) -> [UInt8] {
        let key = caller.key
        let (account, _) = accounting.account(caller.account.id) ?? (caller.account, .zero)
        let spent = accounting.spent(keyID: key.id)
        let envelope = accounting.envelope(keyID: key.id, now: now)
        var w = JSONWriter(capacity: 1024)
        w.objectStart()
        w.key("object"); w.string("balance")
        w.key("key"); w.objectStart()
        w.key("id"); w.string(key.id)
        w.key("name"); w.string(key.name)
        w.key("quota_usd"); if key.quota.micros > 0 { w.usd(key.quota) } else { w.null() }
        w.key("spent_usd"); w.usd(spent)
        w.key("remaining_usd"); w.usd(envelope.keyRemaining)
        w.key("remaining_credits"); w.int(envelope.keyRemaining.micros)
        w.objectEnd()
        w.key("wallet"); w.objectStart()
        w.key("account_id"); w.string(account.id)
        w.key("kind"); w.string(account.kind.rawValue)
        w.key("balance_usd"); w.usd(account.balance)
        w.key("balance_credits"); w.int(account.balance.micros)
        w.objectEnd()
        w.key("org")
        if account.kind == .org {
            w.objectStart()
            w.key("id"); w.string(account.id)
            w.key("name"); w.string(account.name)
            w.key("remaining_usd"); w.usd(Credits(micros: max(0, account.balance.micros)))
            w.objectEnd()
        } else { w.null() }
        w.key("windows"); w.windows(accounting.windows(keyID: key.id, now: now))
        w.key("in_flight"); w.int(accounting.inFlight(accountID: account.id))
        w.key("concurrency_limit"); w.int(account.concurrency)
        w.objectEnd()
        return w.bytes
    }

    /// `GET /api/v1/me/account`, in the documented shape.
    func meAccount(_ caller: Caller, _ catalog: Catalog) -> [UInt8] {
        let (account, spent) = accounting.account(caller.account.id) ?? (caller.account, .zero)
        let spentByModel = accounting.modelCredits(accountID: account.id)
        let available = Credits(micros: max(0, account.balance.micros))
        var w = JSONWriter(capacity: 2048)
        w.objectStart()
        w.key("user"); w.objectStart()
        w.key("id"); w.string(account.id)
        w.key("username"); w.string(account.name)
        w.key("email"); w.string(account.email)
        w.key("created_at"); w.time(account.created)
        w.key("tier"); w.string(account.kind == .org ? "enterprise" : "individual")
        w.objectEnd()
        w.key("balance"); w.objectStart()
        w.key("available_usd"); w.usd(available)
        w.key("lifetime_topup_usd"); w.usd(account.lifetimeTopup)
        w.key("lifetime_spent_usd"); w.usd(spent)
        w.key("low_balance_threshold_usd"); w.usd(account.lowBalanceThreshold)
        w.key("low_balance_flagged"); w.bool(available <= account.lowBalanceThreshold)
        w.objectEnd()
        w.key("allowed_models"); w.arrayStart()
        if let g = catalog.groupIndex(named: caller.key.group) {
            for i in catalog.membersByGroup[g] {
                let id = catalog.models[i].id
                w.objectStart()
                w.key("id"); w.string(id)
                w.key("quota_used_usd"); w.usd(Credits(micros: spentByModel[id] ?? 0))
                w.key("quota_cap_usd"); w.null()
                w.objectEnd()
            }
        }
        w.arrayEnd()
        w.key("org")
        if account.kind == .org {
            w.objectStart()
            w.key("id"); w.string(account.id)
            w.key("name"); w.string(account.name)
            w.key("role"); w.string(caller.key.admin ? "admin" : "member")
            w.objectEnd()
        } else { w.null() }
        w.objectEnd()
        return w.bytes
    }

    /// `GET /api/v1/me/usage`: buckets by `group_by` (day, hour, model, api_key; comma-combined)
    /// over [since, until) (default the last 30 days, at most 90), filters `model` and `api_key`.
    func meUsage(_ caller: Caller, _ q: Query, now: Int) -> Result<[UInt8], GatewayError> {
        let since: Int, until: Int
        switch (EndpointSupport.time(q, "since"), EndpointSupport.time(q, "until")) {
        case (.success(let s), .success(let u)): (since, until) = (s ?? now - 30 * 86_400, u ?? now + 1)
        case (.failure(let e), _), (_, .failure(let e)): return .failure(e)
        }
        guard until > since else { return .failure(.badRequest("'until' must be after 'since'", param: "until")) }
        guard until - since <= 90 * 86_400 + 1 else { return .failure(.badRequest("the window is capped at 90 days", param: "since")) }
        var groups: [String] = []
        for g in (q.first("group_by") ?? "").split(separator: ",").map(\.trimmingSpaces) where !groups.contains(g) {
            groups.append(g)
        }
        if groups.isEmpty { groups = ["day"] }
        let known: Set = ["day", "hour", "model", "api_key"]
        if let bad = groups.first(where: { !known.contains($0) }) {
            return .failure(.badRequest("'group_by' takes day, hour, model, api_key; got '\(bad)'", param: "group_by"))
        }
        if groups.contains("day"), groups.contains("hour") {
            return .failure(.badRequest("'group_by' takes day or hour, not both", param: "group_by"))
        }
        let filter = UsageFilter(since: since, until: until, model: q.first("model"), key: q.first("api_key"))
        let width: Int? = groups.contains("day") ? 86_400 : groups.contains("hour") ? 3600 : nil
        let (found, totals) = accounting.usageBuckets(accountID: caller.account.id, filter: filter, width: width,
                                                      byModel: groups.contains("model"), byKey: groups.contains("api_key"))
        // Each bucket's fields in the order `group_by` named them; listed by their joined text.
        var buckets: [(id: String, fields: [(String, String)], sums: LedgerSums)] = []
        for b in found {
            var fields: [(String, String)] = []
            for g in groups {
                switch g {
                case "day": fields.append(("bucket", String(Timestamp.format(b.start ?? 0).prefix(10))))
                case "hour": fields.append(("bucket", Timestamp.format(b.start ?? 0)))
                case "model": fields.append(("model", b.model ?? ""))
                default: fields.append(("api_key", b.key ?? ""))
                }
            }
            buckets.append((fields.map { "\($0.0)=\($0.1)" }.joined(separator: "|"), fields, b.sums))
        }
        buckets.sort { $0.id < $1.id }
        func counts(_ w: inout JSONWriter, _ usd: Int, _ input: Int, _ output: Int, _ calls: Int) {
            w.key("total_usd"); w.usd(Credits(micros: usd))
            w.key("input_tokens"); w.int(input)
            w.key("output_tokens"); w.int(output)
            w.key("call_count"); w.int(calls)
        }
        var w = JSONWriter(capacity: 1024)
        w.objectStart()
        w.key("buckets"); w.arrayStart()
        for b in buckets {
            w.objectStart()
            for (k, v) in b.fields { w.key(escaping: k); w.string(v) }
            counts(&w, b.sums.credits, b.sums.input, b.sums.output, b.sums.requests)
            w.objectEnd()
        }
        w.arrayEnd()
        w.key("totals"); w.objectStart()
        counts(&w, totals.credits, totals.input, totals.output, totals.requests)
        w.objectEnd()
        w.objectEnd()
        return .success(w.bytes)
    }

    /// `GET /api/v1/me/billing/transactions`: wallet movements, newest first; `kind`, `since`,
    /// `until`, `page`, `page_size` (1–200, default 50).
    func billingTransactions(_ caller: Caller, _ q: Query) -> Result<[UInt8], GatewayError> {
        let since: Int?, until: Int?, p: (page: Int, size: Int)
        switch EndpointSupport.listing(q, defaultSize: 50, maxSize: 200) {
        case .success(let l): (since, until, p) = l
        case .failure(let e): return .failure(e)
        }
        var kind: WalletTransaction.Kind?
        if let k = q.first("kind") {
            guard let parsed = WalletTransaction.Kind(rawValue: k) else {
                return .failure(.badRequest("'kind' must be one of \(WalletTransaction.Kind.allCases.map(\.rawValue).joined(separator: ", "))", param: "kind"))
            }
            kind = parsed
        }
        // Wallet movements are few (top-ups and admin changes, not API calls): filtered and sorted per read.
        let items = accounting.transactions(accountID: caller.account.id).filter { t in
            (kind.map { t.kind == $0 } ?? true) && (since.map { t.time >= $0 } ?? true) && (until.map { t.time < $0 } ?? true)
        }.sorted { ($0.time, $0.id) > ($1.time, $1.id) }
        var w = JSONWriter(capacity: 1024)
        w.objectStart()
        w.key("items"); w.arrayStart()
        for t in EndpointSupport.page(items, p) {
            w.objectStart()
            w.key("id"); w.int(t.id)
            w.key("created_at"); w.time(t.time)
            w.key("kind"); w.string(t.kind.rawValue)
            w.key("amount_usd"); w.usd(t.amount)
            w.key("balance_after_usd"); w.usd(t.balanceAfter)
            w.key("source"); w.objectStart()
            for (k, v) in t.source { w.key(escaping: k); w.string(v) }
            w.objectEnd()
            w.key("note"); w.optionalString(t.note)
            w.objectEnd()
        }
        w.arrayEnd()
        w.key("total"); w.int(items.count)
        w.key("page"); w.int(p.page)
        w.key("page_size"); w.int(p.size)
        w.objectEnd()
        return .success(w.bytes)
    }
}


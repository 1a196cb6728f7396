/// Turns decoded fixture entries into a ``FixtureSet``, checking what the shapes cannot: slugs,
/// timestamps, money precision and every cross-reference. It records each problem in
/// ``FixtureProblems`` and goes on with the next check, leaving out only the broken entry, so
/// one run reports them all. A reference to an entry that is itself broken is not reported again.
///
/// Concurrency: a value used by the loading thread only.
struct FixtureValidator {
    let problems: FixtureProblems

    func build(models: [Sourced<ModelFixture>], retired: [Sourced<RetiredFixture>], groups: [Sourced<GroupFixture>],
               accounts: [Sourced<AccountFixture>], keys: [Sourced<KeyFixture>],
               transactions: [Sourced<TransactionFixture>]) -> FixtureSet {
        let m = buildModels(models)
        let r = buildRetired(retired, models: m)
        let g = buildGroups(groups)
        let a = buildAccounts(accounts)
        let k = buildKeys(keys, groups: g, accounts: a)
        let t = buildTransactions(transactions, accounts: a)
        return FixtureSet(models: m, retired: r, groups: g, accounts: a, keys: k, transactions: t)
    }

    /// Records a problem; returns false so a check reads `ok = report(…)`-style when chained.
    @discardableResult
    func report(_ file: String, _ field: String, _ problem: String) -> Bool {
        // The shape check may have said it already (a negative balance is out of its range too).
        if !problems.has(file: file, under: field) { problems.add(FixtureError(file: file, field: field, problem: problem)) }
        return false
    }

    /// Whether `name` refers to something that exists, or to an entry already reported broken.
    func resolves(_ name: String, among known: some Sequence<String>) -> Bool {
        known.contains(name) || problems.brokenNames.contains(name)
    }

    func credits(_ v: Double?, _ file: String, _ field: String, ok: inout Bool) -> Credits {
        guard let v else { return .zero }
        guard let c = Credits(usd: v) else {
            ok = report(file, field, "must be a non-negative USD amount with at most 6 decimals, found \(FixtureShape.format(v))")
            return .zero
        }
        return c
    }

    func time(_ text: String?, _ file: String, _ field: String, ok: inout Bool) -> Int? {
        guard let text else { return nil }
        guard let t = Timestamp.parse(text) else {
            ok = report(file, field, "expected an RFC 3339 timestamp such as 2026-01-31T12:00:00Z, found '\(FixtureShape.shown(text))'")
            return nil
        }
        return t
    }

    func isSlug(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != 0x2F && $0 != 0x3F && $0 != 0x23 && $0 != 0x25 }
    }

    private func buildModels(_ list: [Sourced<ModelFixture>]) -> [CatalogModel] {
        var seen = Set<String>()
        var out: [CatalogModel] = []
        for entry in list {
            let m = entry.value, at = entry.path, file = entry.file
            var ok = true
            if !isSlug(m.id) { ok = report(file, "\(at).id", "must be a non-empty slug without spaces, slashes, '?', '#' or '%'") }
            for name in [m.id] + (m.aliases ?? []) where !seen.insert(name).inserted {
                ok = report(file, at, "id or alias '\(name)' is used twice")
            }
            for (j, a) in (m.aliases ?? []).enumerated() where !isSlug(a) { ok = report(file, "\(at).aliases[\(j)]", "must be a slug") }
            let kind = CatalogModel.Kind(rawValue: m.kind) ?? .text
            if !m.capabilities.contains("text") { ok = report(file, "\(at).capabilities", "every model carries the 'text' tag") }
            let protocols = m.protocols ?? (kind == .text ? ["messages", "chat", "responses", "gemini"] : [])
            if m.owned_by.isEmpty || m.owned_by != m.owned_by.lowercased() {
                ok = report(file, "\(at).owned_by", "must be a lowercase provider name such as \(CatalogModel.knownOwners.sorted().joined(separator: ", "))")
            }
            if m.family.isEmpty || m.family != m.family.lowercased() { ok = report(file, "\(at).family", "must be a lowercase family name") }
            let p = m.pricing ?? PricingFixture()
            let pricing = CatalogModel.Pricing(
                inputPerMTok: credits(p.input, file, "\(at).pricing.input", ok: &ok),
                outputPerMTok: credits(p.output, file, "\(at).pricing.output", ok: &ok),
                cacheReadPerMTok: credits(p.cache_read, file, "\(at).pricing.cache_read", ok: &ok),
                cacheWritePerMTok: credits(p.cache_write, file, "\(at).pricing.cache_write", ok: &ok),
                perImage: credits(p.per_image, file, "\(at).pricing.per_image", ok: &ok),
                perVideoSecond: credits(p.per_video_second, file, "\(at).pricing.per_video_second", ok: &ok))
            guard ok else {
                problems.brokenNames.insert(m.id)
                continue
            }
            out.append(CatalogModel(
                id: m.id, object: m.object ?? "model", ownedBy: m.owned_by, family: m.family, kind: kind,
                capabilities: m.capabilities, contextWindow: m.context_window, maxOutputTokens: m.max_output_tokens,
                inputModalities: m.input_modalities, outputModalities: m.output_modalities,
                pricingURL: m.pricing_url ?? "https://bytespike.ai/pricing#\(m.id)", created: m.created,
                protocols: protocols, aliases: m.aliases ?? [], pricing: pricing))
        }
        return out
    }

    private func buildRetired(_ list: [Sourced<RetiredFixture>], models: [CatalogModel]) -> [RetiredModel] {
        let live = Set(models.flatMap { [$0.id] + $0.aliases })
        var seen = Set<String>()
        var out: [RetiredModel] = []
        for entry in list {
            let r = entry.value, file = entry.file, at = entry.path
            var ok = true
            if !isSlug(r.id) { ok = report(file, "\(at).id", "must be a slug") }
            if live.contains(r.id) { ok = report(file, "\(at).id", "'\(r.id)' is also a live model or alias") }
            if !seen.insert(r.id).inserted { ok = report(file, "\(at).id", "'\(r.id)' is listed twice") }
            if let rep = r.replacement, !resolves(rep, among: models.map(\.id)) {
                let hint = FixtureShape.didYouMean(rep, models.map(\.id))
                ok = report(file, "\(at).replacement", "'\(rep)' is not a model in the catalog\(hint)")
            }
            if ok { out.append(RetiredModel(id: r.id, replacement: r.replacement)) }
        }
        return out
    }

    /// Wallet history; `balance_after` is the running sum per account in time order.
    private func buildTransactions(_ list: [Sourced<TransactionFixture>], accounts: [Account]) -> [WalletTransaction] {
        var ids = Set<Int>()
        var out: [WalletTransaction] = []
        for entry in list {
            let t = entry.value, file = entry.file, at = entry.path
            var ok = true
            if !ids.insert(t.id).inserted { ok = report(file, "\(at).id", "\(t.id) is used twice") }
            if !resolves(t.account, among: accounts.map(\.id)) { ok = report(file, "\(at).account", Self.noSuch("no account with id", t.account, accounts.map(\.id))) }
            let kind = WalletTransaction.Kind(rawValue: t.kind) ?? .topup
            let time = time(t.created, file, "\(at).created", ok: &ok) ?? 0
            let magnitude = credits(abs(t.amount), file, "\(at).amount", ok: &ok)
            guard ok else { continue }
            let amount = Credits(micros: t.amount < 0 ? -magnitude.micros : magnitude.micros)
            out.append(WalletTransaction(id: t.id, time: time, accountID: t.account, kind: kind, amount: amount,
                                         balanceAfter: .zero, source: t.source, note: t.note))
        }
        out.sort { ($0.time, $0.id) < ($1.time, $1.id) }
        var running: [String: Credits] = [:]
        for i in out.indices {
            running[out[i].accountID, default: .zero] = running[out[i].accountID, default: .zero] + out[i].amount  // saturating
            out[i].balanceAfter = running[out[i].accountID]!
        }
        return out
    }

    /// `no account with id 'acct_ad' (did you mean 'acct_ada'?). Known: …`
    static func noSuch(_ phrase: String, _ name: String, _ known: [String]) -> String {
        let hint = FixtureShape.didYouMean(name, known)
        return "\(phrase) '\(FixtureShape.shown(name))'\(hint). Known: \(known.joined(separator: ", "))"
    }
}

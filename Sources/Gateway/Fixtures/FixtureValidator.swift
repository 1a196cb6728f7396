/// Turns decoded fixture files into a ``FixtureSet``, checking every cross-reference.
struct FixtureValidator {
    func build(models: [Sourced<ModelFixture>], retired: [Sourced<RetiredFixture>], groups: [Sourced<GroupFixture>],
               accounts: [Sourced<AccountFixture>], keys: [Sourced<KeyFixture>],
               transactions: [Sourced<TransactionFixture>]) throws(FixtureError) -> FixtureSet {
        let m = try buildModels(models)
        let r = try buildRetired(retired, models: m)
        let g = try buildGroups(groups)
        let a = try buildAccounts(accounts)
        let k = try buildKeys(keys, groups: g, accounts: a)
        let t = try buildTransactions(transactions, accounts: a)
        return FixtureSet(models: m, retired: r, groups: g, accounts: a, keys: k, transactions: t)
    }

    /// Wallet history; `balance_after` is the running sum per account in time order.
    private func buildTransactions(_ list: [Sourced<TransactionFixture>], accounts: [Account]) throws(FixtureError) -> [WalletTransaction] {
        var ids = Set<Int>()
        var out: [WalletTransaction] = []
        for entry in list {
            let t = entry.value, file = entry.file, at = entry.path
            guard (1...999_999_999_999).contains(t.id) else { throw fail(file, "\(at).id", "must be from 1 to 999999999999") }
            guard ids.insert(t.id).inserted else { throw fail(file, "\(at).id", "\(t.id) is used twice") }
            guard accounts.contains(where: { $0.id == t.account }) else { throw fail(file, "\(at).account", "no account with id '\(t.account)'") }
            guard let kind = WalletTransaction.Kind(rawValue: t.kind) else {
                throw fail(file, "\(at).kind", "must be one of \(WalletTransaction.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard let time = Timestamp.parse(t.created) else { throw fail(file, "\(at).created", "expected an RFC 3339 timestamp") }
            guard let magnitude = Credits(usd: abs(t.amount)) else { throw fail(file, "\(at).amount", "must be a USD amount with at most 6 decimals") }
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

    private func fail(_ file: String, _ field: String, _ problem: String) -> FixtureError {
        FixtureError(file: file, field: field, problem: problem)
    }

    private func credits(_ v: Double?, _ file: String, _ field: String) throws(FixtureError) -> Credits {
        guard let v else { return .zero }
        guard let c = Credits(usd: v) else { throw fail(file, field, "must be a non-negative USD amount with at most 6 decimals") }
        return c
    }

    private func buildModels(_ list: [Sourced<ModelFixture>]) throws(FixtureError) -> [CatalogModel] {
        var seen = Set<String>()
        var out: [CatalogModel] = []
        for entry in list {
            let m = entry.value, at = entry.path, catalogFile = entry.file
            guard isSlug(m.id) else { throw fail(catalogFile, "\(at).id", "must be a non-empty slug without spaces or slashes") }
            for name in [m.id] + (m.aliases ?? []) {
                guard seen.insert(name).inserted else { throw fail(catalogFile, "\(at)", "id or alias '\(name)' is used twice") }
            }
            for (j, a) in (m.aliases ?? []).enumerated() where !isSlug(a) {
                throw fail(catalogFile, "\(at).aliases[\(j)]", "must be a slug")
            }
            guard let kind = CatalogModel.Kind(rawValue: m.kind) else {
                throw fail(catalogFile, "\(at).kind", "must be text, image or video")
            }
            for (j, c) in m.capabilities.enumerated() where !CatalogModel.knownCapabilities.contains(c) {
                throw fail(catalogFile, "\(at).capabilities[\(j)]", "unknown capability tag '\(c)'")
            }
            guard m.capabilities.contains("text") else { throw fail(catalogFile, "\(at).capabilities", "every model carries the 'text' tag") }
            for (field, list) in [("input_modalities", m.input_modalities), ("output_modalities", m.output_modalities)] {
                for (j, v) in list.enumerated() where !CatalogModel.knownModalities.contains(v) {
                    throw fail(catalogFile, "\(at).\(field)[\(j)]", "unknown modality '\(v)'")
                }
            }
            let protocols = m.protocols ?? (kind == .text ? ["messages", "chat", "responses", "gemini"] : [])
            for (j, p) in protocols.enumerated() where !CatalogModel.knownProtocols.contains(p) {
                throw fail(catalogFile, "\(at).protocols[\(j)]", "unknown protocol '\(p)' (messages, chat, responses, gemini)")
            }
            guard m.context_window >= 0 else { throw fail(catalogFile, "\(at).context_window", "must not be negative") }
            guard m.max_output_tokens >= 0 else { throw fail(catalogFile, "\(at).max_output_tokens", "must not be negative") }
            guard GatewayClock.range.contains(m.created) else { throw fail(catalogFile, "\(at).created", "must be Unix seconds from 0 to 253402300799") }
            guard !m.owned_by.isEmpty, m.owned_by == m.owned_by.lowercased() else { throw fail(catalogFile, "\(at).owned_by", "must be a lowercase provider name") }
            guard !m.family.isEmpty, m.family == m.family.lowercased() else { throw fail(catalogFile, "\(at).family", "must be a lowercase family name") }
            let p = m.pricing ?? PricingFixture()
            let pricing = CatalogModel.Pricing(
                inputPerMTok: try credits(p.input, catalogFile, "\(at).pricing.input"),
                outputPerMTok: try credits(p.output, catalogFile, "\(at).pricing.output"),
                cacheReadPerMTok: try credits(p.cache_read, catalogFile, "\(at).pricing.cache_read"),
                cacheWritePerMTok: try credits(p.cache_write, catalogFile, "\(at).pricing.cache_write"),
                perImage: try credits(p.per_image, catalogFile, "\(at).pricing.per_image"),
                perVideoSecond: try credits(p.per_video_second, catalogFile, "\(at).pricing.per_video_second"))
            out.append(CatalogModel(
                id: m.id, object: m.object ?? "model", ownedBy: m.owned_by, family: m.family, kind: kind,
                capabilities: m.capabilities, contextWindow: m.context_window, maxOutputTokens: m.max_output_tokens,
                inputModalities: m.input_modalities, outputModalities: m.output_modalities,
                pricingURL: m.pricing_url ?? "https://bytespike.ai/pricing#\(m.id)", created: m.created,
                protocols: protocols, aliases: m.aliases ?? [], pricing: pricing))
        }
        return out
    }

    private func buildRetired(_ list: [Sourced<RetiredFixture>], models: [CatalogModel]) throws(FixtureError) -> [RetiredModel] {
        let live = Set(models.flatMap { [$0.id] + $0.aliases })
        var seen = Set<String>()
        return try list.map { (entry) throws(FixtureError) -> RetiredModel in
            let r = entry.value, catalogFile = entry.file, i = entry.path
            guard isSlug(r.id) else { throw fail(catalogFile, "\(i).id", "must be a slug") }
            guard !live.contains(r.id) else { throw fail(catalogFile, "\(i).id", "'\(r.id)' is also a live model or alias") }
            guard seen.insert(r.id).inserted else { throw fail(catalogFile, "\(i).id", "'\(r.id)' is listed twice") }
            if let rep = r.replacement, !models.contains(where: { $0.id == rep }) {
                throw fail(catalogFile, "\(i).replacement", "'\(rep)' is not a model in the catalog")
            }
            return RetiredModel(id: r.id, replacement: r.replacement)
        }
    }

    private func buildGroups(_ list: [Sourced<GroupFixture>]) throws(FixtureError) -> [RoutingGroup] {
        var names = Set<String>(), ids = Set<Int>()
        return try list.map { (entry) throws(FixtureError) -> RoutingGroup in
            let g = entry.value, keysFile = entry.file, i = entry.path
            guard isSlug(g.name) else { throw fail(keysFile, "\(i).name", "must be a slug") }
            guard names.insert(g.name).inserted else { throw fail(keysFile, "\(i).name", "'\(g.name)' is used twice") }
            guard ids.insert(g.id).inserted else { throw fail(keysFile, "\(i).id", "\(g.id) is used twice") }
            guard !g.models.isEmpty else { throw fail(keysFile, "\(i).models", "needs at least one model pattern") }
            return RoutingGroup(id: g.id, name: g.name, description: g.description ?? "", patterns: g.models)
        }
    }

    private func buildAccounts(_ list: [Sourced<AccountFixture>]) throws(FixtureError) -> [Account] {
        var seen = Set<String>()
        return try list.map { (entry) throws(FixtureError) -> Account in
            let a = entry.value, keysFile = entry.file, at = entry.path
            guard !a.id.isEmpty, seen.insert(a.id).inserted else { throw fail(keysFile, "\(at).id", "missing or used twice") }
            guard let kind = Account.Kind(rawValue: a.kind) else { throw fail(keysFile, "\(at).kind", "must be personal or org") }
            guard let status = Account.Status(rawValue: a.status ?? "active") else { throw fail(keysFile, "\(at).status", "must be active or paused") }
            let tier = a.tier ?? "free"
            guard let concurrency = a.concurrency ?? Account.tiers[tier] else {
                throw fail(keysFile, "\(at).tier", "unknown tier '\(tier)' (free, pro, max, enterprise) and no concurrency given")
            }
            guard concurrency > 0 else { throw fail(keysFile, "\(at).concurrency", "must be positive") }
            var created = 0
            if let c = a.created {
                guard let t = Timestamp.parse(c) else { throw fail(keysFile, "\(at).created", "expected an RFC 3339 timestamp") }
                created = t
            }
            return Account(id: a.id, kind: kind, name: a.name, email: a.email ?? "", status: status, tier: tier,
                           balance: try credits(a.balance, keysFile, "\(at).balance"),
                           lifetimeTopup: try credits(a.lifetime_topup, keysFile, "\(at).lifetime_topup"),
                           lowBalanceThreshold: try credits(a.low_balance_threshold, keysFile, "\(at).low_balance_threshold"),
                           concurrency: concurrency, created: created)
        }
    }

    private func buildKeys(_ list: [Sourced<KeyFixture>], groups: [RoutingGroup], accounts: [Account]) throws(FixtureError) -> [APIKey] {
        var ids = Set<String>(), secrets = Set<String>()
        return try list.map { (entry) throws(FixtureError) -> APIKey in
            let k = entry.value, keysFile = entry.file, at = entry.path
            guard !k.id.isEmpty, ids.insert(k.id).inserted else { throw fail(keysFile, "\(at).id", "missing or used twice") }
            guard k.secret.count >= 8, !k.secret.contains(where: { $0 == " " || $0 == "\t" || $0 == "," }) else {
                throw fail(keysFile, "\(at).secret", "must be at least 8 characters without spaces or commas")
            }
            guard secrets.insert(k.secret).inserted else { throw fail(keysFile, "\(at).secret", "is used by another key") }
            guard groups.contains(where: { $0.name == k.group }) else { throw fail(keysFile, "\(at).group", "no routing group named '\(k.group)'") }
            guard accounts.contains(where: { $0.id == k.account }) else { throw fail(keysFile, "\(at).account", "no account with id '\(k.account)'") }
            var expires: Int?
            if let e = k.expires_at {
                guard let t = Timestamp.parse(e) else { throw fail(keysFile, "\(at).expires_at", "expected an RFC 3339 timestamp") }
                expires = t
            }
            var created = 0
            if let c = k.created {
                guard let t = Timestamp.parse(c) else { throw fail(keysFile, "\(at).created", "expected an RFC 3339 timestamp") }
                created = t
            }
            func cidrs(_ list: [String]?, _ field: String) throws(FixtureError) -> [CIDR] {
                try (list ?? []).enumerated().map { (j, s) throws(FixtureError) -> CIDR in
                    guard let c = CIDR(s) else { throw fail(keysFile, "\(at).\(field)[\(j)]", "'\(s)' is not an IP address or CIDR network") }
                    return c
                }
            }
            return APIKey(id: k.id, name: k.name, secret: k.secret, group: k.group, account: k.account,
                          quota: try credits(k.quota, keysFile, "\(at).quota"),
                          rateLimit5h: try credits(k.rate_limit_5h, keysFile, "\(at).rate_limit_5h"),
                          rateLimit1d: try credits(k.rate_limit_1d, keysFile, "\(at).rate_limit_1d"),
                          rateLimit7d: try credits(k.rate_limit_7d, keysFile, "\(at).rate_limit_7d"),
                          expiresAt: expires, revoked: k.revoked ?? false,
                          ipWhitelist: try cidrs(k.ip_whitelist, "ip_whitelist"),
                          ipBlacklist: try cidrs(k.ip_blacklist, "ip_blacklist"),
                          admin: k.admin ?? false, created: created)
        }
    }

    private func isSlug(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != 0x2F && $0 != 0x3F && $0 != 0x23 && $0 != 0x25 }
    }
}

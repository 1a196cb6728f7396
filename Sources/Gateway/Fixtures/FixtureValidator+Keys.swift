/// Routing groups, accounts and keys: uniqueness and the references between them.
extension FixtureValidator {
    func buildGroups(_ list: [Sourced<GroupFixture>]) -> [RoutingGroup] {
        var names = Set<String>(), ids = Set<Int>()
        var out: [RoutingGroup] = []
        for entry in list {
            let g = entry.value, file = entry.file, at = entry.path
            var ok = true
            if !isSlug(g.name) { ok = report(file, "\(at).name", "must be a slug") }
            if !names.insert(g.name).inserted { ok = report(file, "\(at).name", "'\(g.name)' is used twice") }
            if !ids.insert(g.id).inserted { ok = report(file, "\(at).id", "\(g.id) is used twice") }
            if g.models.isEmpty { ok = report(file, "\(at).models", "needs at least one model pattern, e.g. \"claude-*\" or \"*\"") }
            if ok { out.append(RoutingGroup(id: g.id, name: g.name, description: g.description ?? "", patterns: g.models)) } else {
                problems.brokenNames.insert(g.name)
            }
        }
        return out
    }

    func buildAccounts(_ list: [Sourced<AccountFixture>]) -> [Account] {
        var seen = Set<String>()
        var out: [Account] = []
        for entry in list {
            let a = entry.value, file = entry.file, at = entry.path
            var ok = true
            if a.id.isEmpty || !seen.insert(a.id).inserted { ok = report(file, "\(at).id", "'\(a.id)' is empty or used twice") }
            let tier = a.tier ?? "free"
            let concurrency = a.concurrency ?? Account.tiers[tier]
            if concurrency == nil {
                let tiers = Account.tiers.sorted { $0.value < $1.value }.map { "\($0.key) (\($0.value))" }.joined(separator: ", ")
                ok = report(file, "\(at).tier", "unknown tier '\(tier)' and no concurrency given; tiers and their concurrency: \(tiers)")
            }
            let created = time(a.created, file, "\(at).created", ok: &ok) ?? 0
            let balance = credits(a.balance, file, "\(at).balance", ok: &ok)
            let topup = credits(a.lifetime_topup, file, "\(at).lifetime_topup", ok: &ok)
            let low = credits(a.low_balance_threshold, file, "\(at).low_balance_threshold", ok: &ok)
            guard ok, let concurrency else {
                problems.brokenNames.insert(a.id)
                continue
            }
            out.append(Account(id: a.id, kind: Account.Kind(rawValue: a.kind) ?? .personal, name: a.name, email: a.email ?? "",
                               status: Account.Status(rawValue: a.status ?? "active") ?? .active, tier: tier,
                               balance: balance, lifetimeTopup: topup, lowBalanceThreshold: low,
                               concurrency: concurrency, created: created))
        }
        return out
    }

    func buildKeys(_ list: [Sourced<KeyFixture>], groups: [RoutingGroup], accounts: [Account]) -> [APIKey] {
        var ids = Set<String>(), secrets = Set<String>()
        var out: [APIKey] = []
        for entry in list {
            let k = entry.value, file = entry.file, at = entry.path
            var ok = true
            if k.id.isEmpty || !ids.insert(k.id).inserted { ok = report(file, "\(at).id", "'\(k.id)' is empty or used twice") }
            if k.secret.count < 8 || k.secret.contains(where: { $0 == " " || $0 == "\t" || $0 == "," }) {
                ok = report(file, "\(at).secret", "must be at least 8 characters without spaces or commas")
            } else if !secrets.insert(k.secret).inserted {
                ok = report(file, "\(at).secret", "is used by another key")
            }
            if !resolves(k.group, among: groups.map(\.name)) {
                ok = report(file, "\(at).group", Self.noSuch("no routing group named", k.group, groups.map(\.name)))
            }
            if !resolves(k.account, among: accounts.map(\.id)) {
                ok = report(file, "\(at).account", Self.noSuch("no account with id", k.account, accounts.map(\.id)))
            }
            let expires = time(k.expires_at, file, "\(at).expires_at", ok: &ok)
            let created = time(k.created, file, "\(at).created", ok: &ok) ?? 0
            func cidrs(_ list: [String]?, _ field: String) -> [CIDR] {
                (list ?? []).enumerated().compactMap { (j, s) -> CIDR? in
                    guard let c = CIDR(s) else {
                        ok = report(file, "\(at).\(field)[\(j)]", "'\(FixtureShape.shown(s))' is not an IP address or CIDR network (e.g. 10.0.0.0/8, ::1)")
                        return nil
                    }
                    return c
                }
            }
            let allow = cidrs(k.ip_whitelist, "ip_whitelist"), deny = cidrs(k.ip_blacklist, "ip_blacklist")
            let quota = credits(k.quota, file, "\(at).quota", ok: &ok)
            let r5h = credits(k.rate_limit_5h, file, "\(at).rate_limit_5h", ok: &ok)
            let r1d = credits(k.rate_limit_1d, file, "\(at).rate_limit_1d", ok: &ok)
            let r7d = credits(k.rate_limit_7d, file, "\(at).rate_limit_7d", ok: &ok)
            guard ok else { continue }
            out.append(APIKey(id: k.id, name: k.name, secret: k.secret, group: k.group, account: k.account,
                              quota: quota, rateLimit5h: r5h, rateLimit1d: r1d, rateLimit7d: r7d,
                              expiresAt: expires, revoked: k.revoked ?? false, ipWhitelist: allow, ipBlacklist: deny,
                              admin: k.admin ?? false, created: created))
        }
        return out
    }
}

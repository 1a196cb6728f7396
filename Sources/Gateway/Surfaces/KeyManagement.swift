import HTTPCore

/// Key management under `/api/v1/keys` and `/api/v1/groups/available`, for admin keys only.
/// An admin manages the keys of its own account. The docs show only fragments; the shapes here
/// follow the gateway's style and are documented in the README.
extension Gateway {
    static let adminOnly = GatewayError.forbidden("key management needs an admin key", code: "admin_key_required")

    func manageKeys(_ endpoint: Endpoint, _ caller: Caller, _ request: Request, now: Int, _ catalog: Catalog) -> Result<(Status, [UInt8]), GatewayError> {
        guard caller.key.admin else { return .failure(Self.adminOnly) }
        func owned(_ id: String) -> Result<APIKey, GatewayError> {
            guard let k = accounting.caller(keyID: id)?.key, k.account == caller.account.id else {
                return .failure(.notFound("no key '\(id)' in this account", code: "key_not_found"))
            }
            return .success(k)
        }
        switch endpoint {
        case .groupsAvailable:
            var w = JSONWriter()
            w.objectStart()
            w.key("object"); w.string("list")
            w.key("data"); w.arrayStart()
            for (i, g) in catalog.groups.enumerated() {
                w.objectStart()
                w.key("id"); w.int(g.id)
                w.key("name"); w.string(g.name)
                w.key("description"); w.string(g.description)
                w.key("model_count"); w.int(catalog.membersByGroup[i].count)
                w.objectEnd()
            }
            w.arrayEnd()
            w.objectEnd()
            return .success((.ok, w.bytes))
        case .listKeys:
            var w = JSONWriter(capacity: 4096)
            w.objectStart()
            w.key("object"); w.string("list")
            w.key("data"); w.arrayStart()
            for k in accounting.keys(accountID: caller.account.id) { writeKey(&w, k, secret: false, catalog) }
            w.arrayEnd()
            w.objectEnd()
            return .success((.ok, w.bytes))
        case .getKey(let id):
            return owned(id).map { (.ok, encodeKey($0, secret: false, catalog)) }
        case .revealKey(let id):
            return owned(id).map { (.ok, encodeKey($0, secret: true, catalog)) }
        case .revokeKey(let id):
            return owned(id).map { k in
                (.ok, encodeKey(accounting.updateKey(k.id) { $0.revoked = true } ?? k, secret: false, catalog))
            }
        case .rotateKey(let id):
            return owned(id).map { k in
                let secret = secrets.next()
                return (.ok, encodeKey(accounting.updateKey(k.id) { $0.secret = secret } ?? k, secret: true, catalog))
            }
        case .createKey:
            return EndpointSupport.jsonObject(request.body).flatMap { body in
                var key = APIKey(id: "key_\(accounting.nextKeyNumber() + 1000)", name: "", secret: secrets.next(), group: "",
                                 account: caller.account.id, quota: .zero, rateLimit5h: .zero, rateLimit1d: .zero,
                                 rateLimit7d: .zero, expiresAt: nil, revoked: false, ipWhitelist: [], ipBlacklist: [],
                                 admin: false, created: now)
                if case .failure(let e) = apply(body, to: &key, now: now, creating: true, catalog: catalog) { return .failure(e) }
                guard accounting.addKey(key) else {
                    return .failure(GatewayError(.invalidRequest, status: .conflict, message: "that key secret is already in use",
                                                 code: "duplicate_key", param: "custom_key"))
                }
                return .success((.ok, encodeKey(key, secret: true, catalog)))
            }
        case .updateKey(let id):
            return owned(id).flatMap { k in
                EndpointSupport.jsonObject(request.body).flatMap { body in
                    var changed = k
                    if case .failure(let e) = apply(body, to: &changed, now: now, creating: false, catalog: catalog) { return .failure(e) }
                    return .success((.ok, encodeKey(accounting.updateKey(k.id) { $0 = changed } ?? changed, secret: false, catalog)))
                }
            }
        default:
            return .failure(.notFound("no such key endpoint"))
        }
    }

    /// Applies create/update fields: `name`, `group_id` (number or name), `quota`,
    /// `rate_limit_5h|1d|7d` (USD, 0 = unlimited), `expires_in_days`, `ip_whitelist`,
    /// `ip_blacklist`, and on create `custom_key`.
    func apply(_ body: JSONObject, to key: inout APIKey, now: Int, creating: Bool, catalog: Catalog,
               extra: Set<String> = []) -> Result<Void, GatewayError> {
        var known: Set<String> = extra.union(["name", "group_id", "quota", "rate_limit_5h", "rate_limit_1d", "rate_limit_7d",
                                              "expires_in_days", "ip_whitelist", "ip_blacklist"])
        if creating { known.insert("custom_key") }
        if let bad = body.keys.first(where: { !known.contains($0) }) {
            return .failure(.badRequest("unknown field '\(bad)'", param: bad))
        }
        if let v = body["name"] {
            guard case .string(let s) = v, !s.isEmpty else { return .failure(.badRequest("'name' must be a non-empty string", param: "name")) }
            key.name = s
        } else if creating {
            return .failure(.badRequest("'name' is required", param: "name"))
        }
        if let v = body["group_id"] {
            let group: RoutingGroup?
            switch v {
            case .int(let n): group = catalog.groups.first { $0.id == n }
            case .string(let s): group = catalog.groups.first { $0.name == s || String($0.id) == s }
            default: group = nil
            }
            guard let group else { return .failure(.badRequest("'group_id' names no routing group; see /api/v1/groups/available", param: "group_id")) }
            key.group = group.name
        } else if creating {
            return .failure(.badRequest("'group_id' is required", param: "group_id"))
        }
        for (field, path) in [("quota", \APIKey.quota), ("rate_limit_5h", \.rateLimit5h), ("rate_limit_1d", \.rateLimit1d), ("rate_limit_7d", \.rateLimit7d)] {
            guard let v = body[field] else { continue }
            guard let d = v.number, let c = Credits(usd: d) else {
                return .failure(.badRequest("'\(field)' must be a non-negative USD amount (0 = unlimited)", param: field))
            }
            key[keyPath: path] = c
        }
        if let v = body["expires_in_days"] {
            switch v {
            case .null: key.expiresAt = nil
            case .int(let d) where (1...36_500).contains(d): key.expiresAt = min(now + d * 86_400, GatewayClock.range.upperBound)
            default: return .failure(.badRequest("'expires_in_days' must be a whole number of days from 1 to 36500, or null", param: "expires_in_days"))
            }
        }
        for (field, path) in [("ip_whitelist", \APIKey.ipWhitelist), ("ip_blacklist", \.ipBlacklist)] {
            guard let v = body[field] else { continue }
            guard case .array(let items) = v else { return .failure(.badRequest("'\(field)' must be an array of CIDR strings", param: field)) }
            var list: [CIDR] = []
            for item in items {
                guard case .string(let s) = item, let c = CIDR(s) else {
                    return .failure(.badRequest("'\(field)' holds an invalid IP address or CIDR network", param: field))
                }
                list.append(c)
            }
            key[keyPath: path] = list
        }
        if let v = body["custom_key"] {
            guard case .string(let s) = v, s.count >= 8, !s.contains(" ") else {
                return .failure(.badRequest("'custom_key' must be at least 8 characters without spaces", param: "custom_key"))
            }
            key.secret = s
        }
        return .success(())
    }

    func encodeKey(_ k: APIKey, secret: Bool, _ catalog: Catalog) -> [UInt8] {
        var w = JSONWriter(capacity: 512)
        writeKey(&w, k, secret: secret, catalog)
        return w.bytes
    }

    private func writeKey(_ w: inout JSONWriter, _ k: APIKey, secret: Bool, _ catalog: Catalog) {
        w.objectStart()
        w.key("id"); w.string(k.id)
        w.key("object"); w.string("api_key")
        w.key("name"); w.string(k.name)
        w.key("group"); w.string(k.group)
        w.key("group_id"); if let g = catalog.group(named: k.group) { w.int(g.id) } else { w.null() }
        w.key("masked_key"); w.string(k.masked)
        if secret { w.key("key"); w.string(k.secret) }
        w.key("quota"); w.usd(k.quota)
        w.key("quota_used"); w.usd(accounting.spent(keyID: k.id))
        w.key("rate_limit_5h"); w.usd(k.rateLimit5h)
        w.key("rate_limit_1d"); w.usd(k.rateLimit1d)
        w.key("rate_limit_7d"); w.usd(k.rateLimit7d)
        w.key("expires_at"); if let e = k.expiresAt { w.time(e) } else { w.null() }
        w.key("revoked"); w.bool(k.revoked)
        w.key("ip_whitelist"); w.strings(k.ipWhitelist.map(\.description))
        w.key("ip_blacklist"); w.strings(k.ipBlacklist.map(\.description))
        w.key("admin"); w.bool(k.admin)
        w.key("account_id"); w.string(k.account)
        w.key("created_at"); w.time(k.created)
        w.objectEnd()
    }
}

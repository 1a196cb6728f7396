import HTTPCore

/// `GET /__mock/keys`: every key (masked, no secret) with its wallet balance and its spend
/// windows, for the inspector page.
extension Gateway {
    func controlKeyList() -> [UInt8] {
        let now = clock.now
        var w = JSONWriter(capacity: 4096)
        w.objectStart()
        w.key("keys"); w.arrayStart()
        for k in accounting.allKeys() {
            w.objectStart()
            w.key("id"); w.string(k.id)
            w.key("name"); w.string(k.name)
            w.key("group"); w.string(k.group)
            w.key("masked_key"); w.string(k.masked)
            w.key("account_id"); w.string(k.account)
            w.key("balance_usd"); w.usd(accounting.account(k.account)?.account.balance ?? .zero)
            w.key("quota"); w.usd(k.quota)
            w.key("quota_used"); w.usd(accounting.spent(keyID: k.id))
            w.key("revoked"); w.bool(k.revoked)
            w.key("windows"); w.windows(accounting.windows(keyID: k.id, now: now))
            w.objectEnd()
        }
        w.arrayEnd()
        w.objectEnd()
        return w.bytes
    }
}

/// A wallet owner: a person or an organisation. Keys spend from their account's wallet.
public struct Account: Sendable, Equatable {
    public enum Kind: String, Sendable { case personal, org }
    public enum Status: String, Sendable { case active, paused }

    public var id: String
    public var kind: Kind
    public var name: String
    public var email: String
    public var status: Status
    public var tier: String
    public var balance: Credits
    public var lifetimeTopup: Credits
    public var lowBalanceThreshold: Credits
    /// In-flight requests allowed across all of the account's keys.
    public var concurrency: Int
    public var created: Int

    static let tiers: [String: Int] = ["free": 5, "pro": 25, "max": 100, "enterprise": 500]
}

/// An API key and its limits. Money fields are credits; `0` means unlimited, as in the gateway.
public struct APIKey: Sendable, Equatable {
    public var id: String
    public var name: String
    public var secret: String
    public var group: String
    public var account: String
    public var quota: Credits
    public var rateLimit5h: Credits
    public var rateLimit1d: Credits
    public var rateLimit7d: Credits
    /// Unix seconds after which the key is rejected; nil = never.
    public var expiresAt: Int?
    public var revoked: Bool
    public var ipWhitelist: [CIDR]
    public var ipBlacklist: [CIDR]
    public var admin: Bool
    public var created: Int

    /// `sk-byts-defa…0001`: the form shown after creation.
    public var masked: String {
        let s = Array(secret)
        guard s.count > 16 else { return String(repeating: "*", count: s.count) }
        return String(s[0..<12]) + "…" + String(s[(s.count - 4)...])
    }
}

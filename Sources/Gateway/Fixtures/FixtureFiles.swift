/// The on-disk shapes of the fixture files. Field names follow the gateway's own snake_case.
/// Money is USD in the files and integer credits at run time.

/// `catalog.json`: the model catalog and retired slugs.
struct CatalogFile: Decodable {
    var mode: FixtureMode?
    var models: [ModelFixture]?
    var retired: [RetiredFixture]?
}

/// `keys.json`: routing groups, wallets (accounts) and API keys.
struct KeysFile: Decodable {
    var mode: FixtureMode?
    var groups: [GroupFixture]?
    var accounts: [AccountFixture]?
    var keys: [KeyFixture]?
}

/// How a file in `--fixtures DIR` combines with the built-in one: `extend` (default) merges
/// entries by id, later winning; `replace` drops the built-in entries of that file.
enum FixtureMode: String, Decodable {
    case extend, replace
}

struct ModelFixture: Decodable {
    var id: String
    var object: String?
    var owned_by: String
    var family: String
    var kind: String
    var capabilities: [String]
    var context_window: Int
    var max_output_tokens: Int
    var input_modalities: [String]
    var output_modalities: [String]
    var pricing_url: String?
    var created: Int
    var protocols: [String]?
    var aliases: [String]?
    var pricing: PricingFixture?
}

struct PricingFixture: Decodable {
    var input: Double?
    var output: Double?
    var cache_read: Double?
    var cache_write: Double?
    var per_image: Double?
    var per_video_second: Double?
}

struct RetiredFixture: Decodable {
    var id: String
    var replacement: String?
}

struct GroupFixture: Decodable {
    var id: Int
    var name: String
    var description: String?
    var models: [String]
}

struct AccountFixture: Decodable {
    var id: String
    var kind: String
    var name: String
    var email: String?
    var status: String?
    var tier: String?
    var balance: Double
    var lifetime_topup: Double?
    var low_balance_threshold: Double?
    var concurrency: Int?
    var created: String?
}

struct KeyFixture: Decodable {
    var id: String
    var name: String
    var secret: String
    var group: String
    var account: String
    var quota: Double?
    var rate_limit_5h: Double?
    var rate_limit_1d: Double?
    var rate_limit_7d: Double?
    var expires_at: String?
    var revoked: Bool?
    var ip_whitelist: [String]?
    var ip_blacklist: [String]?
    var admin: Bool?
    var created: String?
}

/// The fields each object in each file may carry; anything else is reported as a likely typo.
enum FixtureSchema {
    static let catalogTop: Set = ["mode", "models", "retired"]
    static let model: Set = ["id", "object", "owned_by", "family", "kind", "capabilities", "context_window",
                             "max_output_tokens", "input_modalities", "output_modalities", "pricing_url", "created",
                             "protocols", "aliases", "pricing"]
    static let pricing: Set = ["input", "output", "cache_read", "cache_write", "per_image", "per_video_second"]
    static let retired: Set = ["id", "replacement"]
    static let keysTop: Set = ["mode", "groups", "accounts", "keys"]
    static let group: Set = ["id", "name", "description", "models"]
    static let account: Set = ["id", "kind", "name", "email", "status", "tier", "balance", "lifetime_topup",
                               "low_balance_threshold", "concurrency", "created"]
    static let key: Set = ["id", "name", "secret", "group", "account", "quota", "rate_limit_5h", "rate_limit_1d",
                           "rate_limit_7d", "expires_at", "revoked", "ip_whitelist", "ip_blacklist", "admin", "created"]

    /// The first unknown field in `value` for the file `name`, as a path, or nil.
    static func unknownField(in value: JSONValue, file name: String) -> String? {
        guard case .object(let top) = value else { return nil }
        switch name {
        case "catalog.json":
            return check(top, catalogTop, "")
                ?? checkArray(top["models"], model, "models") { i, o in check(o["pricing"], pricing, "models[\(i)].pricing") }
                ?? checkArray(top["retired"], retired, "retired", nil)
        case "keys.json":
            return check(top, keysTop, "")
                ?? checkArray(top["groups"], group, "groups", nil)
                ?? checkArray(top["accounts"], account, "accounts", nil)
                ?? checkArray(top["keys"], key, "keys", nil)
        default:
            return nil
        }
    }

    private static func check(_ v: JSONValue?, _ known: Set<String>, _ path: String) -> String? {
        guard case .object(let o)? = v else { return nil }
        return check(o, known, path)
    }

    private static func check(_ o: [String: JSONValue], _ known: Set<String>, _ path: String) -> String? {
        for k in o.keys.sorted() where !known.contains(k) { return path.isEmpty ? k : "\(path).\(k)" }
        return nil
    }

    private static func checkArray(_ v: JSONValue?, _ known: Set<String>, _ path: String,
                                   _ nested: ((Int, [String: JSONValue]) -> String?)?) -> String? {
        guard case .array(let items)? = v else { return nil }
        for (i, item) in items.enumerated() {
            guard case .object(let o) = item else { continue }
            if let bad = check(o, known, "\(path)[\(i)]") { return bad }
            if let bad = nested?(i, o) { return bad }
        }
        return nil
    }
}

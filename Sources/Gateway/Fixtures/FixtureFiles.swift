/// The on-disk shapes of the fixture files, read strictly (unknown fields are errors). Field
/// names follow the gateway's own snake_case. Money is USD in the files and credits at run time.

/// How a file in `--fixtures DIR` combines with the built-in one: `extend` (default) merges
/// entries by id, later winning; `replace` drops the built-in entries of that file.
enum FixtureMode: String {
    case extend, replace
}

/// `catalog.json`: the model catalog and retired slugs.
struct CatalogFile {
    var mode: FixtureMode
    var models: [Sourced<ModelFixture>]
    var retired: [Sourced<RetiredFixture>]

    init(_ r: FixtureReader, _ problems: FixtureProblems) throws(FixtureError) {
        try r.allowOnly(FixtureSchema.catalog.names)
        mode = try r.mode()
        models = try r.entries("models", problems) { (m) throws(FixtureError) in try ModelFixture(m) }
        retired = try r.entries("retired", problems) { (m) throws(FixtureError) in try RetiredFixture(m) }
    }
}

/// `keys.json`: routing groups, wallets (accounts) and API keys.
struct KeysFile {
    var mode: FixtureMode
    var groups: [Sourced<GroupFixture>]
    var accounts: [Sourced<AccountFixture>]
    var keys: [Sourced<KeyFixture>]
    var transactions: [Sourced<TransactionFixture>]

    init(_ r: FixtureReader, _ problems: FixtureProblems) throws(FixtureError) {
        try r.allowOnly(FixtureSchema.keys.names)
        mode = try r.mode()
        groups = try r.entries("groups", problems) { (g) throws(FixtureError) in try GroupFixture(g) }
        accounts = try r.entries("accounts", problems) { (a) throws(FixtureError) in try AccountFixture(a) }
        keys = try r.entries("keys", problems) { (k) throws(FixtureError) in try KeyFixture(k) }
        transactions = try r.entries("transactions", problems) { (t) throws(FixtureError) in try TransactionFixture(t) }
    }
}

/// A past wallet movement (top-up, bonus, refund, admin credit/debit, subscription renewal).
struct TransactionFixture {
    var id: Int
    var account, created, kind: String
    var amount: Double
    var source: [(String, String)]
    var note: String?

    init(_ r: FixtureReader) throws(FixtureError) {
        try r.allowOnly(FixtureSchema.transaction.names)
        id = try r.int("id")
        account = try r.string("account")
        created = try r.string("created")
        kind = try r.string("kind")
        amount = try r.double("amount")
        source = try r.optionalStringMap("source") ?? []
        note = try r.optionalString("note")
    }
}

struct ModelFixture {
    var id, owned_by, family, kind: String
    var object, pricing_url: String?
    var capabilities, input_modalities, output_modalities: [String]
    var context_window, max_output_tokens, created: Int
    var protocols, aliases: [String]?
    var pricing: PricingFixture?

    init(_ r: FixtureReader) throws(FixtureError) {
        try r.allowOnly(FixtureSchema.model.names)
        id = try r.string("id")
        object = try r.optionalString("object")
        owned_by = try r.string("owned_by")
        family = try r.string("family")
        kind = try r.string("kind")
        capabilities = try r.strings("capabilities")
        context_window = try r.int("context_window")
        max_output_tokens = try r.int("max_output_tokens")
        input_modalities = try r.strings("input_modalities")
        output_modalities = try r.strings("output_modalities")
        pricing_url = try r.optionalString("pricing_url")
        created = try r.int("created")
        protocols = try r.optionalStrings("protocols")
        aliases = try r.optionalStrings("aliases")
        pricing = try r.optionalObject("pricing").map { (p) throws(FixtureError) in try PricingFixture(p) }
    }
}

struct PricingFixture {
    var input, output, cache_read, cache_write, per_image, per_video_second: Double?

    init() {}

    init(_ r: FixtureReader) throws(FixtureError) {
        try r.allowOnly(FixtureSchema.pricing.names)
        input = try r.optionalDouble("input")
        output = try r.optionalDouble("output")
        cache_read = try r.optionalDouble("cache_read")
        cache_write = try r.optionalDouble("cache_write")
        per_image = try r.optionalDouble("per_image")
        per_video_second = try r.optionalDouble("per_video_second")
    }
}

struct RetiredFixture {
    var id: String
    var replacement: String?

    init(_ r: FixtureReader) throws(FixtureError) {
        try r.allowOnly(FixtureSchema.retired.names)
        id = try r.string("id")
        replacement = try r.optionalString("replacement")
    }
}

struct GroupFixture {
    var id: Int
    var name: String
    var description: String?
    var models: [String]

    init(_ r: FixtureReader) throws(FixtureError) {
        try r.allowOnly(FixtureSchema.group.names)
        id = try r.int("id")
        name = try r.string("name")
        description = try r.optionalString("description")
        models = try r.strings("models")
    }
}

struct AccountFixture {
    var id, kind, name: String
    var email, status, tier, created: String?
    var balance: Double
    var lifetime_topup, low_balance_threshold: Double?
    var concurrency: Int?

    init(_ r: FixtureReader) throws(FixtureError) {
        try r.allowOnly(FixtureSchema.account.names)
        id = try r.string("id")
        kind = try r.string("kind")
        name = try r.string("name")
        email = try r.optionalString("email")
        status = try r.optionalString("status")
        tier = try r.optionalString("tier")
        balance = try r.double("balance")
        lifetime_topup = try r.optionalDouble("lifetime_topup")
        low_balance_threshold = try r.optionalDouble("low_balance_threshold")
        concurrency = try r.optionalInt("concurrency")
        created = try r.optionalString("created")
    }
}

struct KeyFixture {
    var id, name, secret, group, account: String
    var quota, rate_limit_5h, rate_limit_1d, rate_limit_7d: Double?
    var expires_at, created: String?
    var revoked, admin: Bool?
    var ip_whitelist, ip_blacklist: [String]?

    init(_ r: FixtureReader) throws(FixtureError) {
        try r.allowOnly(FixtureSchema.key.names)
        id = try r.string("id")
        name = try r.string("name")
        secret = try r.string("secret")
        group = try r.string("group")
        account = try r.string("account")
        quota = try r.optionalDouble("quota")
        rate_limit_5h = try r.optionalDouble("rate_limit_5h")
        rate_limit_1d = try r.optionalDouble("rate_limit_1d")
        rate_limit_7d = try r.optionalDouble("rate_limit_7d")
        expires_at = try r.optionalString("expires_at")
        revoked = try r.optionalBool("revoked")
        ip_whitelist = try r.optionalStrings("ip_whitelist")
        ip_blacklist = try r.optionalStrings("ip_blacklist")
        admin = try r.optionalBool("admin")
        created = try r.optionalString("created")
    }
}

/// A fixture entry and where it was written, so errors point into the right file.
struct Sourced<T> {
    var value: T
    var file: String
    /// `keys[3]`: the entry's position in its own file.
    var path: String

    init(_ value: T, _ reader: FixtureReader) {
        self.value = value
        file = reader.file
        path = reader.path
    }
}

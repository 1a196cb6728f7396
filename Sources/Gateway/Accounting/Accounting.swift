import HTTPCore
import Synchronization

/// A request that passed admission: it holds one of its account's concurrency slots until
/// ``Accounting/release(_:)``. Streams release when they end.
public struct Admission: Sendable, Equatable {
    public let keyID: String
    public let accountID: String
    public let model: String
    /// The accounting state it was admitted into; after a reset its release and bill are void.
    let generation: Int
    /// Where its key and account sit in that state (-1: unknown, nothing to charge there).
    let keySlot: Int
    let accountSlot: Int
}

/// The one accounting engine every surface goes through: keys and wallets, the credit ledger,
/// rolling spend windows, lifetime quotas and per-account concurrency.
///
/// Order of checks for a billable request (``admit(_:model:catalog:now:)``): routing group (403
/// `model_not_in_group`) → wallet (402 `insufficient_balance`) → key quota (402
/// `quota_exceeded`) → rate windows, tightest first (429 naming the bucket, with `Retry-After`)
/// → account concurrency (429 `concurrency_limit`). Authentication and IP rules come before, in
/// ``Authenticator``. Only ``bill(_:usage:pricing:surface:requestID:now:)`` moves money, and
/// surfaces call it for 2xx responses only.
///
/// Concurrency: Sendable; all state sits behind one Mutex, so a bill and the headers computed
/// after it are consistent, and concurrent requests never lose or double-count a credit.
public final class Accounting: Sendable {
    struct KeyState {
        var key: APIKey
        /// The slot of the key's account (a key's account never changes); -1 when it has none.
        var accountSlot: Int
        var spent = Credits.zero
        /// (time, credits) of billed requests younger than the longest window; requests billed
        /// in the same second share one entry, so the history stays small under load.
        var events: [(time: Int, credits: Int)] = []

        /// Adds a charge. Mutate in place (`s.keys[slot].record(…)`): a copy would copy the history.
        mutating func record(_ credits: Credits, at now: Int) {
            spent = spent + credits
            if let last = events.last, last.time == now {
                events[events.count - 1].credits += credits.micros
            } else {
                events.append((now, credits.micros))
            }
            prune(now: now)
        }

        mutating func prune(now: Int) {
            let horizon = now - 7 * 86_400
            if let first = events.first, first.time <= horizon { events.removeAll { $0.time <= horizon } }
        }
    }

    struct AccountState {
        var account: Account
        var spent = Credits.zero
        var inFlight = 0
    }

    /// Keys and accounts live in arrays, in creation order, and are never removed, so a slot (an
    /// index) names the same key or account for the whole generation: a resolved caller and an
    /// admission carry their slots, and admission, billing, release and the envelope reach the
    /// state without hashing an id. Only the secret (authentication) and ids from the management
    /// API are looked up by name.
    struct State {
        var keys: [KeyState] = []
        var keySlots: [String: Int] = [:]
        var slotBySecret: [String: Int] = [:]
        var accounts: [AccountState] = []
        var accountSlots: [String: Int] = [:]
        var ledger = LedgerStore()
        var transactions: [WalletTransaction] = []
        var nextTransactionID = 900_001
        var nextKeyNumber = 1
        /// Bumped by every reset, so requests admitted before it cannot touch the new state.
        var generation = 0
        /// Credits billed since start (kept across resets: a Prometheus counter only grows).
        var billedMicros = 0

        mutating func insert(_ key: APIKey) {
            keySlots[key.id] = keys.count
            slotBySecret[key.secret] = keys.count
            keys.append(KeyState(key: key, accountSlot: accountSlots[key.account] ?? -1))
        }

        func caller(slot: Int) -> Caller? {
            let k = keys[slot]
            guard k.accountSlot >= 0 else { return nil }
            return Caller(key: k.key, account: accounts[k.accountSlot].account, slot: slot, generation: generation)
        }

        /// The caller's key slot in this state: the one it was resolved with, unless a reset
        /// came in between (then looked up again by id, and nil when the key is gone).
        func keySlot(_ caller: Caller) -> Int? {
            caller.generation == generation ? caller.slot : keySlots[caller.key.id]
        }
    }

    /// The gateway's three rolling windows of a key, with their caps (0 = unlimited).
    static func windowCaps(_ key: APIKey) -> [(name: String, seconds: Int, limit: Credits)] {
        [("5h", 5 * 3600, key.rateLimit5h), ("1d", 86_400, key.rateLimit1d), ("7d", 7 * 86_400, key.rateLimit7d)]
    }

    /// Whether any of the key's windows has a cap (most keys have none: then no window is built).
    static func hasWindows(_ key: APIKey) -> Bool {
        key.rateLimit5h.micros > 0 || key.rateLimit1d.micros > 0 || key.rateLimit7d.micros > 0
    }

    /// The longest `Retry-After` a rate-window 429 sends (seconds); a longer wait also sends
    /// `x-should-retry: false`. 60 s is within every official SDK's own ceiling (openai: 120 s).
    static let retryAfterCap = 60

    let state: Mutex<State>
    /// The fixture state: what a reset returns to, and what a fixture reload compares against.
    let initial: Mutex<State>

    /// `ledgerSize`: ledger rows kept (the oldest dropped past it; their credits stay in the
    /// per-model totals).
    public init(keys: [APIKey], accounts: [Account], transactions: [WalletTransaction] = [], ledgerSize: Int = .max) {
        let s = Self.fixtureState(keys: keys, accounts: accounts, transactions: transactions, ledgerSize: ledgerSize)
        initial = Mutex(s)
        state = Mutex(s)
    }

    /// The state the fixtures describe, before any request.
    static func fixtureState(keys: [APIKey], accounts: [Account], transactions: [WalletTransaction], ledgerSize: Int) -> State {
        var s = State()
        s.ledger = LedgerStore(capacity: ledgerSize)
        for a in accounts {
            // Spend before the mock started: what came into the wallet (its listed movements, or its
            // lifetime top-up when none are listed) and is no longer there.
            let movements = transactions.filter { $0.accountID == a.id }
            let cameIn = movements.isEmpty ? a.lifetimeTopup.micros : movements.reduce(0) { $0 + $1.amount.micros }
            s.accountSlots[a.id] = s.accounts.count
            s.accounts.append(AccountState(account: a, spent: Credits(micros: max(0, cameIn - a.balance.micros))))
        }
        for k in keys { s.insert(k) }
        s.transactions = transactions
        s.nextTransactionID = (transactions.map(\.id).max() ?? 900_000) + 1
        return s
    }

    /// Back to the fixture state: ledger, wallets, runtime key changes and in-flight counts.
    public func reset() {
        let base = initial.withLock { $0 }
        state.withLock { s in
            let next = s.generation + 1
            let billed = s.billedMicros
            s = base
            s.generation = next
            s.billedMicros = billed
        }
    }

    // MARK: callers

    /// The key and account for `secret`, whatever their state.
    public func lookup(secret: String) -> Caller? {
        state.withLock { s in s.slotBySecret[secret].flatMap { s.caller(slot: $0) } }
    }

    public func caller(keyID: String) -> Caller? {
        state.withLock { s in s.keySlots[keyID].flatMap { s.caller(slot: $0) } }
    }

    // MARK: admission and billing

    /// Runs the money and limit checks for `caller` calling `model` (a canonical id, or nil for
    /// an endpoint that is not tied to a model) and takes a concurrency slot.
    public func admit(_ caller: Caller, model: String?, catalog: Catalog, now: Int) -> Result<Admission, GatewayError> {
        do throws(GatewayError) {
            return .success(try admission(caller, model: model, catalog: catalog, now: now))
        } catch {
            return .failure(error)
        }
    }

    /// `admit` as a throwing call (the hot path's form: no `Result` to copy the admission out of).
    public func admission(_ caller: Caller, model: String?, catalog: Catalog, now: Int) throws(GatewayError) -> Admission {
        if let model, let e = catalog.routingError(group: caller.key.group, model: model) { throw e }
        let result = state.withLock { s -> (Admission?, GatewayError?) in
            // Checked and updated in place through the slots: copying a KeyState or an
            // AccountState out and back costs a retain per field (and would copy the history).
            guard let ki = s.keySlot(caller), case let ai = s.keys[ki].accountSlot, ai >= 0 else {
                return (nil, .unauthorized("invalid x-api-key"))
            }
            s.keys[ki].prune(now: now)
            if let e = s.keys[ki].refusal(&s.accounts[ai], now: now) { return (nil, e) }
            s.accounts[ai].inFlight += 1
            return (Admission(keyID: caller.key.id, accountID: caller.key.account, model: model ?? "",
                              generation: s.generation, keySlot: ki, accountSlot: ai), nil)
        }
        guard let admission = result.0 else { throw result.1! }
        return admission
    }

    /// An admission that skips every check and holds no slot (synthetic spend with
    /// `enforce: false`); bill it, never release it.
    public func unchecked(keyID: String, accountID: String, model: String) -> Admission {
        state.withLock { s in
            Admission(keyID: keyID, accountID: accountID, model: model, generation: s.generation,
                      keySlot: s.keySlots[keyID] ?? -1, accountSlot: s.accountSlots[accountID] ?? -1)
        }
    }

    /// Frees the admission's concurrency slot. Call exactly once per admission.
    public func release(_ admission: Admission) {
        state.withLock { s in
            guard admission.generation == s.generation, admission.accountSlot >= 0 else { return }
            s.accounts[admission.accountSlot].inFlight = max(0, s.accounts[admission.accountSlot].inFlight - 1)
        }
    }

    /// Bills `usage` to the key and its wallet and appends the ledger row. Only for 2xx responses.
    @discardableResult
    public func bill(_ admission: Admission, usage: Usage, pricing: CatalogModel.Pricing, surface: String,
                     requestID: String, now: Int) -> LedgerRow {
        let credits = pricing.cost(of: usage)
        let row = LedgerRow(requestID: requestID, time: now, keyID: admission.keyID, accountID: admission.accountID,
                            model: admission.model, surface: surface, usage: usage, credits: credits)
        state.withLock { s in
            guard admission.generation == s.generation else { return }  // admitted before a reset
            if admission.keySlot >= 0 { s.keys[admission.keySlot].record(credits, at: now) }
            if case let ai = admission.accountSlot, ai >= 0 {
                s.accounts[ai].account.balance = s.accounts[ai].account.balance - credits
                s.accounts[ai].spent = s.accounts[ai].spent + credits
            }
            s.ledger.append(row)
            s.billedMicros += credits.micros
        }
        return row
    }

    /// Credits billed since start, in micro-USD (never reset: the metrics' counter).
    public var billedMicros: Int { state.withLock { $0.billedMicros } }

    /// In-flight requests of an account.
    public func inFlight(accountID: String) -> Int {
        state.withLock { s in s.accountSlots[accountID].map { s.accounts[$0].inFlight } ?? 0 }
    }

    // MARK: envelope and windows

    /// The accounting headers for `keyID` as of `now`.
    func envelope(keyID: String, now: Int) -> Envelope {
        state.withLock { s in s.keySlots[keyID].map { Self.envelope(&s, slot: $0, now: now) } ?? Envelope() }
    }

    /// The accounting headers for the caller's key as of `now`.
    func envelope(_ caller: Caller, now: Int) -> Envelope {
        state.withLock { s in s.keySlot(caller).map { Self.envelope(&s, slot: $0, now: now) } ?? Envelope() }
    }

    private static func envelope(_ s: inout State, slot: Int, now: Int) -> Envelope {
        let ai = s.keys[slot].accountSlot
        guard ai >= 0 else { return Envelope() }
        return s.keys[slot].envelope(&s.accounts[ai], now: now)
    }

    /// The configured windows of a key (unlimited ones are left out).
    public func windows(keyID: String, now: Int) -> [WindowState] {
        state.withLock { s in s.keySlots[keyID].map { Self.windowStates(s.keys[$0], now: now) } ?? [] }
    }

    /// Lifetime spend of a key.
    public func spent(keyID: String) -> Credits { state.withLock { s in s.keySlots[keyID].map { s.keys[$0].spent } ?? .zero } }

    static func windowStates(_ k: KeyState, now: Int) -> [WindowState] {
        windowCaps(k.key).compactMap { w in
            let limit = w.limit
            guard limit.micros > 0 else { return nil }
            let inside = k.events.filter { $0.time > now - w.seconds }
            let spent = inside.reduce(0) { $0 + $1.credits }
            return WindowState(name: w.name, seconds: w.seconds, limit: limit, spent: Credits(micros: spent),
                               reset: inside.last.map { $0.time + w.seconds } ?? now,
                               nextRelease: inside.first.map { $0.time + w.seconds } ?? now)
        }
    }


    static func utc(_ t: Int) -> String {
        let s = Timestamp.format(t)  // 2026-05-25T14:00:00Z
        return String(s.prefix(10)) + " " + String(s.dropFirst(11).prefix(8)) + " UTC"
    }
}

extension Credits {
    /// `50.00`: USD with two decimals, rounded down, for messages.
    var usd2: String {
        var out: [UInt8] = []
        appendFixed(micros / 10_000, decimals: 2, to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}

extension Accounting.KeyState {
    /// Why this key may not start a request on account `a` now (wallet, quota, rate windows,
    /// concurrency), or nil. `mutating` and `inout` only so that both are read in place:
    /// reading a value out of the state's arrays copies it (a retain per field).
    mutating func refusal(_ a: inout Accounting.AccountState, now: Int) -> GatewayError? {
        if a.account.balance.micros <= 0 {
            return GatewayError(.payment, status: .paymentRequired,
                                message: "insufficient balance: the \(a.account.kind == .org ? "organization" : "account") wallet is empty; top up to continue",
                                code: "insufficient_balance")
        }
        if key.quota.micros > 0, spent >= key.quota {
            return GatewayError(.payment, status: .paymentRequired,
                                message: "quota exceeded: this key has spent \(spent.usd2) of its \(key.quota.usd2) lifetime quota",
                                code: "quota_exceeded")
        }
        if Accounting.hasWindows(key) {
            for w in Accounting.windowStates(self, now: now) where w.remaining.micros <= 0 {
                let wait = max(1, w.nextRelease - now)
                var e = GatewayError(.rateLimited, status: .tooManyRequests,
                                     message: "rate_limit_\(w.name) exceeded: \(w.spent.usd2) / \(w.limit.usd2) used; resets at \(Accounting.utc(w.nextRelease))",
                                     code: "rate_limit_\(w.name)")
                // A window can be hours from its next release; an SDK that obeys `Retry-After`
                // would sleep that long inside one call. Past the cap the wait is stated in the
                // message and `X-RateLimit-Reset`, and `x-should-retry: false` stops SDK retries.
                e.headers.add("Retry-After", String(min(wait, Accounting.retryAfterCap)))
                if wait > Accounting.retryAfterCap { e.headers.add("x-should-retry", "false") }
                return e
            }
        }
        if a.inFlight >= a.account.concurrency {
            var e = GatewayError(.rateLimited, status: .tooManyRequests,
                                 message: "concurrency limit reached: \(a.account.concurrency) requests in flight for this account",
                                 code: "concurrency_limit")
            e.headers.add("Retry-After", "1")
            return e
        }
        return nil
    }

    /// The accounting headers for this key on account `a` (in place, like ``refusal(_:now:)``).
    mutating func envelope(_ a: inout Accounting.AccountState, now: Int) -> Envelope {
        var e = Envelope()
        if Accounting.hasWindows(key), let tight = Accounting.windowStates(self, now: now).min(by: { $0.remaining < $1.remaining }) {
            e.limit = tight.limit
            e.remaining = tight.remaining
            e.reset = tight.reset
        }
        let wallet = Credits(micros: max(0, a.account.balance.micros))
        e.keyRemaining = key.quota.micros > 0 ? Credits(micros: max(0, key.quota.micros - spent.micros)) : wallet
        if a.account.kind == .org { e.orgRemaining = wallet }
        return e
    }
}

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
        var spent = Credits.zero
        /// (time, credits) of billed requests younger than the longest window; requests billed
        /// in the same second share one entry, so the history stays small under load.
        var events: [(time: Int, credits: Int)] = []

        /// Adds a charge. Mutate in place (`s.keys[id]?.record(…)`): a copy would copy the history.
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

    struct State {
        var keys: [String: KeyState] = [:]
        var keyOrder: [String] = []
        var idBySecret: [String: String] = [:]
        var accounts: [String: AccountState] = [:]
        var ledger = LedgerStore()
        var transactions: [WalletTransaction] = []
        var nextTransactionID = 900_001
        var nextKeyNumber = 1
        /// Bumped by every reset, so requests admitted before it cannot touch the new state.
        var generation = 0
    }

    /// The gateway's three rolling windows of a key, with their caps (0 = unlimited).
    static func windowCaps(_ key: APIKey) -> [(name: String, seconds: Int, limit: Credits)] {
        [("5h", 5 * 3600, key.rateLimit5h), ("1d", 86_400, key.rateLimit1d), ("7d", 7 * 86_400, key.rateLimit7d)]
    }

    /// Whether any of the key's windows has a cap (most keys have none: then no window is built).
    static func hasWindows(_ key: APIKey) -> Bool {
        key.rateLimit5h.micros > 0 || key.rateLimit1d.micros > 0 || key.rateLimit7d.micros > 0
    }

    let state: Mutex<State>
    private let initial: State

    /// `ledgerSize`: ledger rows kept (the oldest dropped past it; their credits stay in the
    /// per-model totals).
    public init(keys: [APIKey], accounts: [Account], transactions: [WalletTransaction] = [], ledgerSize: Int = .max) {
        var s = State()
        s.ledger = LedgerStore(capacity: ledgerSize)
        for a in accounts {
            // Spend before the mock started: what came into the wallet (its listed movements, or its
            // lifetime top-up when none are listed) and is no longer there.
            let movements = transactions.filter { $0.accountID == a.id }
            let cameIn = movements.isEmpty ? a.lifetimeTopup.micros : movements.reduce(0) { $0 + $1.amount.micros }
            s.accounts[a.id] = AccountState(account: a, spent: Credits(micros: max(0, cameIn - a.balance.micros)))
        }
        for k in keys {
            s.keys[k.id] = KeyState(key: k)
            s.keyOrder.append(k.id)
            s.idBySecret[k.secret] = k.id
        }
        s.transactions = transactions
        s.nextTransactionID = (transactions.map(\.id).max() ?? 900_000) + 1
        initial = s
        state = Mutex(s)
    }

    /// Back to the fixture state: ledger, wallets, runtime key changes and in-flight counts.
    public func reset() {
        state.withLock { s in
            let next = s.generation + 1
            s = initial
            s.generation = next
        }
    }

    // MARK: callers

    /// The key and account for `secret`, whatever their state.
    public func lookup(secret: String) -> Caller? {
        state.withLock { s in
            guard let id = s.idBySecret[secret], let k = s.keys[id], let a = s.accounts[k.key.account] else { return nil }
            return Caller(key: k.key, account: a.account)
        }
    }

    public func caller(keyID: String) -> Caller? {
        state.withLock { s in
            guard let k = s.keys[keyID], let a = s.accounts[k.key.account] else { return nil }
            return Caller(key: k.key, account: a.account)
        }
    }

    // MARK: admission and billing

    /// Runs the money and limit checks for `caller` calling `model` (a canonical id, or nil for
    /// an endpoint that is not tied to a model) and takes a concurrency slot.
    public func admit(_ caller: Caller, model: String?, catalog: Catalog, now: Int) -> Result<Admission, GatewayError> {
        if let model, let e = catalog.routingError(group: caller.key.group, model: model) { return .failure(e) }
        return state.withLock { s -> Result<Admission, GatewayError> in
            // Checked and updated in place through dictionary indices: copying a KeyState or an
            // AccountState out and back costs a retain per field (and would copy the history).
            // (A key's account never changes: the caller's copy names it.)
            guard let ki = s.keys.index(forKey: caller.key.id), let ai = s.accounts.index(forKey: caller.key.account) else {
                return .failure(.unauthorized("invalid x-api-key"))
            }
            s.keys.values[ki].prune(now: now)
            if let e = s.keys.values[ki].refusal(&s.accounts.values[ai], now: now) { return .failure(e) }
            s.accounts.values[ai].inFlight += 1
            return .success(Admission(keyID: s.keys.keys[ki], accountID: s.accounts.keys[ai], model: model ?? "",
                                      generation: s.generation))
        }
    }

    /// An admission that skips every check and holds no slot (synthetic spend with
    /// `enforce: false`); bill it, never release it.
    public func unchecked(keyID: String, accountID: String, model: String) -> Admission {
        Admission(keyID: keyID, accountID: accountID, model: model, generation: state.withLock { $0.generation })
    }

    /// Frees the admission's concurrency slot. Call exactly once per admission.
    public func release(_ admission: Admission) {
        state.withLock { s in
            guard admission.generation == s.generation, let ai = s.accounts.index(forKey: admission.accountID) else { return }
            s.accounts.values[ai].inFlight = max(0, s.accounts.values[ai].inFlight - 1)
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
            s.keys[admission.keyID]?.record(credits, at: now)
            if let ai = s.accounts.index(forKey: admission.accountID) {
                s.accounts.values[ai].account.balance = s.accounts.values[ai].account.balance - credits
                s.accounts.values[ai].spent = s.accounts.values[ai].spent + credits
            }
            s.ledger.append(row)
        }
        return row
    }

    /// In-flight requests of an account.
    public func inFlight(accountID: String) -> Int { state.withLock { $0.accounts[accountID]?.inFlight ?? 0 } }

    // MARK: envelope and windows

    /// The accounting headers for `keyID` as of `now`.
    func envelope(keyID: String, now: Int) -> Envelope {
        state.withLock { s in
            guard let ki = s.keys.index(forKey: keyID), let ai = s.accounts.index(forKey: s.keys.values[ki].key.account) else {
                return Envelope()
            }
            return s.keys.values[ki].envelope(&s.accounts.values[ai], now: now)
        }
    }

    /// The configured windows of a key (unlimited ones are left out).
    public func windows(keyID: String, now: Int) -> [WindowState] {
        state.withLock { s in s.keys[keyID].map { Self.windowStates($0, now: now) } ?? [] }
    }

    /// Lifetime spend of a key.
    public func spent(keyID: String) -> Credits { state.withLock { $0.keys[keyID]?.spent ?? .zero } }

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
    /// reading a value out of `Dictionary.Values` copies it (a retain per field).
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
                e.headers.add("Retry-After", String(wait))
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

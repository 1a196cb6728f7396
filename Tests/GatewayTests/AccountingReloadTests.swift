import Synchronization
import Testing
@testable import BytespikeMock

/// A fixture reload (`--watch`) in the accounting engine: edits take effect, spend and the
/// ledger stay, removed keys stop authenticating, admissions in flight still bill.
@Suite struct AccountingReloadTests {
    let catalog: Catalog = {
        let f = try! FixtureLoader.load()
        return Catalog(models: f.models, retired: f.retired, groups: f.groups)
    }()
    let dollar = CatalogModel.Pricing(outputPerMTok: Credits(micros: 1_000_000))

    func account(_ id: String = "acct", balance: Double = 100, concurrency: Int = 5) -> Account {
        Account(id: id, kind: .personal, name: "A", email: "", status: .active, tier: "free", balance: Credits(usd: balance)!,
                lifetimeTopup: Credits(usd: balance)!, lowBalanceThreshold: .zero, concurrency: concurrency, created: 0)
    }

    func key(_ id: String = "k", secret: String = "sk-byts-reload-test", quota: Double = 0, account: String = "acct") -> APIKey {
        APIKey(id: id, name: id, secret: secret, group: "default", account: account, quota: Credits(usd: quota)!,
               rateLimit5h: .zero, rateLimit1d: .zero, rateLimit7d: .zero, expiresAt: nil, revoked: false,
               ipWhitelist: [], ipBlacklist: [], admin: false, created: 0)
    }

    func bill(_ a: Accounting, _ secret: String, usd: Double) throws {
        let caller = try #require(a.lookup(secret: secret))
        let admission = try a.admit(caller, model: "claude-sonnet-4-6", catalog: catalog, now: 100).get()
        _ = a.bill(admission, usage: Usage(outputTokens: Int(usd * 1_000_000)), pricing: dollar, surface: "test",
                   requestID: "req", now: 100)
        a.release(admission)
    }

    func ledgerCount(_ a: Accounting) -> Int { a.state.withLock { $0.ledger.count } }

    @Test func changedKey_takesTheNewLimitsAndKeepsItsSpend() throws {
        let a = Accounting(keys: [key(quota: 10)], accounts: [account()])
        try bill(a, "sk-byts-reload-test", usd: 3)
        a.reload(keys: [key(quota: 20)], accounts: [account()], transactions: [])
        #expect(a.lookup(secret: "sk-byts-reload-test")?.key.quota == Credits(usd: 20))
        #expect(a.spent(keyID: "k") == Credits(usd: 3))
        #expect(ledgerCount(a) == 1)
    }

    @Test func changedAccount_rebasesTheBalanceOnTheFileAndKeepsWhatMoved() throws {
        let a = Accounting(keys: [key()], accounts: [account(balance: 100, concurrency: 5)])
        try bill(a, "sk-byts-reload-test", usd: 3)
        a.reload(keys: [key()], accounts: [account(balance: 50, concurrency: 9)], transactions: [])
        let (acct, _) = try #require(a.account("acct"))
        #expect(acct.balance == Credits(usd: 47))
        #expect(acct.concurrency == 9)
    }

    @Test func unchangedAccount_keepsItsRunningBalance_andAChangedSecretMoves() throws {
        let a = Accounting(keys: [key(), key("other", secret: "sk-byts-other-key")], accounts: [account()])
        try bill(a, "sk-byts-reload-test", usd: 3)
        a.reload(keys: [key(), key("other", secret: "sk-byts-other-key-2")], accounts: [account()], transactions: [])
        #expect(try #require(a.account("acct")).account.balance == Credits(usd: 97))
        #expect(a.lookup(secret: "sk-byts-other-key") == nil)
        #expect(a.lookup(secret: "sk-byts-other-key-2")?.key.id == "other")
    }

    @Test func removedKey_stopsAuthenticatingWhileAnAdmissionInFlightStillBills() throws {
        let a = Accounting(keys: [key(), key("gone", secret: "sk-byts-going-away")], accounts: [account()])
        let caller = try #require(a.lookup(secret: "sk-byts-going-away"))
        let admission = try a.admit(caller, model: "claude-sonnet-4-6", catalog: catalog, now: 100).get()
        a.reload(keys: [key()], accounts: [account()], transactions: [])
        #expect(a.lookup(secret: "sk-byts-going-away") == nil)
        #expect(a.keys(accountID: "acct").map(\.id) == ["k"])
        _ = a.bill(admission, usage: Usage(outputTokens: 2_000_000), pricing: dollar, surface: "test", requestID: "r", now: 100)
        a.release(admission)
        #expect(ledgerCount(a) == 1)
        #expect(try #require(a.account("acct")).account.balance == Credits(usd: 98))
        #expect(a.inFlight(accountID: "acct") == 0)
    }

    @Test func removedAccount_takesItsKeysAlong() {
        let a = Accounting(keys: [key(), key("b", secret: "sk-byts-second-acct", account: "acct2")],
                           accounts: [account(), account("acct2")])
        a.reload(keys: [key()], accounts: [account()], transactions: [])
        #expect(a.lookup(secret: "sk-byts-second-acct") == nil)
        #expect(a.account("acct2") == nil)
        #expect(a.lookup(secret: "sk-byts-reload-test") != nil)
    }

    @Test func reset_afterAReload_returnsToTheReloadedFixtures() throws {
        let a = Accounting(keys: [key(quota: 10)], accounts: [account()])
        a.reload(keys: [key(quota: 20), key("new", secret: "sk-byts-brand-new")], accounts: [account(balance: 5)], transactions: [])
        try bill(a, "sk-byts-brand-new", usd: 1)
        a.reset()
        #expect(a.lookup(secret: "sk-byts-brand-new") != nil)
        #expect(a.lookup(secret: "sk-byts-reload-test")?.key.quota == Credits(usd: 20))
        #expect(try #require(a.account("acct")).account.balance == Credits(usd: 5))
        #expect(ledgerCount(a) == 0)
    }
}

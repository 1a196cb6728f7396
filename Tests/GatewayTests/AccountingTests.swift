import Dispatch
import HTTPCore
import Synchronization
import Testing
@testable import BytespikeMock

/// The accounting engine, driven by explicit times (no clock, no sleeping).
@Suite struct AccountingTests {
    let fixtures = try! FixtureLoader.load()
    var catalog: Catalog { Catalog(models: fixtures.models, retired: fixtures.retired, groups: fixtures.groups) }
    let sonnet = CatalogModel.Pricing(inputPerMTok: Credits(micros: 3_000_000), outputPerMTok: Credits(micros: 15_000_000))

    /// A key with the given limits on its own account.
    func engine(quota: Double = 0, windows: (Double, Double, Double) = (0, 0, 0), balance: Double = 100,
                concurrency: Int = 5, group: String = "default", kind: Account.Kind = .personal) -> (Accounting, Caller) {
        let account = Account(id: "acct", kind: kind, name: "A", email: "", status: .active, tier: "free",
                              balance: Credits(usd: balance)!, lifetimeTopup: Credits(usd: balance)!, lowBalanceThreshold: .zero,
                              concurrency: concurrency, created: 0)
        let key = APIKey(id: "k", name: "k", secret: "sk-byts-test-secret", group: group, account: "acct",
                         quota: Credits(usd: quota)!, rateLimit5h: Credits(usd: windows.0)!, rateLimit1d: Credits(usd: windows.1)!,
                         rateLimit7d: Credits(usd: windows.2)!, expiresAt: nil, revoked: false, ipWhitelist: [], ipBlacklist: [],
                         admin: false, created: 0)
        let a = Accounting(keys: [key], accounts: [account])
        return (a, a.lookup(secret: key.secret)!)
    }

    /// Bills `usd` dollars (as output tokens of a $1/Mtok model) at `time`.
    @discardableResult
    func bill(_ a: Accounting, _ c: Caller, _ usd: Double, at time: Int) -> Result<LedgerRow, GatewayError> {
        a.admit(c, model: "claude-sonnet-4-6", catalog: catalog, now: time).map { adm in
            defer { a.release(adm) }
            let oneDollarPerMTok = CatalogModel.Pricing(outputPerMTok: Credits(micros: 1_000_000))
            return a.bill(adm, usage: Usage(outputTokens: Int(usd * 1_000_000)), pricing: oneDollarPerMTok,
                          surface: "test", requestID: "req_\(time)", now: time)
        }
    }

    func code(_ r: Result<LedgerRow, GatewayError>) -> String? {
        if case .failure(let e) = r { return e.code }
        return nil
    }

    @Test func pricing_roundsTokensUpToTheCreditAndBillsThinkingAsInput() {
        #expect(sonnet.cost(of: Usage(inputTokens: 1000, outputTokens: 2000)) == Credits(micros: 33_000))
        #expect(sonnet.cost(of: Usage(inputTokens: 1)) == Credits(micros: 3))
        #expect(sonnet.cost(of: Usage(thinkingTokens: 1000)) == sonnet.cost(of: Usage(inputTokens: 1000)))
        let cheap = CatalogModel.Pricing(inputPerMTok: Credits(micros: 140_000))
        #expect(cheap.cost(of: Usage(inputTokens: 1)) == Credits(micros: 1))  // 0.14 credits → 1
        let media = CatalogModel.Pricing(perImage: Credits(micros: 80_000), perVideoSecond: Credits(micros: 100_000))
        #expect(media.cost(of: Usage(images: 3, videoSeconds: 8)) == Credits(micros: 1_040_000))
    }

    /// The 5h window slides: spend rolls out exactly 5 h after it happened.
    @Test func window_slidesAndFreesSpendAsItAges() throws {
        let (a, c) = engine(windows: (1, 5, 20))
        _ = try bill(a, c, 0.6, at: 0).get()
        _ = try bill(a, c, 0.4, at: 100).get()
        let blocked = bill(a, c, 0.1, at: 200)
        #expect(code(blocked) == "rate_limit_5h")
        if case .failure(let e) = blocked {
            #expect(e.status.code == 429)
            // 17,800 s away: capped at 60 s, and SDK retries stopped.
            #expect(e.headers["Retry-After"] == String(Accounting.retryAfterCap))
            #expect(e.headers["x-should-retry"] == "false")
            #expect(e.message.hasPrefix("rate_limit_5h exceeded: 1.00 / 1.00 used; resets at 1970-01-01 05:00:00 UTC"))
        }
        let w = a.windows(keyID: "k", now: 200)
        #expect(w.map(\.name) == ["5h", "1d", "7d"])
        #expect(w[0].spent == Credits(micros: 1_000_000) && w[0].remaining == .zero)
        #expect(w[0].reset == 100 + 18_000)
        #expect(code(bill(a, c, 0.1, at: 17_999)) == "rate_limit_5h")
        #expect(code(bill(a, c, 0.1, at: 18_000)) == nil)  // the 0.6 spent at t=0 left the window
        #expect(a.windows(keyID: "k", now: 18_000)[0].spent == Credits(micros: 500_000))
    }

    @Test func longerWindow_blocksWhenShorterOnesHaveRoom() throws {
        let (a, c) = engine(windows: (10, 1.5, 0))
        _ = try bill(a, c, 1, at: 0).get()
        _ = try bill(a, c, 1, at: 20_000).get()
        #expect(code(bill(a, c, 0.1, at: 40_000)) == "rate_limit_1d")
        #expect(code(bill(a, c, 0.1, at: 86_400)) == nil)
        let e = a.envelope(keyID: "k", now: 86_400)
        #expect(e.limit == Credits(micros: 1_500_000))  // the tightest window is reported
    }

    @Test func quota_exhaustsThenReports402() throws {
        let (a, c) = engine(quota: 0.01)
        _ = try bill(a, c, 0.006, at: 0).get()
        #expect(a.envelope(keyID: "k", now: 0).keyRemaining == Credits(micros: 4_000))
        _ = try bill(a, c, 0.006, at: 1).get()  // admitted below the cap, may overshoot it
        #expect(a.envelope(keyID: "k", now: 1).keyRemaining == .zero)
        let r = bill(a, c, 0.001, at: 2)
        #expect(code(r) == "quota_exceeded")
        if case .failure(let e) = r { #expect(e.status.code == 402) }
    }

    @Test func wallets_orgAndPersonalMoveTheRightBalances() throws {
        let (org, oc) = engine(quota: 10, balance: 50, kind: .org)
        _ = try bill(org, oc, 2.5, at: 0).get()
        let e = org.envelope(keyID: "k", now: 0)
        #expect(e.keyRemaining == Credits(micros: 7_500_000))
        #expect(e.orgRemaining == Credits(micros: 47_500_000))
        let (personal, pc) = engine(balance: 50)
        _ = try bill(personal, pc, 2.5, at: 0).get()
        let p = personal.envelope(keyID: "k", now: 0)
        #expect(p.keyRemaining == Credits(micros: 47_500_000))  // no quota: what the wallet can spend
        #expect(p.orgRemaining == nil)
        #expect(personal.account("acct")?.account.balance == Credits(micros: 47_500_000))
    }

    /// Each check, fixed in turn, reveals the next one: group → wallet → quota → window → concurrency.
    @Test func admission_checksInTheDocumentedOrder() throws {
        let (a, c) = engine(quota: 0.5, windows: (1, 0, 0), balance: 0, concurrency: 1, group: "claude-default")
        func admit(_ model: String) -> String? {
            switch a.admit(a.caller(keyID: "k")!, model: model, catalog: catalog, now: 10) {
            case .success(let adm): a.release(adm); return nil
            case .failure(let e): return "\(e.status.code) \(e.code ?? "")"
            }
        }
        #expect(admit("gpt-5-4") == "403 model_not_in_group")
        #expect(admit("claude-opus-4-8") == "402 insufficient_balance")
        _ = a.topUp(accountID: "acct", amount: Credits(micros: 20_000_000), now: 0, source: [])
        _ = a.bill(a.unchecked(keyID: "k", accountID: "acct", model: "claude-opus-4-8"), usage: Usage(outputTokens: 600_000),
                   pricing: CatalogModel.Pricing(outputPerMTok: Credits(micros: 2_000_000)), surface: "t", requestID: "r", now: 5)
        #expect(admit("claude-opus-4-8") == "402 quota_exceeded")
        _ = a.updateKey("k") { $0.quota = .zero }
        #expect(admit("claude-opus-4-8") == "429 rate_limit_5h")
        _ = a.updateKey("k") { $0.rateLimit5h = .zero }
        let held = try a.admit(a.caller(keyID: "k")!, model: "claude-opus-4-8", catalog: catalog, now: 10).get()
        #expect(admit("claude-opus-4-8") == "429 concurrency_limit")
        a.release(held)
        #expect(admit("claude-opus-4-8") == nil)
        _ = c
    }

    /// An admission (a stream, say) holds its slot until released.
    @Test func concurrency_countsInFlightPerAccount() throws {
        let (a, c) = engine(concurrency: 2)
        let first = try a.admit(c, model: nil, catalog: catalog, now: 0).get()
        let second = try a.admit(c, model: nil, catalog: catalog, now: 0).get()
        #expect(a.inFlight(accountID: "acct") == 2)
        guard case .failure(let e) = a.admit(c, model: nil, catalog: catalog, now: 0) else { Issue.record("expected 429"); return }
        #expect(e.code == "concurrency_limit" && e.headers["Retry-After"] == "1")
        a.release(first)
        let third = try a.admit(c, model: nil, catalog: catalog, now: 0).get()
        a.release(second)
        a.release(third)
        #expect(a.inFlight(accountID: "acct") == 0)
    }

    @Test(arguments: [(4.99, nil), (5.0, 0), (19.99, 0), (20.0, 600_000), (100.0, 5_000_000), (500.0, 40_000_000),
                      (1000.0, 112_000_000), (1250.0, 140_000_000), (1250.01, nil)] as [(Double, Int?)])
    func topUp_appliesTheBonusLadder(_ usd: Double, _ bonusMicros: Int?) {
        let (a, _) = engine(balance: 1)
        let r = a.topUp(accountID: "acct", amount: Credits(usd: usd)!, now: 0, source: [])
        guard let bonusMicros else {
            if case .success = r { Issue.record("expected a rejection") }
            return
        }
        let rows = (try? r.get()) ?? []
        #expect(rows.first?.kind == .topup)
        #expect(rows.first?.amount == Credits(usd: usd))
        #expect(rows.dropFirst().first?.amount.micros ?? 0 == bonusMicros)
        #expect(a.account("acct")?.account.balance.micros == 1_000_000 + Credits(usd: usd)!.micros + bonusMicros)
    }

    /// Many threads billing one key: nothing lost, nothing counted twice.
    @Test func concurrentBilling_ledgerEqualsWalletDrop() {
        let (a, c) = engine(balance: 1000, concurrency: 1000)
        let before = a.account("acct")!.account.balance
        DispatchQueue.concurrentPerform(iterations: 8) { t in
            for i in 0..<500 {
                if case .success(let adm) = a.admit(c, model: "claude-sonnet-4-6", catalog: catalog, now: t) {
                    a.bill(adm, usage: Usage(inputTokens: 100 + i, outputTokens: t + 1), pricing: sonnet, surface: "t",
                           requestID: "req_\(t)_\(i)", now: t)
                    a.release(adm)
                }
            }
        }
        let ledger = a.ledger(accountID: "acct")
        #expect(ledger.count == 4000)
        let sum = ledger.reduce(0) { $0 + $1.credits.micros }
        #expect(before.micros - a.account("acct")!.account.balance.micros == sum)
        #expect(a.spent(keyID: "k").micros == sum)
        #expect(a.inFlight(accountID: "acct") == 0)
    }

    @Test func reset_returnsToTheFixtureState() throws {
        let (a, c) = engine(balance: 10)
        _ = try bill(a, c, 1, at: 0).get()
        _ = a.updateKey("k") { $0.revoked = true }
        a.reset()
        #expect(a.ledger(accountID: "acct").isEmpty)
        #expect(a.account("acct")?.account.balance == Credits(micros: 10_000_000))
        #expect(a.caller(keyID: "k")?.key.revoked == false)
    }

    /// The packed ledger gives back exactly the rows appended: across page boundaries, for ids of
    /// the gateway's form and any other, per account, in order.
    /// Past its capacity the store keeps the newest rows (across page boundaries, with ids of
    /// both forms) and still counts every row's credits per account and model.
    @Test(arguments: [1, 5, LedgerStore.pageSize, LedgerStore.pageSize + 3])
    func ledgerStore_keepsTheNewestRowsAndEveryCredit(_ capacity: Int) {
        var store = LedgerStore(capacity: capacity)
        var all: [LedgerRow] = []
        let ids = RequestIDs(seed: 3)
        for i in 0..<(LedgerStore.pageSize * 2 + 29) {
            let row = LedgerRow(requestID: i % 7 == 0 ? "custom-\(i)" : ids.next(), time: 1_700_000_000 + i, keyID: "key",
                                accountID: i % 3 == 0 ? "acct_a" : "acct_b", model: i % 2 == 0 ? "m1" : "m2", surface: "chat",
                                usage: Usage(inputTokens: i, outputTokens: 1, images: i % 11 == 0 ? 1 : 0), credits: Credits(micros: 100 + i))
            store.append(row)
            all.append(row)
        }
        let kept = Array(all.suffix(capacity))
        #expect(store.count == capacity)
        #expect(store.dropped == all.count - capacity)
        for account in ["acct_a", "acct_b"] {
            #expect(store.rows(accountID: account) == kept.filter { $0.accountID == account })
            var credits: [String: Int] = [:]
            for r in all where r.accountID == account { credits[r.model, default: 0] += r.credits.micros }
            #expect(store.modelCredits(accountID: account) == credits)
        }
    }

    @Test func ledgerStore_returnsTheRowsAppended() {
        var store = LedgerStore()
        var expected: [LedgerRow] = []
        let ids = RequestIDs(seed: 7)
        for i in 0..<(LedgerStore.pageSize * 2 + 17) {
            let id = i % 97 == 0 ? "custom-\(i)" : (i % 89 == 0 ? "req_ABCDEF0123456789abcdef01" : ids.next())
            // Most rows fit the packed form; some do not (another id, cache/image/video counts, a
            // time before the first row's, a count past 32 bits) and are kept whole.
            let rare = i % 10 == 3
            let row = LedgerRow(requestID: id, time: 1_700_000_000 + i - (i % 101 == 50 ? 5_000 : 0),
                                keyID: "key_\(i % 3)", accountID: i % 2 == 0 ? "acct_a" : "acct_b",
                                model: i % 5 == 0 ? "claude-sonnet-4-6" : "gpt-5-4-mini", surface: i % 4 == 0 ? "messages" : "chat",
                                usage: Usage(inputTokens: i % 211 == 7 ? 5_000_000_000 : i, outputTokens: 2 * i, thinkingTokens: i % 7,
                                             cacheReadTokens: rare ? i % 11 : 0, cacheWriteTokens: rare ? i % 13 : 0,
                                             images: rare ? 1 : 0, videoSeconds: rare ? i % 9 : 0),
                                credits: Credits(micros: 1_000 + i))
            store.append(row)
            expected.append(row)
        }
        #expect(store.count == expected.count)
        #expect(store.rows(accountID: "acct_a") == expected.filter { $0.accountID == "acct_a" })
        #expect(store.rows(accountID: "acct_b") == expected.filter { $0.accountID == "acct_b" })
        #expect(store.rows(accountID: "acct_none").isEmpty)
        #expect(MemoryLayout<LedgerStore.Packed>.stride == 48)
        let id = ids.next()
        #expect(LedgerStore.pack(id).map { LedgerStore.unpack($0.high, $0.low) } == id)
    }
}

import Synchronization

/// Wallet top-ups and key management: the runtime changes the management and control APIs make.
extension Accounting {
    /// The documented bonus ladder: the percentage (in tenths of a percent) for a top-up.
    static func bonusPermille(forTopup usd: Credits) -> Int? {
        switch usd.micros {
        case 5_000_000..<20_000_000: 0
        case 20_000_000..<100_000_000: 30
        case 100_000_000..<500_000_000: 50
        case 500_000_000..<1_000_000_000: 80
        case 1_000_000_000...1_250_000_000: 112
        default: nil
        }
    }

    /// Credits `amount` plus its bonus to an account's wallet: one wallet movement, two rows
    /// (`topup`, then `bonus` when the ladder gives one). Amounts outside $5–$1,250 are rejected.
    public func topUp(accountID: String, amount: Credits, now: Int, source: [(String, String)]) -> Result<[WalletTransaction], GatewayError> {
        guard let permille = Self.bonusPermille(forTopup: amount) else {
            return .failure(.badRequest("top-up amount must be between 5.00 and 1250.00 USD", code: "invalid_param", param: "amount_usd"))
        }
        let bonus = Credits(micros: amount.micros * permille / 1000)
        return state.withLock { s -> Result<[WalletTransaction], GatewayError> in
            guard let slot = s.accountSlots[accountID] else { return .failure(.notFound("no account '\(accountID)'", code: "account_not_found")) }
            var a = s.accounts[slot]
            var rows: [WalletTransaction] = []
            var balance = a.account.balance
            for (kind, value, src) in [(WalletTransaction.Kind.topup, amount, source),
                                       (.bonus, bonus, [("ladder", "+\(Double(permille) / 10)%")])] where value.micros > 0 {
                balance = balance + value
                rows.append(WalletTransaction(id: s.nextTransactionID, time: now, accountID: accountID, kind: kind,
                                              amount: value, balanceAfter: balance, source: src, note: nil))
                s.nextTransactionID += 1
            }
            a.account.balance = balance
            a.account.lifetimeTopup = a.account.lifetimeTopup + amount
            s.accounts[slot] = a
            s.transactions += rows
            return .success(rows)
        }
    }

    /// Changes a key in place (limits, group, name, IP lists, revocation, expiry).
    public func updateKey(_ id: String, _ change: (inout APIKey) -> Void) -> APIKey? {
        state.withLock { s in
            guard let slot = s.keySlots[id] else { return nil }
            let oldSecret = s.keys[slot].key.secret
            change(&s.keys[slot].key)
            let key = s.keys[slot].key
            s.keys[slot].accountSlot = s.accountSlots[key.account] ?? -1  // (no change moves a key today)
            if key.secret != oldSecret {
                s.slotBySecret[oldSecret] = nil
                s.slotBySecret[key.secret] = slot
            }
            return key
        }
    }

    /// Adds a key; fails when its secret is taken.
    public func addKey(_ key: APIKey) -> Bool {
        state.withLock { s in
            guard s.slotBySecret[key.secret] == nil, s.keySlots[key.id] == nil else { return false }
            s.insert(key)
            return true
        }
    }

    /// Every key, in creation order (the inspector page's key list; not those a fixture reload removed).
    public func allKeys() -> [APIKey] {
        state.withLock { s in s.keys.indices.filter { s.keySlots[s.keys[$0].key.id] == $0 }.map { s.keys[$0].key } }
    }

    /// The keys of an account, in creation order (not those a fixture reload removed).
    public func keys(accountID: String) -> [APIKey] {
        state.withLock { s in
            s.keys.indices.filter { s.keys[$0].key.account == accountID && s.keySlots[s.keys[$0].key.id] == $0 }.map { s.keys[$0].key }
        }
    }

    /// A fresh unique id number for created keys.
    func nextKeyNumber() -> Int {
        state.withLock { s in
            defer { s.nextKeyNumber += 1 }
            return s.nextKeyNumber
        }
    }

    /// Ledger rows of an account kept (`--ledger-size`), oldest first.
    public func ledger(accountID: String) -> [LedgerRow] {
        state.withLock { s in s.ledger.rows(accountID: accountID) }
    }

    /// Credits an account was billed, by model: every billed request, dropped rows included.
    public func modelCredits(accountID: String) -> [String: Int] {
        state.withLock { s in s.ledger.modelCredits(accountID: accountID) }
    }

    /// Wallet movements of an account, oldest first.
    public func transactions(accountID: String) -> [WalletTransaction] {
        state.withLock { s in s.transactions.filter { $0.accountID == accountID } }
    }

    /// The account's current state and lifetime spend.
    public func account(_ id: String) -> (account: Account, spent: Credits)? {
        state.withLock { s in s.accountSlots[id].map { (s.accounts[$0].account, s.accounts[$0].spent) } }
    }
}

import Synchronization

/// A fixture reload (`--watch`): the edited keys and accounts take effect, the money already
/// spent stays spent, and the ledger is kept.
///
/// What a reload does, entry by entry (compared with the fixtures loaded before it):
/// - A key or account whose fixture entry is unchanged keeps its whole running state, including
///   changes made through the management or control API.
/// - A changed key takes the file's definition (secret, group, limits, revoked, IP rules…) and
///   keeps its spend: lifetime quota used and the rolling 5h/1d/7d windows.
/// - A changed account takes the file's definition; its balance becomes the file's balance plus
///   the net movement since the previous load (bills, top-ups, admin credits), and in-flight
///   requests keep their concurrency slots.
/// - A key or account that left the file stops existing for new requests (401 unknown key);
///   its ledger rows stay, and a request admitted before the reload still bills and releases.
///   Keys created at runtime stay unless their account left.
/// - The file's transactions replace the previous file's; runtime transactions stay.
/// - ``reset()`` afterwards returns to the reloaded fixtures.
extension Accounting {
    public func reload(keys: [APIKey], accounts: [Account], transactions: [WalletTransaction]) {
        initial.withLock { old in
            var fresh = Self.fixtureState(keys: keys, accounts: accounts, transactions: transactions, ledgerSize: .max)
            fresh.ledger = old.ledger  // empty, with the configured capacity
            state.withLock { s in Self.merge(&s, old: old, new: fresh) }
            old = fresh
        }
    }

    private static func merge(_ s: inout State, old: State, new: State) {
        // Accounts: slots are never reused, so admissions in flight stay valid.
        for a in new.accounts {
            let id = a.account.id
            guard let slot = s.accountSlots[id] else {
                s.accountSlots[id] = s.accounts.count
                s.accounts.append(a)
                continue
            }
            let before = old.accountSlots[id].map { old.accounts[$0] }
            guard before?.account != a.account else { continue }
            var running = s.accounts[slot]
            let moved = running.account.balance.micros - (before?.account.balance.micros ?? running.account.balance.micros)
            let spent = running.spent.micros - (before?.spent.micros ?? running.spent.micros)
            running.account = a.account
            running.account.balance = Credits(micros: a.account.balance.micros + moved)
            running.spent = Credits(micros: a.spent.micros + spent)
            s.accounts[slot] = running
        }
        let kept = Set(new.accounts.map(\.account.id))
        for id in old.accountSlots.keys where !kept.contains(id) { s.accountSlots[id] = nil }

        for k in new.keys {
            let id = k.key.id
            guard let slot = s.keySlots[id] else {
                s.insert(k.key)
                continue
            }
            let before = old.keySlots[id].map { old.keys[$0].key }
            guard before != k.key else { continue }
            let oldSecret = s.keys[slot].key.secret
            s.keys[slot].key = k.key
            if oldSecret != k.key.secret {
                if s.slotBySecret[oldSecret] == slot { s.slotBySecret[oldSecret] = nil }
                s.slotBySecret[k.key.secret] = slot
            }
        }
        let keptKeys = Set(new.keys.map(\.key.id))
        for (id, slot) in s.keySlots {
            let gone = (old.keySlots[id] != nil && !keptKeys.contains(id)) || s.accountSlots[s.keys[slot].key.account] == nil
            if gone {
                s.keySlots[id] = nil
                if s.slotBySecret[s.keys[slot].key.secret] == slot { s.slotBySecret[s.keys[slot].key.secret] = nil }
            }
        }
        for i in s.keys.indices { s.keys[i].accountSlot = s.accountSlots[s.keys[i].key.account] ?? -1 }

        let oldIDs = Set(old.transactions.map(\.id))
        s.transactions = (new.transactions + s.transactions.filter { !oldIDs.contains($0.id) }).sorted { ($0.time, $0.id) < ($1.time, $1.id) }
        s.nextTransactionID = max(s.nextTransactionID, new.nextTransactionID)
    }
}

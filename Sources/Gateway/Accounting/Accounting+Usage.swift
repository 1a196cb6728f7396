import Synchronization

/// The usage reads over the ledger's index: each holds the accounting lock for a few binary
/// searches and the page or buckets it returns, never for a scan of the ledger.
extension Accounting {
    /// Page `page` of `size` rows of `accountID`'s usage matching `filter`, newest first, with
    /// the totals of every matching row.
    func usagePage(accountID: String, filter: UsageFilter, page: Int, size: Int) -> UsagePage {
        state.withLock { s in s.ledger.usagePage(accountID: accountID, filter: filter, page: page, size: size) }
    }

    /// `accountID`'s usage matching `filter`, summed per bucket (see
    /// ``LedgerStore/usageBuckets(accountID:filter:width:byModel:byKey:)``).
    func usageBuckets(accountID: String, filter: UsageFilter, width: Int?, byModel: Bool, byKey: Bool)
        -> (buckets: [UsageBucket], totals: LedgerSums) {
        state.withLock { s in
            s.ledger.usageBuckets(accountID: accountID, filter: filter, width: width, byModel: byModel, byKey: byKey)
        }
    }
}

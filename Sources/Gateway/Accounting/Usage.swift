/// What one request consumed, in the units the catalog prices.
public struct Usage: Sendable, Equatable {
    public var inputTokens = 0
    public var outputTokens = 0
    /// Extended-thinking tokens; billed at the input rate.
    public var thinkingTokens = 0
    public var cacheReadTokens = 0
    public var cacheWriteTokens = 0
    public var images = 0
    public var videoSeconds = 0

    public init(inputTokens: Int = 0, outputTokens: Int = 0, thinkingTokens: Int = 0, cacheReadTokens: Int = 0,
                cacheWriteTokens: Int = 0, images: Int = 0, videoSeconds: Int = 0) {
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.thinkingTokens = thinkingTokens
        self.cacheReadTokens = cacheReadTokens
        self.cacheWriteTokens = cacheWriteTokens
        self.images = images
        self.videoSeconds = videoSeconds
    }
}

extension CatalogModel.Pricing {
    /// The price of `usage` in credits. Token prices are per 1M tokens; the token part is
    /// rounded up to the next whole credit (micro-USD), so nothing is ever billed at zero by
    /// rounding. Thinking tokens bill at the input rate. Saturates at ``Credits/max`` instead of
    /// overflowing: the inputs are range-checked where they enter, and this keeps any
    /// combination of a large count and a large price from trapping.
    public func cost(of u: Usage) -> Credits {
        func part(_ count: Int, _ price: Credits) -> Int { Credits.saturating(max(0, count), times: price.micros) }
        var tokenMicros = part(u.inputTokens, inputPerMTok)
        tokenMicros = Credits.saturating(tokenMicros, part(u.thinkingTokens, inputPerMTok))
        tokenMicros = Credits.saturating(tokenMicros, part(u.outputTokens, outputPerMTok))
        tokenMicros = Credits.saturating(tokenMicros, part(u.cacheReadTokens, cacheReadPerMTok))
        tokenMicros = Credits.saturating(tokenMicros, part(u.cacheWriteTokens, cacheWritePerMTok))
        // (A saturated product stays saturated: it stands for "more than can be billed".)
        let tokens = tokenMicros == Int.max ? Int.max : tokenMicros / 1_000_000 + (tokenMicros % 1_000_000 == 0 ? 0 : 1)
        let media = Credits.saturating(part(u.images, perImage), part(u.videoSeconds, perVideoSecond))
        return Credits(micros: min(Credits.saturating(tokens, media), Credits.max.micros))
    }
}

/// One billed request: the ledger's row.
public struct LedgerRow: Sendable, Equatable {
    public var requestID: String
    public var time: Int
    public var keyID: String
    public var accountID: String
    public var model: String
    public var surface: String
    public var usage: Usage
    public var credits: Credits
}

/// A wallet movement shown by `/api/v1/me/billing/transactions`. API calls are not rows here.
public struct WalletTransaction: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case topup, refund, admin_credit, admin_debit, subscription_renew, bonus
    }
    public var id: Int
    public var time: Int
    public var accountID: String
    public var kind: Kind
    /// Signed: credits in are positive.
    public var amount: Credits
    public var balanceAfter: Credits
    public var source: [(String, String)]
    public var note: String?

    public static func == (a: Self, b: Self) -> Bool {
        a.id == b.id && a.time == b.time && a.accountID == b.accountID && a.kind == b.kind && a.amount == b.amount
            && a.balanceAfter == b.balanceAfter && a.note == b.note && a.source.elementsEqual(b.source, by: ==)
    }
}

/// A rolling spend window of a key.
public struct WindowState: Sendable, Equatable {
    public var name: String        // "5h", "1d", "7d"
    public var seconds: Int
    public var limit: Credits
    public var spent: Credits
    public var remaining: Credits { Credits(micros: max(0, limit.micros - spent.micros)) }
    /// When everything spent in the window has rolled out of it (the bucket is full again);
    /// `now` when nothing was spent.
    public var reset: Int
    /// When the oldest spend in the window rolls out (the earliest moment budget frees up).
    public var nextRelease: Int
}

/// What the usage reads add up over ledger rows: requests, credits, input and output tokens.
/// Wrapping arithmetic: the index keeps running sums and subtracts them, and the difference of
/// two wrapped sums is exact whenever the true sum fits.
///
/// Concurrency: a value.
struct LedgerSums: Sendable, Equatable {
    var requests = 0
    var credits = 0
    var input = 0
    var output = 0

    static func + (a: Self, b: Self) -> Self {
        Self(requests: a.requests &+ b.requests, credits: a.credits &+ b.credits, input: a.input &+ b.input,
             output: a.output &+ b.output)
    }

    static func - (a: Self, b: Self) -> Self {
        Self(requests: a.requests &- b.requests, credits: a.credits &- b.credits, input: a.input &- b.input,
             output: a.output &- b.output)
    }

    static func += (a: inout Self, b: Self) { a = a + b }
    static func -= (a: inout Self, b: Self) { a = a - b }
}

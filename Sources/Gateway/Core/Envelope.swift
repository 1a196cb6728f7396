import HTTPCore

/// The accounting headers on every gateway response, success or failure.
///
/// Money is USD with six decimals (exact to the credit). The rate-limit trio reports the
/// tightest configured window; with no window configured all three are `0`, the gateway's own
/// convention for "unlimited". `X-Quota-Remaining-Credits` is the key's lifetime quota left, or,
/// for a key without a quota, what its wallet can still spend. `X-Org-Quota-Remaining-Credits`
/// appears on org-owned keys only. Unauthenticated requests carry zeros.
struct Envelope: Sendable, Equatable {
    var limit: Credits = .zero
    var remaining: Credits = .zero
    var reset = 0
    var keyRemaining: Credits = .zero
    var orgRemaining: Credits?

    init() {}

    /// Appends the header lines.
    func write(to out: inout [UInt8]) {
        // One copy per line (assembled on the stack): these run on every response.
        withFixedDigits(limit.micros, decimals: 6) { out.appendHeaderLine("X-RateLimit-Limit", $0) }
        withFixedDigits(remaining.micros, decimals: 6) { out.appendHeaderLine("X-RateLimit-Remaining", $0) }
        withDecimalDigits(reset) { out.appendHeaderLine("X-RateLimit-Reset", $0) }
        withFixedDigits(keyRemaining.micros, decimals: 6) { out.appendHeaderLine("X-Quota-Remaining-Credits", $0) }
        if let org = orgRemaining {
            withFixedDigits(org.micros, decimals: 6) { out.appendHeaderLine("X-Org-Quota-Remaining-Credits", $0) }
        }
    }

    /// The same fields as a header list (for the rare responses built as values), derived from
    /// `write(to:)` so the two can never disagree.
    var headerList: HeaderList {
        var bytes: [UInt8] = []
        write(to: &bytes)
        var list = HeaderList()
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\r\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            list.add(String(parts[0]), String(parts[1].dropFirst()))
        }
        return list
    }
}

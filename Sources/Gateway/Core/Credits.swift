/// Money in integer micro-USD: 1 USD = 1,000,000 credits. No floating point in the ledger.
public struct Credits: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var micros: Int

    public init(micros: Int) { self.micros = micros }

    /// Converts a fixture's USD amount; fails when it has more than six decimals or is negative.
    public init?(usd: Double) {
        guard usd.isFinite, usd >= 0, usd < 1e12 else { return nil }
        let scaled = usd * 1_000_000
        let rounded = scaled.rounded()
        guard abs(scaled - rounded) < 1e-3 else { return nil }
        micros = Int(rounded)
    }

    public static let zero = Credits(micros: 0)
    /// The largest amount the ledger holds (about 9.2 trillion USD): sums stop here rather than
    /// overflow. Every amount that enters is far smaller (docs/limits.md).
    public static let max = Credits(micros: Int.max / 2)
    public static func < (a: Credits, b: Credits) -> Bool { a.micros < b.micros }
    /// Sum and difference saturate at ±``max``: a running balance or spend total never traps.
    public static func + (a: Credits, b: Credits) -> Credits { Credits(micros: clamp(saturating(a.micros, b.micros))) }
    public static func - (a: Credits, b: Credits) -> Credits {
        Credits(micros: clamp(saturating(a.micros, b.micros == Int.min ? Int.max : -b.micros)))
    }

    /// `a + b`, saturating at the bounds of `Int`.
    static func saturating(_ a: Int, _ b: Int) -> Int {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? (b < 0 ? Int.min : Int.max) : sum
    }

    /// `a × b` for non-negative `a` and `b`, saturating at `Int.max`.
    static func saturating(_ a: Int, times b: Int) -> Int {
        let (product, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? Int.max : product
    }

    private static func clamp(_ v: Int) -> Int { Swift.min(Swift.max(v, -max.micros), max.micros) }

    /// USD with six decimals, e.g. `192.400000`: exact to the credit.
    public var description: String {
        var out: [UInt8] = []
        appendUSD(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    public func appendUSD(to out: inout [UInt8]) { appendFixed(micros, decimals: 6, to: &out) }
}

import HTTPCore

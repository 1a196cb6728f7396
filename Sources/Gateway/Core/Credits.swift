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
    public static func < (a: Credits, b: Credits) -> Bool { a.micros < b.micros }
    public static func + (a: Credits, b: Credits) -> Credits { Credits(micros: a.micros + b.micros) }
    public static func - (a: Credits, b: Credits) -> Credits { Credits(micros: a.micros - b.micros) }

    /// USD with six decimals, e.g. `192.400000`: exact to the credit.
    public var description: String {
        var out: [UInt8] = []
        appendUSD(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    public func appendUSD(to out: inout [UInt8]) { appendFixed(micros, decimals: 6, to: &out) }
}

import HTTPCore

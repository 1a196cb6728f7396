import Glibc

/// Where the gateway harness spends its time, printed to stderr every 1,000 inputs when
/// `FUZZ_GATEWAY_PROFILE` is set (off otherwise: one `getenv` at start-up). It splits the wall
/// time of each input into the exchange (answered, or given up because the request waits on a
/// timer), the response check and the reset, and lists the request lines that cost the most, so a
/// slow harness shows what to change (`docs/fuzzing.md`, "Speed").
///
/// Concurrency: a value owned by the fuzzing thread (libFuzzer calls the entry point on one thread).
struct ExchangeProfile {
    static let enabled = getenv("FUZZ_GATEWAY_PROFILE") != nil

    private var inputs = 0
    private var abandoned = 0
    private var answeredNanos: UInt64 = 0
    private var abandonedNanos: UInt64 = 0
    private var checkNanos: UInt64 = 0
    private var resetNanos: UInt64 = 0
    /// Answered inputs that took 10 ms or more (a delay asked for, or the machine's load).
    private var answeredSlowly = 0
    /// Wall time and count per request line (method and the first two path segments).
    private var byLine: [String: (count: Int, nanos: UInt64)] = [:]

    /// Adds one input's timings; `request` is the bytes sent.
    mutating func add(_ request: [UInt8], answered: Bool, exchange: UInt64, check: UInt64, reset: UInt64) {
        inputs += 1
        if answered {
            answeredNanos += exchange
            if exchange >= 10_000_000 { answeredSlowly += 1 }
        } else {
            abandoned += 1
            abandonedNanos += exchange
        }
        checkNanos += check
        resetNanos += reset
        let key = Self.lineKey(request) + (answered ? "" : " (given up)")
        let old = byLine[key] ?? (0, 0)
        byLine[key] = (old.count + 1, old.nanos + exchange)
        if inputs % 1000 == 0 { report() }
    }

    /// `METHOD /a/b` of a request: enough to tell the endpoints apart without one key per id.
    static func lineKey(_ request: [UInt8]) -> String {
        let line = request.prefix { $0 != 0x0D && $0 != 0x0A }.prefix(200)
        let parts = String(decoding: line, as: UTF8.self).split(separator: " ")
        guard parts.count >= 2 else { return String(parts.first ?? "") }
        let path = parts[1].prefix { $0 != "?" }.split(separator: "/").prefix(2).joined(separator: "/")
        return "\(parts[0]) /\(path)"
    }

    private func report() {
        let ms = { (n: UInt64) in n / 1_000_000 }
        fputs("profile: \(inputs) inputs; answered \(inputs - abandoned) in \(ms(answeredNanos)) ms (\(answeredSlowly) took 10 ms or more), "
              + "given up \(abandoned) in \(ms(abandonedNanos)) ms; check \(ms(checkNanos)) ms, reset \(ms(resetNanos)) ms\n", stderr)
        for (key, v) in byLine.sorted(by: { $0.value.nanos > $1.value.nanos }).prefix(8) {
            fputs("profile:   \(ms(v.nanos)) ms  \(v.count)x  \(key)\n", stderr)
        }
    }
}

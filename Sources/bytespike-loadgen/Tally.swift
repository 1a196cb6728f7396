/// What the measured window saw: good responses, their events and timings, and errors by kind.
struct Tally {
    enum ErrorKind: Int, CaseIterable {
        case connect, status, events, reset, timeout, parse

        var label: String {
            switch self {
            case .connect: "connect"
            case .status: "status"
            case .events: "events"
            case .reset: "reset"
            case .timeout: "timeout"
            case .parse: "parse"
            }
        }
    }

    var responses = 0
    /// Connections that completed at least one good response in the window.
    var servedConnections = 0
    var events = 0
    var bodyBytes = 0
    var errors = [Int](repeating: 0, count: ErrorKind.allCases.count)
    /// Request write → first complete event, nanoseconds, one per good response that had an event.
    var ttfe: [UInt64] = []
    /// Request write → last byte, nanoseconds, one per good response.
    var latency: [UInt64] = []

    var errorCount: Int { errors.reduce(0, +) }

    init() {
        ttfe.reserveCapacity(1 << 16)
        latency.reserveCapacity(1 << 16)
    }

    /// The one machine-readable line: `key=value` pairs separated by spaces.
    func line(connections: Int, seconds: Double) -> String {
        let t = ttfe.sorted()
        let l = latency.sorted()
        var f: [(String, String)] = [
            ("connections", String(connections)),
            ("served_connections", String(servedConnections)),
            ("duration_s", Self.fixed(seconds, 2)),
            ("responses", String(responses)),
            ("responses_per_s", Self.fixed(Double(responses) / seconds, 0)),
            ("events", String(events)),
            ("events_per_s", Self.fixed(Double(events) / seconds, 0)),
            ("ttfe_p50_ms", Self.ms(Self.percentile(t, 0.50))),
            ("ttfe_p90_ms", Self.ms(Self.percentile(t, 0.90))),
            ("ttfe_p99_ms", Self.ms(Self.percentile(t, 0.99))),
            ("ttfe_max_ms", Self.ms(t.last)),
            ("resp_p50_ms", Self.ms(Self.percentile(l, 0.50))),
            ("resp_p99_ms", Self.ms(Self.percentile(l, 0.99))),
            ("body_mb_per_s", Self.fixed(Double(bodyBytes) / seconds / 1_048_576, 1)),
            ("errors", String(errorCount)),
        ]
        for k in ErrorKind.allCases { f.append(("err_" + k.label, String(errors[k.rawValue]))) }
        return f.map { "\($0.0)=\($0.1)" }.joined(separator: " ")
    }

    /// Nearest-rank percentile of sorted samples.
    static func percentile(_ sorted: [UInt64], _ q: Double) -> UInt64? {
        guard !sorted.isEmpty else { return nil }
        let rank = Int((q * Double(sorted.count)).rounded(.up))
        return sorted[max(0, min(sorted.count - 1, rank - 1))]
    }

    static func ms(_ ns: UInt64?) -> String {
        guard let ns else { return "nan" }
        return fixed(Double(ns) / 1_000_000, 3)
    }

    /// `value` with `digits` decimals (no Foundation `String(format:)`).
    static func fixed(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return "nan" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        guard scaled < 9e18 else { return String(value) }
        let n = UInt64(scaled)
        let whole = n / UInt64(scale)
        var s = (value < 0 && n != 0 ? "-" : "") + String(whole)
        if digits > 0 {
            let frac = String(n % UInt64(scale))
            s += "." + String(repeating: "0", count: digits - frac.count) + frac
        }
        return s
    }
}

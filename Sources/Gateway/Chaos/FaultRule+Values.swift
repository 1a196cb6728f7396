import HTTPCore

/// The value parsers of the fault grammar: counts, booleans, durations, delays and times, each
/// range-checked (docs/limits.md lists the ranges), plus the names the grammar knows and the
/// "did you mean" messages for the ones it does not. Pure functions: Sendable by construction.
extension FaultRule {
    /// The fault names, aliases included (what `kinds` lists, for suggestions).
    static let kindNames = ["latency", "delay", "stall", "end", "cut", "empty", "reset", "garbage", "malformed", "drip", "fail", "error",
                            "rst_stream", "goaway", "window_stall", "data_stall", "h2_settings"]
    /// Words people reach for that are not fault names, with the fault that does what they mean.
    static let kindHints: [String: String] = [
        "timeout": "latency (a delay before the response, e.g. latency 30s, longer than the client's timeout) or 504 (a gateway timeout status)",
        "timeouts": "latency (e.g. latency 30s) or 504", "slow": "drip (a slow stream, e.g. drip tps=5) or latency",
        "hang": "stall (e.g. stall for=30s after_events=3) or latency", "pause": "stall (e.g. stall for=5s after_events=3)",
        "close": "cut (the connection closes)", "disconnect": "cut (FIN) or reset (RST)", "drop": "cut (FIN) or reset (RST)",
        "rst": "reset", "abort": "reset", "truncate": "end (the stream ends early) or malformed",
        "corrupt": "malformed", "invalid": "malformed", "status": "error status=N, or just the status (e.g. 503)",
        "ratelimit": "429", "rate_limit": "429", "overloaded": "529", "unavailable": "503",
    ]
    /// Every option name the grammar knows (for suggestions).
    static let optionNames = ["fault", "id", "status", "message", "code", "retry_after", "retry_after_ms", "should_retry", "latency",
                              "for", "after_events", "tps", "ttft", "at", "bytes", "on", "surface", "path", "model", "key", "method",
                              "session", "attempt", "stream", "seq", "connection", "first", "times", "every", "after", "from",
                              "until", "probability", "p", "seed", "last_stream", "max_streams", "window"]
    /// The largest count any count option (`first`, `every`, `after`, `seq`, …) takes.
    static let maxCount = 1_000_000_000

    static func list(_ value: String) -> [String] {
        // By scalar: `|` followed by a combining mark is one Character, and a Character split
        // would make `["a", "\u{0360}b"]` (JSON) one value `a|\u{0360}b`.
        value.unicodeScalars.split(separator: "|").map { Substring($0).trimmingSpaces }.filter { !$0.isEmpty }
    }

    static func bool(_ name: String, _ value: String) throws(FaultSpecError) -> Bool {
        switch value.lowercased() {
        case "true", "yes", "1": return true
        case "false", "no", "0": return false
        default: throw FaultSpecError(message: "\(name): expected true or false, found '\(value)'")
        }
    }

    static func nonNegative(_ name: String, _ value: String, _ what: String, most: Int) throws(FaultSpecError) -> Int {
        guard let n = Int(value), n >= 0 else { throw FaultSpecError(message: "\(name): expected \(what) (0 or more), found '\(value)'") }
        guard n <= most else { throw FaultSpecError(message: "\(name): \(value) is more than it takes (at most \(most))") }
        return n
    }

    static func positive(_ name: String, _ value: String) throws(FaultSpecError) -> Int {
        guard let n = Int(value), n >= 1 else { throw FaultSpecError(message: "\(name): expected a whole number (1 or more), found '\(value)'") }
        guard n <= maxCount else { throw FaultSpecError(message: "\(name): \(value) is more than it takes (at most \(maxCount))") }
        return n
    }

    /// The message for a fault name that is not one: the fault that does what the word means,
    /// else the nearest name (a typo), then the list.
    static func unknownKind(_ raw: String) -> String {
        let k = raw.lowercased()
        if let hint = kindHints[k] { return "unknown fault '\(raw)'; did you mean \(hint)? Use \(kinds)" }
        if let near = Suggestion.closest(to: k, among: kindNames) { return "unknown fault '\(raw)'; did you mean \(near)? Use \(kinds)" }
        return "unknown fault '\(raw)'; use \(kinds)"
    }

    /// `250ms`, `2s`, `1.5s`, `1m`: a duration needs its unit (a bare `0` excepted), so `for=5`
    /// cannot mean five milliseconds to one reader and five seconds to another. At most 10 minutes.
    static func millis(_ name: String, _ value: String) throws(FaultSpecError) -> Int {
        let v = value.lowercased()
        var number = Substring(v), scale = 1.0
        if v.hasSuffix("ms") { number = v.dropLast(2) } else if v.hasSuffix("s") { number = v.dropLast(); scale = 1000 }
        else if v.hasSuffix("m") { number = v.dropLast(); scale = 60_000 }
        else if let d = Double(v), d != 0 {
            throw FaultSpecError(message: "\(name): '\(value)' has no unit; write \(value)ms or \(value)s (durations take ms, s or m)")
        }
        guard let d = Double(number), d >= 0, d.isFinite, d * scale <= 600_000 else {
            throw FaultSpecError(message: "\(name): '\(value)' is not a duration up to 10 minutes (use 250ms, 2s or 1m)")
        }
        return Int((d * scale).rounded())
    }

    /// `200ms`, `100ms..300ms`, `normal(200ms,50ms)`, `lognormal(200ms,0.5)`.
    static func delay(_ name: String, _ value: String) throws(FaultSpecError) -> Delay {
        let v = value.lowercased()
        func args(_ prefix: String) -> [String]? {
            guard v.hasPrefix(prefix + "("), v.hasSuffix(")") else { return nil }
            let inner = v.dropFirst(prefix.count + 1).dropLast()
            let parts = inner.split(separator: ",").map { String($0.trimmingSpaces) }
            return parts.count == 2 ? parts : nil
        }
        if let a = args("normal") { return .normal(try millis(name, a[0]), try millis(name, a[1])) }
        if let a = args("lognormal") {
            guard let sigma = Double(a[1]), sigma >= 0, sigma <= 5 else {
                throw FaultSpecError(message: "\(name): lognormal sigma must be a number from 0 to 5, found '\(a[1])'")
            }
            return .lognormal(try millis(name, a[0]), sigma)
        }
        if v.hasPrefix("normal") || v.hasPrefix("lognormal") {
            throw FaultSpecError(message: "\(name): write normal(MEAN,SD) or lognormal(MEDIAN,SIGMA), e.g. lognormal(200ms,0.5)")
        }
        let bytes = Array(v.utf8)
        if let dots = bytes.indices.dropLast().first(where: { bytes[$0] == 0x2E && bytes[$0 + 1] == 0x2E }) {
            let lo = try millis(name, String(decoding: bytes[..<dots], as: UTF8.self))
            let hi = try millis(name, String(decoding: bytes[(dots + 2)...], as: UTF8.self))
            guard hi >= lo else { throw FaultSpecError(message: "\(name): the range \(value) runs backwards") }
            return .uniform(lo, hi)
        }
        return .fixed(try millis(name, value))
    }

    /// Unix seconds, RFC 3339 (both within the clock's range, 1970 to 9999), or `+30s` / `+5m`
    /// from now (virtual clock).
    static func time(_ name: String, _ value: String, now: Int) throws(FaultSpecError) -> Int {
        let range = GatewayClock.range
        if value.hasPrefix("+") {
            let ms = try millis(name, String(value.dropFirst()))
            return min(now + ms / 1000, range.upperBound)
        }
        if let t = Int(value) ?? Timestamp.parse(value) {
            guard range.contains(t) else {
                throw FaultSpecError(message: "\(name): '\(value)' is outside the clock's range (Unix seconds 0 to \(range.upperBound), 1970 to 9999)")
            }
            return t
        }
        throw FaultSpecError(message: "\(name): expected Unix seconds, RFC 3339 or +DURATION (virtual clock), found '\(value)'")
    }
}

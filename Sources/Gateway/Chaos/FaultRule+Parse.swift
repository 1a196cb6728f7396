import HTTPCore

/// A fault spec that does not parse, with a message naming the mistake.
public struct FaultSpecError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// The fault grammar. A rule is its fault, then `name=value` options separated by spaces or
/// commas; several rules (in a header) are separated by `;`. Values with spaces go in double
/// quotes. Names are case-insensitive and `-` equals `_`.
///
/// ```
/// 429 retry_after=2 should_retry=true model=gpt-* first=3
/// 503 attempt=first
/// latency 100ms..300ms seed=7 surface=chat|responses
/// reset after_events=5 stream=true probability=0.1 seed=42
/// ```
extension FaultRule {
    static let kinds = "a status (400-599) or one of latency, stall, end, cut, empty, reset, garbage, malformed, drip, fail, error"
    /// The fault names, aliases included (what `kinds` lists, for suggestions).
    static let kindNames = ["latency", "delay", "stall", "end", "cut", "empty", "reset", "garbage", "malformed", "drip", "fail", "error"]
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
                              "until", "probability", "p", "seed"]
    /// The largest count any count option (`first`, `every`, `after`, `seq`, …) takes.
    static let maxCount = 1_000_000_000
    static let surfaceNames: Set = ["messages", "chat", "responses", "gemini", "models", "account", "keys", "images", "tasks", "files"]

    /// Parses one rule in the text grammar; `now` (virtual Unix seconds) resolves relative times.
    static func parse(_ text: String, origin: String, now: Int) throws(FaultSpecError) -> FaultRule {
        let tokens = try tokenize(text)
        guard let head = tokens.first else { throw FaultSpecError(message: "empty fault spec; start with \(kinds)") }
        var pairs: [(String, String)] = []
        var kind: String?
        for (i, t) in tokens.enumerated() {
            if let eq = t.firstIndex(of: "=") {
                pairs.append((String(t[..<eq]), String(t[t.index(after: eq)...])))
            } else if i == 0 {
                kind = t
            } else if i == 1, let k = kind?.lowercased(), k == "latency" || k == "delay" || k == "stall" {
                pairs.append((k == "stall" ? "for" : "latency", t))
            } else {
                throw FaultSpecError(message: "unexpected '\(t)' in '\(text)': options are written name=value")
            }
        }
        if kind == nil, !pairs.contains(where: { normalize($0.0) == "fault" }) {
            throw FaultSpecError(message: "'\(head)' is not a fault: start the rule with \(kinds)")
        }
        return try build(kind: kind, pairs, origin: origin, now: now, context: text)
    }

    /// `;`-separated rules (the `X-Mock-Fault` header).
    static func parseList(_ text: String, origin: String, now: Int) throws(FaultSpecError) -> [FaultRule] {
        var out: [FaultRule] = []
        for part in splitOutsideQuotes(text, on: 0x3B) where !part.trimmingSpaces.isEmpty {
            out.append(try parse(part, origin: origin, now: now))
        }
        if out.isEmpty { throw FaultSpecError(message: "empty fault spec; start with \(kinds)") }
        return out
    }

    /// A rule from JSON: the grammar as a string, or an object whose members are the options
    /// (`fault` holds the fault, `id` names the rule; lists for the multi-valued selectors).
    static func parse(_ value: JSONValue, origin: String, now: Int) throws(FaultSpecError) -> FaultRule {
        switch value {
        case .string(let s): return try parse(s, origin: origin, now: now)
        case .object(let o):
            var pairs: [(String, String)] = []
            var id: String?
            for (k, v) in zip(o.keys, o.values) {
                if k == "id" {
                    guard case .string(let s) = v, !s.isEmpty else { throw FaultSpecError(message: "id: expected a non-empty string") }
                    id = s
                    continue
                }
                if k == "fault", case .int(let n) = v { pairs.append((k, String(n))); continue }
                switch v {
                case .null: continue
                case .string(let s): pairs.append((k, s))
                case .int(let n): pairs.append((k, String(n)))
                case .double(let d): pairs.append((k, JSONWriter.format(d)))
                case .bool(let b): pairs.append((k, b ? "true" : "false"))
                case .array(let items):
                    var parts: [String] = []
                    for item in items {
                        guard case .string(let s) = item else { throw FaultSpecError(message: "\(k): expected a string or a list of strings") }
                        parts.append(s)
                    }
                    pairs.append((k, parts.joined(separator: "|")))
                case .object: throw FaultSpecError(message: "\(k): expected a string, number or boolean, found an object")
                }
            }
            guard pairs.contains(where: { normalize($0.0) == "fault" }) else {
                throw FaultSpecError(message: "fault: required field is missing (\(kinds))")
            }
            var rule = try build(kind: nil, pairs, origin: origin, now: now, context: nil)
            if let id { rule.id = id }
            return rule
        default:
            throw FaultSpecError(message: "expected a fault spec string or an object, found \(value.typeDescription)")
        }
    }

    private static func normalize(_ name: String) -> String {
        String(name.lowercased().map { $0 == "-" ? "_" : $0 })
    }

    // swiftlint:disable:next cyclomatic_complexity function_body_length
    private static func build(kind: String?, _ pairs: [(String, String)], origin: String, now: Int,
                              context: String?) throws(FaultSpecError) -> FaultRule {
        var r = FaultRule()
        r.origin = origin
        var given = Set<String>()
        func fail(_ name: String, _ problem: String) -> FaultSpecError {
            FaultSpecError(message: "\(name): \(problem)")
        }
        func setKind(_ raw: String) throws(FaultSpecError) {
            let k = raw.lowercased()
            if let n = Int(k) {
                guard (400...599).contains(n) else { throw fail("fault", "status \(n) is not an HTTP error status (400-599)") }
                r.action = .status
                r.status = n
                return
            }
            switch k {
            case "error": r.action = .status
            case "empty": r.action = .cut
            case "delay": r.action = .latency
            default:
                guard let a = Action(rawValue: k), a != .status else { throw fail("fault", unknownKind(raw)) }
                r.action = a
            }
        }
        if let kind { try setKind(kind) }
        for (rawName, value) in pairs {
            let name = normalize(rawName)
            let canonical = name == "times" ? "first" : name
            guard given.insert(canonical).inserted else { throw fail(name, "given twice") }
            switch canonical {
            case "fault": try setKind(value)
            case "id":
                guard !value.isEmpty else { throw fail(name, "expected a rule id") }
                r.id = value
            case "status":
                guard let n = Int(value), (400...599).contains(n) else { throw fail(name, "expected an HTTP error status (400-599), found '\(value)'") }
                r.status = n
            case "message": r.message = value
            case "code": r.code = value
            case "retry_after":
                if value.lowercased() == "none" { r.retryAfter = nil } else {
                    guard let n = Int(value), (0...86_400).contains(n) else {
                        throw fail(name, "expected whole seconds (0 or more, at most 86400) or none, found '\(value)'")
                    }
                    r.retryAfter = n
                }
            case "retry_after_ms": r.retryAfterMillis = try nonNegative(name, value, "milliseconds", most: 86_400_000)
            case "should_retry": r.shouldRetry = try bool(name, value)
            case "latency": r.latency = try delay(name, value)
            case "for": r.stallMillis = try millis(name, value)
            case "after_events": r.afterEvents = try nonNegative(name, value, "a number of events", most: maxCount)
            case "tps":
                guard let d = Double(value), Pacing.rateProblem(d, unpaced: false) == nil else {
                    throw fail(name, "expected tokens per second from 0.1 to 1000000, found '\(value)'")
                }
                r.tokensPerSecond = d
            case "ttft": r.firstTokenMillis = try millis(name, value)
            case "at":
                switch value.lowercased() {
                case "pending", "queued": r.failAt = -1
                case "running": r.failAt = 50
                default:
                    let digits = value.hasSuffix("%") ? String(value.dropLast()) : value
                    guard let n = Int(digits), (0...99).contains(n) else {
                        throw fail(name, "expected pending, running or a progress percent from 0 to 99, found '\(value)'")
                    }
                    r.failAt = n
                }
            case "bytes":
                guard let n = Int(value), (1...65536).contains(n) else { throw fail(name, "expected a byte count from 1 to 65536, found '\(value)'") }
                r.garbageBytes = n
            case "on":
                switch value.lowercased() {
                case "accept": r.onAccept = true
                case "request": r.onAccept = false
                default: throw fail(name, "expected accept or request, found '\(value)'")
                }
            case "surface":
                r.surfaces = list(value)
                for s in r.surfaces where !surfaceNames.contains(s) {
                    let hint = Suggestion.closest(to: s, among: surfaceNames.sorted()).map { "did you mean \($0)? " } ?? ""
                    throw fail(name, "unknown surface '\(s)'; \(hint)use \(surfaceNames.sorted().joined(separator: ", "))")
                }
            case "path": r.paths = list(value)
            case "model": r.models = list(value)
            case "key": r.keys = list(value)
            case "method": r.methods = list(value).map { $0.uppercased() }
            case "session":
                // `-` selects the requests sent without X-Mock-Session (exported plans need it).
                guard !value.isEmpty else { throw fail(name, "expected a session name, or - for requests without one") }
                r.session = value == "-" ? "" : value
            case "attempt":
                switch value.lowercased() {
                case "first": r.attempt = .first
                case "retry", "retries": r.attempt = .retry
                default:
                    guard let n = Int(value), (1...maxCount).contains(n) else {
                        throw fail(name, "expected first, retry or an attempt number (1 = the first), found '\(value)'")
                    }
                    r.attempt = .number(n)
                }
            case "stream": r.stream = try bool(name, value)
            case "seq": r.seq = try positive(name, value)
            case "connection": r.connection = try positive(name, value)
            case "first": r.first = try positive(name, value)
            case "every": r.every = try positive(name, value)
            case "after": r.after = try nonNegative(name, value, "a number of requests", most: maxCount)
            case "from": r.from = try time(name, value, now: now)
            case "until": r.until = try time(name, value, now: now)
            case "probability", "p":
                guard let d = Double(value), d >= 0, d <= 1 else { throw fail(name, "expected a probability from 0 to 1, found '\(value)'") }
                r.probability = d
            case "seed":
                guard let s = UInt64(value) else { throw fail(name, "expected a non-negative integer, found '\(value)'") }
                r.seed = s
            default:
                let hint = Suggestion.closest(to: name, among: optionNames).map { "; did you mean \($0)?" } ?? ""
                throw fail(name, "unknown option\(hint) (options: \(optionNames.joined(separator: ", ")))")
            }
        }
        try check(&r, given: given)
        return r
    }

    /// Options that make no sense together.
    private static func check(_ r: inout FaultRule, given: Set<String>) throws(FaultSpecError) {
        func only(_ names: [String], for actions: [Action], _ what: String) throws(FaultSpecError) {
            for n in names where given.contains(n) && !actions.contains(r.action) {
                throw FaultSpecError(message: "\(n): only \(what) take it")
            }
        }
        try only(["status", "retry_after", "retry_after_ms", "should_retry"], for: [.status], "status faults (and error)")
        try only(["code", "message"], for: [.status, .fail], "status faults (and error, and fail)")
        try only(["at"], for: [.fail], "fail faults")
        if r.action == .fail {
            if r.surfaces.isEmpty { r.surfaces = ["tasks"] }
            guard r.surfaces == ["tasks"] else { throw FaultSpecError(message: "surface: fail acts on async tasks only (surface=tasks)") }
            if r.afterEvents != nil { throw FaultSpecError(message: "after_events: fail acts on the task's timeline; use at=") }
        }
        try only(["for"], for: [.stall], "stall faults")
        try only(["tps", "ttft"], for: [.drip], "drip faults")
        try only(["bytes"], for: [.garbage], "garbage faults")
        if r.action == .latency, r.latency == nil { throw FaultSpecError(message: "latency: required (e.g. latency 200ms or latency=100ms..300ms)") }
        if r.action == .stall, !given.contains("for") { throw FaultSpecError(message: "for: required for stall (e.g. stall for=5s after_events=3)") }
        if r.afterEvents != nil, [.latency, .garbage, .drip].contains(r.action) {
            throw FaultSpecError(message: "after_events: \(r.action.rawValue) faults act before the head or on the whole stream, not after an event")
        }
        if r.onAccept {
            guard r.action == .reset || r.action == .cut else { throw FaultSpecError(message: "on: only reset and cut (empty) can act on accept") }
            for n in ["surface", "path", "model", "key", "method", "session", "attempt", "stream", "seq", "after_events", "latency"] where given.contains(n) {
                throw FaultSpecError(message: "\(n): nothing of the request is known on accept; use the schedule options only")
            }
        } else if given.contains("connection") {
            throw FaultSpecError(message: "connection: only on=accept rules select by connection")
        }
        if let from = r.from, let until = r.until, until <= from { throw FaultSpecError(message: "until: must be after from") }
        if r.seed != nil, r.probability == nil, !(r.latency?.isRandom ?? false) {
            throw FaultSpecError(message: "seed: only probability and random latencies use a seed")
        }
    }

    private static func list(_ value: String) -> [String] {
        value.split(separator: "|").map { String($0.trimmingSpaces) }.filter { !$0.isEmpty }
    }

    private static func bool(_ name: String, _ value: String) throws(FaultSpecError) -> Bool {
        switch value.lowercased() {
        case "true", "yes", "1": return true
        case "false", "no", "0": return false
        default: throw FaultSpecError(message: "\(name): expected true or false, found '\(value)'")
        }
    }

    private static func nonNegative(_ name: String, _ value: String, _ what: String, most: Int) throws(FaultSpecError) -> Int {
        guard let n = Int(value), (0...most).contains(n) else {
            throw FaultSpecError(message: "\(name): expected \(what) (0 or more, at most \(most)), found '\(value)'")
        }
        return n
    }

    private static func positive(_ name: String, _ value: String) throws(FaultSpecError) -> Int {
        guard let n = Int(value), (1...maxCount).contains(n) else {
            throw FaultSpecError(message: "\(name): expected a whole number (1 or more, at most \(maxCount)), found '\(value)'")
        }
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
    private static func delay(_ name: String, _ value: String) throws(FaultSpecError) -> Delay {
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
    private static func time(_ name: String, _ value: String, now: Int) throws(FaultSpecError) -> Int {
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

    /// Splits on whitespace and commas outside double quotes and parentheses (inside
    /// parentheses commas are kept and whitespace dropped); quotes and escapes are removed.
    /// Works on Unicode scalars, so CR LF is two separators, not one character.
    static func tokenize(_ text: String) throws(FaultSpecError) -> [String] {
        var tokens: [String] = []
        var current = String.UnicodeScalarView()
        var inQuotes = false, escaped = false, depth = 0, hasToken = false
        for c in text.unicodeScalars {
            if inQuotes {
                if escaped { current.append(c); escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { inQuotes = false } else { current.append(c) }
                continue
            }
            switch c {
            case "\"": inQuotes = true; hasToken = true
            case "(": depth += 1; current.append(c); hasToken = true
            case ")": depth -= 1; current.append(c)
            case " ", "\t", ",", "\r", "\n":
                if depth > 0 {
                    if c == "," { current.append(c) }
                    continue
                }
                if hasToken { tokens.append(String(current)); current = String.UnicodeScalarView(); hasToken = false }
            default: current.append(c); hasToken = true
            }
        }
        if inQuotes { throw FaultSpecError(message: "unterminated quote in '\(text)'") }
        if depth != 0 { throw FaultSpecError(message: "unbalanced parentheses in '\(text)'") }
        if hasToken { tokens.append(String(current)) }
        return tokens
    }

    private static func splitOutsideQuotes(_ text: String, on separator: UInt8) -> [String] {
        var parts: [String] = []
        var start = text.utf8.startIndex
        var inQuotes = false, escaped = false
        var i = start
        while i < text.utf8.endIndex {
            let b = text.utf8[i]
            if escaped { escaped = false } else if inQuotes, b == 0x5C { escaped = true } else if b == 0x22 { inQuotes.toggle() }
            if b == separator, !inQuotes {
                parts.append(String(text[start..<i]))
                start = text.utf8.index(after: i)
            }
            i = text.utf8.index(after: i)
        }
        parts.append(String(text[start...]))
        return parts
    }
}

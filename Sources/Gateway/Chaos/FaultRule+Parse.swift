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
    static let kinds = "a status (400-599) or one of latency, stall, end, cut, empty, reset, garbage, malformed, drip, fail, error, rst_stream, goaway, window_stall, data_stall, h2_settings"
    static let surfaceNames: Set = ["messages", "chat", "responses", "gemini", "models", "account", "keys", "images", "tasks", "files"]

    /// Parses one rule in the text grammar; `now` (virtual Unix seconds) resolves relative times.
    static func parse(_ text: String, origin: String, now: Int) throws(FaultSpecError) -> FaultRule {
        let tokens = try tokenize(text)
        guard let head = tokens.first else { throw FaultSpecError(message: "empty fault spec; start with \(kinds)") }
        // An unknown fault name is the first mistake to report (before its options' shape).
        if !head.unicodeScalars.contains("="), Int(head) == nil, !kindNames.contains(head.lowercased()) {
            throw FaultSpecError(message: "fault: \(unknownKind(head))")
        }
        var pairs: [(String, String)] = []
        var kind: String?
        for (i, t) in tokens.enumerated() {
            // By scalar, not Character: `=` followed by a combining mark is one Character, which
            // `firstIndex(of: "=")` would not find (found by the fault-grammar fuzzer).
            let scalars = t.unicodeScalars
            if let eq = scalars.firstIndex(of: "=") {
                pairs.append((String(Substring(scalars[..<eq])), String(Substring(scalars[scalars.index(after: eq)...]))))
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

    static func normalize(_ name: String) -> String {
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
                    guard let n = Int(value), n >= 0 else { throw fail(name, "expected whole seconds (0 or more) or none, found '\(value)'") }
                    guard n <= 86_400 else { throw fail(name, "\(value) is more than it takes (at most 86400 seconds, a day)") }
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
                    guard let n = Int(value), n >= 1 else {
                        throw fail(name, "expected first, retry or an attempt number (1 = the first), found '\(value)'")
                    }
                    guard n <= maxCount else { throw fail(name, "\(value) is more than it takes (at most \(maxCount))") }
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
            case "last_stream": r.lastStream = try nonNegative(name, value, "a stream id", most: Int(Int32.max))
            case "max_streams": r.maxStreams = try nonNegative(name, value, "a stream count", most: 100_000)
            case "window": r.window = try nonNegative(name, value, "a window size in bytes", most: Int(Int32.max))
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
        try only(["code"], for: [.status, .fail, .rstStream, .goaway], "status faults (and error, fail, rst_stream, goaway)")
        try only(["message"], for: [.status, .fail], "status faults (and error, and fail)")
        try checkHTTP2(&r, given: given)
        try only(["at"], for: [.fail], "fail faults")
        if r.action == .fail {
            if r.surfaces.isEmpty { r.surfaces = ["tasks"] }
            guard r.surfaces == ["tasks"] else { throw FaultSpecError(message: "surface: fail acts on async tasks only (surface=tasks)") }
            if r.afterEvents != nil { throw FaultSpecError(message: "after_events: fail acts on the task's timeline; use at=") }
        }
        try only(["for"], for: [.stall, .windowStall, .dataStall], "stall, window_stall and data_stall faults")
        try only(["tps", "ttft"], for: [.drip], "drip faults")
        try only(["bytes"], for: [.garbage], "garbage faults")
        if r.action == .latency, r.latency == nil { throw FaultSpecError(message: "latency: required (e.g. latency 200ms or latency=100ms..300ms)") }
        if r.action == .stall, !given.contains("for") { throw FaultSpecError(message: "for: required for stall (e.g. stall for=5s after_events=3)") }
        if r.action == .windowStall || r.action == .dataStall, !given.contains("for") {
            throw FaultSpecError(message: "for: required for \(r.action.rawValue) (e.g. \(r.action.rawValue) for=5s)")
        }
        if r.afterEvents != nil, [.latency, .garbage, .drip, .windowStall, .h2Settings].contains(r.action) {
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
}

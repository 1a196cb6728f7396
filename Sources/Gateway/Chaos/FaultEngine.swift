import HTTPCore
import HTTPServer
import Synchronization

/// What the engine knows about a request when it decides.
struct FaultContext {
    var session: String
    var surface: String
    var method: String
    var path: String
    var model: String?
    var keyID: String?
    var secret: String?
    var stream: Bool
    var attempt: Int
    var seq: Int
    var now: Int
}

/// A rule that acted on a request, and why: what the journal shows and the plan replays.
struct AppliedFault: Sendable {
    var ruleID: String
    var origin: String
    var stage: FaultRule.Stage
    /// The action as replayed, with a drawn latency made concrete: `latency 137ms`.
    var action: String
    /// Why the schedule fired: `n=1: first=1`, `n=7: probability=0.1 seed=42 roll=0.0312`.
    var reason: String
    /// The rule's count of matching requests, this one included.
    var n: Int
    var seed: UInt64?
    var roll: Double?
    var latencyMillis: Int?
}

/// The faults one request gets: at most one per stage.
struct FaultDecision {
    var delayMillis = 0
    var response: FaultRule?
    var stream: FaultRule?
    var applied: [AppliedFault] = []
}

/// The fault rules and their counters. Rules are tried in a fixed order: the request's
/// `X-Mock-Fault` rules, then runtime rules (control API, in the order added), then `--fault`
/// rules, then `faults.json`. Every rule whose selectors match counts the request (its `n`);
/// its schedule alone decides whether it fires, so one rule's decisions never depend on
/// another's. Of the rules that fire, the first of each stage (delay, response, stream) acts.
/// Counters are kept per session.
///
/// Budget: request identities remembered for `attempt` are at most ``attemptMemory`` over all
/// sessions (then all forgotten: the next request of each is attempt 1 again); sessions numbered
/// at once at most ``maxSessions`` (one more starts every session's numbering over); counters of
/// `X-Mock-Fault` rules, which are counted by their text, at most ``maxHeaderCounters`` (then they
/// restart from zero).
///
/// Concurrency: Sendable; all state behind one Mutex.
final class FaultEngine: Sendable {
    private struct State {
        var rules: [FaultRule]
        /// `--fault` and `faults.json` rules: what a reset returns to.
        var base: [FaultRule]
        /// Matching requests and applications per rule and session: key `id \0 session`.
        var matched: [String: Int] = [:]
        var applied: [String: Int] = [:]
        /// Request numbers and attempt memory per session.
        var sessions: [String: SessionCount] = [:]
        var connections = 0
        var nextID = 1
        /// Identities remembered over all sessions, and header-rule counters kept.
        var attemptEntries = 0
        var headerCounters = 0
    }

    private struct SessionCount {
        var seq = 0
        /// Requests seen per request identity, for `attempt`.
        var attempts: [UInt64: Int] = [:]

        /// Numbers the next request; counts its identity when it has one (attempt 0 otherwise).
        mutating func arrive(identity: UInt64?) -> (seq: Int, attempt: Int) {
            seq += 1
            guard let identity else { return (seq, 0) }
            if attempts.count >= FaultEngine.attemptMemory { attempts = [:] }
            return (seq, Self.increment(&attempts[identity, default: 0]))
        }

        private static func increment(_ n: inout Int) -> Int {
            n += 1
            return n
        }
    }

    let seed: UInt64
    private let state: Mutex<State>

    /// Most distinct request identities remembered for `attempt`, all sessions together.
    static let attemptMemory = 100_000
    /// Most sessions numbered at once.
    static let maxSessions = 10_000
    /// Most counters of header rules (distinct texts × sessions).
    static let maxHeaderCounters = 10_000

    init(rules: [FaultRule], seed: UInt64) {
        self.seed = seed
        state = Mutex(State(rules: rules, base: rules))
    }

    /// Whether any rule exists (the header aside): the fast path skips the engine otherwise.
    var isEmpty: Bool { state.withLock { $0.rules.isEmpty } }

    // MARK: arrival

    /// Numbers a request on arrival: its position in the session, and which attempt of the same
    /// call it is (`x-stainless-retry-count` + 1 when sent; else how often this session sent the
    /// same method, path and `Idempotency-Key`, or body, before). A retry count outside
    /// 0...1,000,000 is ignored like one that is not a number (SDKs send small counts).
    func arrive(session: String, method: String, path: String, body: [UInt8], retryCount: String?,
                idempotencyKey: String?) -> (seq: Int, attempt: Int) {
        var stated: Int?
        if let retryCount, let n = Int(retryCount), (0...1_000_000).contains(n) { stated = n + 1 }
        var identity: UInt64 = 0
        if stated == nil {
            var parts = PartHash(seed: 0)
            parts.part(session)
            parts.part(method)
            parts.part(path)
            if let idempotencyKey {
                identity = ReplyEngine.hash(parts.value, idempotencyKey)
            } else {
                parts.bytes(body.prefix(65_536))
                parts.word(UInt64(body.count))
                identity = parts.value
            }
        }
        // One look-up per map, mutated in place (the session's entry is never copied out).
        let remembered: UInt64? = stated == nil ? identity : nil
        let (seq, attempt) = state.withLock { s -> (seq: Int, attempt: Int) in
            if s.sessions[session] == nil, s.sessions.count >= Self.maxSessions {
                s.sessions = [:]
                s.attemptEntries = 0
            }
            if s.attemptEntries >= Self.attemptMemory {
                for k in Array(s.sessions.keys) { s.sessions[k]!.attempts = [:] }
                s.attemptEntries = 0
            }
            let r = s.sessions[session, default: SessionCount()].arrive(identity: remembered)
            if remembered != nil, r.attempt == 1 { s.attemptEntries += 1 }
            return r
        }
        return (seq, stated ?? attempt)
    }

    // MARK: deciding

    /// The faults for a request: `header` rules (from `X-Mock-Fault`) first, then the engine's.
    func decide(_ ctx: FaultContext, header: [FaultRule]) -> FaultDecision {
        var d = FaultDecision()
        state.withLock { s in
            for rule in header + s.rules where rule.stage != .accept {
                if let owner = rule.session, owner != ctx.session { continue }
                guard rule.applies(streaming: ctx.stream), matches(rule, ctx) else { continue }
                let key = counterKey(rule, session: ctx.session)
                if rule.origin == "header", s.matched[key] == nil {
                    if s.headerCounters >= Self.maxHeaderCounters {
                        s.matched = s.matched.filter { !$0.key.hasPrefix("header:") }
                        s.applied = s.applied.filter { !$0.key.hasPrefix("header:") }
                        s.headerCounters = 0
                    }
                    s.headerCounters += 1
                }
                let n = s.matched[key, default: 0] + 1
                s.matched[key] = n
                guard let (reason, roll) = fires(rule, n: n, now: ctx.now, key: key) else { continue }
                let stage = rule.stage(streaming: ctx.stream)
                var latency: Int?
                switch stage {
                case .delay:
                    guard d.delayMillis == 0, !d.applied.contains(where: { $0.stage == .delay }) else { continue }
                case .response:
                    guard d.response == nil else { continue }
                    d.response = rule
                case .stream:
                    guard d.stream == nil else { continue }
                    d.stream = rule
                case .accept:
                    continue
                }
                if stage == .delay, rule.action == .stall {
                    latency = rule.stallMillis
                } else if let delay = rule.latency {
                    latency = delay.sample(uniform(rule, key, n, salt: 1), uniform(rule, key, n, salt: 2))
                }
                // Only the first delay acts; a later rule's own latency is not applied (nor reported).
                if let l = latency { if d.delayMillis == 0 { d.delayMillis = l } else { latency = nil } }
                s.applied[key, default: 0] += 1
                var action = rule.actionText
                if let latency, rule.latency?.isRandom == true {
                    var concrete = rule
                    concrete.latency = .fixed(latency)
                    action = concrete.actionText
                }
                d.applied.append(AppliedFault(ruleID: rule.id, origin: rule.origin, stage: stage, action: action, reason: reason,
                                              n: n, seed: rule.probability != nil || rule.latency?.isRandom == true ? ruleSeed(rule, key) : nil,
                                              roll: roll, latencyMillis: latency))
            }
        }
        return d
    }

    /// The fault for a new connection, if an `on=accept` rule fires.
    func acceptFault(now: Int) -> (rule: FaultRule, applied: AppliedFault)? {
        state.withLock { s in
            s.connections += 1
            for rule in s.rules where rule.stage == .accept {
                if let c = rule.connection, c != s.connections { continue }
                let key = counterKey(rule, session: "")
                let n = s.matched[key, default: 0] + 1
                s.matched[key] = n
                guard let (reason, roll) = fires(rule, n: n, now: now, key: key) else { continue }
                s.applied[key, default: 0] += 1
                return (rule, AppliedFault(ruleID: rule.id, origin: rule.origin, stage: .accept,
                                           action: rule.actionText, reason: reason, n: s.connections,
                                           seed: rule.probability != nil ? ruleSeed(rule, key) : nil, roll: roll))
            }
            return nil
        }
    }

    private func counterKey(_ rule: FaultRule, session: String) -> String {
        // Header rules have no id: they are counted by their text.
        (rule.origin == "header" ? "header:" + rule.text : rule.id) + "\u{0}" + session
    }

    static let textSurfaces: Set = ["messages", "chat", "responses", "gemini"]

    private func matches(_ r: FaultRule, _ c: FaultContext) -> Bool {
        if !r.surfaces.isEmpty, !r.surfaces.contains(c.surface) { return false }
        // Pacing exists only for generated text.
        if r.action == .drip, !Self.textSurfaces.contains(c.surface) { return false }
        if !r.paths.isEmpty, !r.paths.contains(where: { glob($0, c.path) }) { return false }
        if !r.models.isEmpty {
            guard let m = c.model, r.models.contains(where: { glob($0, m) }) else { return false }
        }
        if !r.keys.isEmpty, !r.keys.contains(where: { $0 == c.keyID || $0 == c.secret }) { return false }
        if !r.methods.isEmpty, !r.methods.contains(c.method) { return false }
        if let stream = r.stream, stream != c.stream { return false }
        if let seq = r.seq, seq != c.seq { return false }
        switch r.attempt {
        case .first?: if c.attempt != 1 { return false }
        case .retry?: if c.attempt < 2 { return false }
        case .number(let n)?: if c.attempt != n { return false }
        case nil: break
        }
        return true
    }

    /// Whether the schedule fires on the rule's `n`th matching request, and why.
    private func fires(_ r: FaultRule, n: Int, now: Int, key: String) -> (String, Double?)? {
        var why: [String] = []
        if let from = r.from { guard now >= from else { return nil }; why.append("from=\(from)") }
        if let until = r.until { guard now < until else { return nil }; why.append("until=\(until)") }
        if let first = r.first { guard n <= first else { return nil }; why.append("first=\(first)") }
        if let every = r.every { guard n % every == 0 else { return nil }; why.append("every=\(every)") }
        if let after = r.after { guard n > after else { return nil }; why.append("after=\(after)") }
        var roll: Double?
        if let p = r.probability {
            let u = uniform(r, key, n, salt: 0)
            guard u < p else { return nil }
            roll = u
            why.append("probability=\(JSONWriter.format(p)) seed=\(ruleSeed(r, key)) roll=\(JSONWriter.format((u * 10_000).rounded() / 10_000))")
        }
        if r.seq != nil { why.append("seq=\(r.seq!)") }
        return ("n=\(n): " + (why.isEmpty ? "always" : why.joined(separator: " ")), roll)
    }

    /// A rule's seed: its own, or the mock's `--seed` mixed with the rule's id (header rules:
    /// their text), so rules without a seed still draw independently of each other.
    private func ruleSeed(_ r: FaultRule, _ key: String) -> UInt64 {
        if let s = r.seed { return s }
        return ReplyEngine.hash(seed, r.origin == "header" ? r.text : r.id)
    }

    /// A deterministic draw in [0, 1) for the rule's `n`th request.
    private func uniform(_ r: FaultRule, _ key: String, _ n: Int, salt: UInt64) -> Double {
        let z = mix64(ruleSeed(r, key) &+ UInt64(truncatingIfNeeded: n) &* golden64 &+ salt &* 0xD6E8_FEB8_6659_FD93)
        return Double(z >> 11) / Double(1 << 53)
    }

    // MARK: runtime rules (control API)

    struct Listed {
        var rule: FaultRule
        var matched: Int
        var applied: Int
    }

    /// Every rule in the order tried, with its counters (for `session`, or summed over all).
    func list(session: String?) -> [Listed] {
        state.withLock { s in
            s.rules.filter { session == nil || $0.session == nil || $0.session == session }.map { r in
                var m = 0, a = 0
                if let session {
                    let k = counterKey(r, session: session)
                    m = s.matched[k, default: 0]; a = s.applied[k, default: 0]
                } else {
                    let prefix = r.id + "\u{0}"
                    for (k, v) in s.matched where k.hasPrefix(prefix) { m += v }
                    for (k, v) in s.applied where k.hasPrefix(prefix) { a += v }
                }
                return Listed(rule: r, matched: m, applied: a)
            }
        }
    }

    /// Adds runtime rules before the `--fault` and fixture rules (after earlier runtime rules); a
    /// rule with an existing id replaces it in place. Returns the rules as stored.
    func add(_ rules: [FaultRule]) -> [FaultRule] {
        state.withLock { s in
            var out: [FaultRule] = []
            for var r in rules {
                r.origin = "runtime"
                if r.id.isEmpty {
                    repeat { r.id = "fault-\(s.nextID)"; s.nextID += 1 } while s.rules.contains { $0.id == r.id }
                }
                if let i = s.rules.firstIndex(where: { $0.id == r.id }) {
                    s.rules[i] = r
                } else {
                    let firstBase = s.rules.firstIndex { $0.origin != "runtime" } ?? s.rules.count
                    s.rules.insert(r, at: firstBase)
                }
                out.append(r)
            }
            return out
        }
    }

    /// Removes rule `id` (of any origin; a reset brings fixture and CLI rules back).
    func remove(_ id: String, session: String?) -> Bool {
        state.withLock { s in
            guard let i = s.rules.firstIndex(where: { $0.id == id && (session == nil || $0.session == session) }) else { return false }
            s.rules.remove(at: i)
            return true
        }
    }

    /// The rules of a reloaded `faults.json` (`--watch`) take the place of the old ones, after
    /// the `--fault` rules and before the runtime ones; their counters start again.
    func replaceFixtureRules(_ rules: [FaultRule]) {
        state.withLock { s in
            let stale = Set((s.rules + rules).filter { $0.origin == "fixture" }.map { $0.id + "\u{0}" })
            s.matched = s.matched.filter { entry in !stale.contains { entry.key.hasPrefix($0) } }
            s.applied = s.applied.filter { entry in !stale.contains { entry.key.hasPrefix($0) } }
            let cli = s.base.filter { $0.origin != "fixture" }
            s.base = cli + rules
            s.rules = cli + rules + s.rules.filter { $0.origin != "fixture" && $0.origin != "cli" }
        }
    }

    /// Removes the runtime rules (of `session` only, when given).
    func clearRuntime(session: String?) {
        state.withLock { s in s.rules.removeAll { $0.origin == "runtime" && (session == nil || $0.session == session) } }
    }

    /// Back to the start-up rules with zeroed counters; with a session, only that session's
    /// runtime rules, counters, request numbers and attempt memory.
    func reset(session: String?) {
        state.withLock { s in
            guard let session else {
                s = State(rules: s.base, base: s.base)
                return
            }
            s.rules.removeAll { $0.origin == "runtime" && $0.session == session }
            let suffix = "\u{0}" + session
            s.matched = s.matched.filter { !$0.key.hasSuffix(suffix) }
            s.applied = s.applied.filter { !$0.key.hasSuffix(suffix) }
            s.sessions[session] = nil
        }
    }
}

extension FaultRule.Action {
    /// How a `cut` or `reset` tears the connection down (RST for `reset`, FIN otherwise).
    var disconnect: Disconnect { self == .reset ? .reset : .close }
}

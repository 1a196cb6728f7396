import HTTPCore
import Synchronization

/// Turns a validated neutral request into a neutral reply: the first matching scripted rule
/// (runtime rules first, newest last, then fixture rules in file order), else the default
/// generator; then stop sequences and the output cap shape it and tokens are counted.
///
/// Concurrency: Sendable; runtime rules and the runtime pacing sit behind one Mutex.
final class ReplyEngine: Sendable {
    private struct Runtime {
        var rules: [ReplyRule] = []
        var pacing: Pacing?
        var nextID = 1
        /// Uses of rules with a `times` limit, by id.
        var hits: [String: Int] = [:]
        /// `replies.json`: tried after the runtime rules; replaced by a fixture reload.
        var fixtureRules: [ReplyRule]
        var fixturePacing: Pacing
    }

    let seed: UInt64
    private let runtime: Mutex<Runtime>

    init(rules: [ReplyRule], pacing: Pacing?, seed: UInt64) {
        runtime = Mutex(Runtime(fixtureRules: rules, fixturePacing: pacing ?? .fast))
        self.seed = seed
    }

    /// The rules and pacing of a reloaded `replies.json` (`--watch`). Runtime rules, the
    /// runtime pacing and the use counts of `times` rules (by id) stay.
    func replaceFixtureRules(_ rules: [ReplyRule], pacing: Pacing?) {
        runtime.withLock { rt in
            rt.fixtureRules = rules
            rt.fixturePacing = pacing ?? .fast
        }
    }

    // MARK: runtime rules (control API)

    func addRule(_ rule: ReplyRule) -> ReplyRule {
        runtime.withLock { rt in
            var r = rule
            r.origin = "runtime"
            if r.id.isEmpty { r.id = "rule-\(rt.nextID)"; rt.nextID += 1 }
            rt.rules.removeAll { $0.id == r.id }
            rt.rules.append(r)
            return r
        }
    }

    /// Removes the runtime rule `id` (of `session` only, when given); false when there is none.
    func removeRule(_ id: String, session: String? = nil) -> Bool {
        runtime.withLock { rt in
            let before = rt.rules.count
            rt.rules.removeAll { $0.id == id && (session == nil || $0.session == session) }
            return rt.rules.count != before
        }
    }

    /// Removes the runtime rules (of `session` only, when given); fixture rules stay.
    func clearRuntimeRules(session: String? = nil) {
        runtime.withLock { $0.rules.removeAll { session == nil || $0.session == session } }
    }

    /// Runtime rules first, then the fixture rules: the order they are tried in.
    var rules: [ReplyRule] { runtime.withLock { $0.rules + $0.fixtureRules } }

    /// The rules a session sees: its own and the unscoped ones (all, without a session).
    func rules(session: String?) -> [ReplyRule] {
        rules.filter { session == nil || $0.session == nil || $0.session == session }
    }

    var pacing: Pacing { runtime.withLock { $0.pacing ?? $0.fixturePacing } }

    func setPacing(_ p: Pacing?) { runtime.withLock { $0.pacing = p } }

    /// Back to the fixture state; with a session, only that session's rules and use counts.
    func reset(session: String? = nil) {
        runtime.withLock { rt in
            guard let session else {
                rt = Runtime(fixtureRules: rt.fixtureRules, fixturePacing: rt.fixturePacing)
                return
            }
            rt.rules.removeAll { $0.session == session }
            let suffix = "\u{0}" + session
            rt.hits = rt.hits.filter { !$0.key.hasSuffix(suffix) }
        }
    }

    // MARK: replying

    /// The reply to `request` on `surface` by `model`, or a scripted error to send before any head.
    func reply(to request: ChatRequest, surface: TextSurface, model: CatalogModel, requestPacing: Pacing?,
               session: String = "") -> Result<Reply, GatewayError> {
        let prompt = request.lastUserText
        let rule = pick(request, prompt: prompt, surface: surface, model: model.id, session: session)
        var blocks: [Reply.Block]
        var streamError: GatewayError?
        var errorAfter = 0
        let key = Self.replyKey(seed, model: model.id, prompt: prompt, messages: request.messages.count)
        if let scripted = rule?.reply {
            if let e = scripted.error {
                let error = Self.error(e)
                if e.afterEvents == nil || !request.stream { return .failure(error) }
                streamError = error
                errorAfter = e.afterEvents ?? 0
            }
            blocks = []
            if let t = scripted.thinking { blocks.append(.thinking(text: t, signature: Self.signature(key))) }
            if let r = scripted.refusal { blocks.append(.refusal(r)) }
            if let t = scripted.text { blocks.append(.text(t)) }
            for (i, c) in scripted.toolCalls.enumerated() {
                blocks.append(.toolCall(id: Self.token(key, i), name: c.name, arguments: c.arguments))
            }
            if blocks.isEmpty { blocks.append(.text("")) }
        } else {
            blocks = DefaultReplies.blocks(for: request, prompt: prompt, model: model, key: key)
        }
        var stop: Reply.StopReason = blocks.contains { if case .toolCall = $0 { true } else { false } } ? .toolUse
            : blocks.contains { if case .refusal = $0 { true } else { false } } ? .refusal : .endTurn
        Self.applyStopSequences(request.stopSequences, to: &blocks, stop: &stop)
        let cap = request.maxTokens ?? model.maxOutputTokens
        let (out, thinking) = Self.truncate(&blocks, to: cap > 0 ? cap : Int.max, stop: &stop)
        return .success(Reply(model: model.id, blocks: blocks, stopReason: stop,
                              inputTokens: Self.inputTokens(request), outputTokens: out, thinkingTokens: thinking,
                              pacing: requestPacing ?? rule?.reply.pacing ?? pacing,
                              streamError: streamError, errorAfterEvents: errorAfter))
    }

    /// The first rule that matches and is not used up; counts the use of limited rules.
    /// Use counts are kept per session, so `times` limits count each session's requests.
    private func pick(_ request: ChatRequest, prompt: String, surface: TextSurface, model: String, session: String) -> ReplyRule? {
        let toolResult = request.endsWithToolResult
        return runtime.withLock { rt in
            // Rules are matched in place through buffer pointers (a copy of a rule costs a retain
            // per field); only the winner is copied out.
            func first(_ rules: UnsafeBufferPointer<ReplyRule>, _ hits: inout [String: Int]) -> ReplyRule? {
                for i in rules.indices
                where rules[i].match.matches(text: prompt, toolResult: toolResult, surface: surface, model: model)
                    && Self.take(rules[i].id, times: rules[i].times, owner: rules[i].session, session: session, hits: &hits) {
                    return rules[i]
                }
                return nil
            }
            if !rt.rules.isEmpty, let r = rt.rules.withUnsafeBufferPointer({ first($0, &rt.hits) }) { return r }
            return rt.fixtureRules.withUnsafeBufferPointer { first($0, &rt.hits) }
        }
    }

    /// Whether a matching rule answers `session`'s request, counting the use of a limited rule.
    private static func take(_ id: String, times: Int?, owner: String?, session: String, hits: inout [String: Int]) -> Bool {
        if let owner, owner != session { return false }
        guard let times else { return true }
        let key = id + "\u{0}" + session
        let used = hits[key, default: 0]
        if used >= times { return false }
        hits[key] = used + 1
        return true
    }

    /// The request's input tokens: every text it carries (system, messages, tool results, tool
    /// definitions) by ``Tokens``, plus 3 per message and 258 per image, plus 1.
    static func inputTokens(_ r: ChatRequest) -> Int {
        var n = 1 + (r.system.map(Tokens.count) ?? 0)
        for m in r.messages {
            n += 3
            for p in m.parts {
                switch p {
                case .text(let t), .thinking(let t): n += Tokens.count(t)
                case .image: n += 258
                case .toolCall(_, let name, let args): n += Tokens.count(name) + Tokens.count(args)
                case .toolResult(_, _, let content, _): n += Tokens.count(content)
                }
            }
        }
        for t in r.tools {
            n += Tokens.count(t.name) + Tokens.count(t.description) + Tokens.count(String(decoding: t.schema, as: UTF8.self))
        }
        return n
    }

    // MARK: shaping

    /// Cuts the first text block before the earliest stop sequence and drops what follows it.
    static func applyStopSequences(_ stops: [String], to blocks: inout [Reply.Block], stop: inout Reply.StopReason) {
        guard !stops.isEmpty else { return }
        for (i, b) in blocks.enumerated() {
            guard case .text(let t) = b else { continue }
            var best: (String.Index, String)?
            for s in stops where !s.isEmpty {
                if let r = t.firstRange(of: s), best == nil || r.lowerBound < best!.0 { best = (r.lowerBound, s) }
            }
            guard let (at, s) = best else { continue }
            blocks[i] = .text(String(t[..<at]))
            blocks.removeSubrange((i + 1)...)
            stop = .stopSequence(s)
            return
        }
    }

    /// Keeps at most `cap` output tokens (thinking included), cutting text at a token boundary;
    /// a tool call that does not fit whole is dropped. Returns the output and thinking tokens
    /// of what is kept (each block is counted once).
    @discardableResult
    static func truncate(_ blocks: inout [Reply.Block], to cap: Int, stop: inout Reply.StopReason) -> (output: Int, thinking: Int) {
        var left = cap
        var output = 0, thinking = 0
        for (i, b) in blocks.enumerated() {
            let n: Int
            switch b {
            case .thinking(let t, _), .text(let t), .refusal(let t): n = Tokens.count(t)
            case .toolCall(_, _, let a): n = Tokens.count(a)
            }
            if n <= left {
                left -= n
                if case .thinking = b { thinking += n } else { output += n }
                continue
            }
            switch b {
            case .thinking(let t, let sig): blocks[i] = .thinking(text: Tokens.pieces(t).prefix(left).joined(), signature: sig)
            case .text(let t): blocks[i] = .text(Tokens.pieces(t).prefix(left).joined())
            case .refusal(let t): blocks[i] = .refusal(Tokens.pieces(t).prefix(left).joined())
            case .toolCall: blocks.remove(at: i); blocks.removeSubrange(i...); stop = .maxTokens; return (output, thinking)
            }
            blocks.removeSubrange((i + 1)...)
            stop = .maxTokens
            let kept = Reply.tokenCounts([blocks[i]])
            return (output + kept.output, thinking + kept.thinking)
        }
        return (output, thinking)
    }

    // MARK: helpers

    static func error(_ e: ScriptedReply.Failure) -> GatewayError {
        var err = GatewayError(status: e.status, message: e.message, code: e.type)
        for (k, v) in e.headers { err.headers.add(k, v) }
        if e.headers.isEmpty, e.status == 429 || e.status == 503 || e.status == 529 { err.headers.add("Retry-After", "1") }
        return err
    }

    /// FNV-1a over the parts (each followed by a separator byte), starting from the seed.
    static func hash(_ seed: UInt64, _ parts: String...) -> UInt64 {
        var h = PartHash(seed: seed)
        for p in parts { h.part(p) }
        return h.value
    }

    /// `hash(seed, part)` without the variadic array.
    static func hash(_ seed: UInt64, _ part: String) -> UInt64 {
        var h = PartHash(seed: seed)
        h.part(part)
        return h.value
    }

    /// The key a reply's generated words, ids and signatures derive from:
    /// `hash(seed, model, prompt, String(messages))`, without building the strings.
    static func replyKey(_ seed: UInt64, model: String, prompt: String, messages: Int) -> UInt64 {
        var h = PartHash(seed: seed)
        h.part(model)
        h.part(prompt)
        h.part(decimal: messages)
        return h.value
    }

    static func token(_ key: UInt64, _ i: Int) -> String { idToken(seed: key, index: 1000 + i) }

    /// An opaque, deterministic thinking signature (base64-looking, as Anthropic's are).
    static func signature(_ key: UInt64) -> String {
        "Eq" + idToken(seed: key, index: 7, length: 86) + "=="
    }
}

/// The mock's one FNV-1a: over parts, each followed by a 0xFF separator byte
/// (``ReplyEngine.hash``), or over raw bytes (``bytes(_:)``, ``fnv1a(_:)``).
struct PartHash {
    var value: UInt64

    init(seed: UInt64) { value = 0xCBF2_9CE4_8422_2325 ^ seed }

    mutating func byte(_ b: UInt8) { word(UInt64(b)) }

    /// One FNV step with a whole 64-bit number in place of a byte.
    mutating func word(_ v: UInt64) { value = (value ^ v) &* 0x100_0000_01B3 }

    /// Raw bytes, no separator.
    mutating func bytes(_ s: some Sequence<UInt8>) { for b in s { byte(b) } }

    /// Plain FNV-1a of `s` (no seed, no separator).
    static func fnv1a(_ s: some Sequence<UInt8>) -> UInt64 {
        var h = PartHash(seed: 0)
        h.bytes(s)
        return h.value
    }

    mutating func part(_ s: String) {
        var s = s
        s.withUTF8 { for b in $0 { byte(b) } }
        byte(0xFF)
    }

    /// The part `String(n)` (n ≥ 0), hashed from its digits.
    mutating func part(decimal n: Int) {
        var unit = 1, rest = max(0, n)
        while unit <= rest / 10 { unit *= 10 }
        repeat {
            byte(UInt8(0x30 + rest / unit))
            rest %= unit
            unit /= 10
        } while unit > 0
        byte(0xFF)
    }
}

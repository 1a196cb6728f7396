import HTTPCore
import Synchronization

/// A scripted reply: when a request matches, the engine answers with this instead of the
/// default generator. Rules come from `replies.json` and from `POST /__mock/replies`.
///
/// Matching: every given condition must hold. `surface` and `model` take one value or a list
/// (models as globs over the canonical id); `contains` is a case-sensitive substring and `regex`
/// a ``BoundedRegex`` (checked when the rule is added; a match that runs past its step budget
/// counts as no match and is counted in ``RuleMatch/overBudget``), both over the text of the last
/// user message; `tool_result` is whether
/// the conversation ends with a tool result.
struct ReplyRule: Sendable {
    var id: String
    var match = RuleMatch()
    var reply: ScriptedReply
    /// Answer only the first `times` matching requests, then stand aside (nil: always).
    var times: Int?
    /// Where the rule came from: `fixture` or `runtime`.
    var origin = "fixture"
    /// The `X-Mock-Session` it was added under: it then answers only that session's requests.
    var session: String?
}

/// A rule's conditions. Immutable and shared (a class), so trying a rule reads one reference
/// instead of copying the rule's fields.
final class RuleMatch: Sendable {
    let surfaces: [TextSurface]
    let models: [String]
    let contains: String?
    let regexSource: String?
    let regex: BoundedRegex?
    let toolResult: Bool?
    /// Matches the regex gave up on (step budget spent): shown by `GET /__mock/replies`.
    let overBudget = Atomic<Int>(0)

    init(surfaces: [TextSurface] = [], models: [String] = [], contains: String? = nil, regex: BoundedRegex? = nil,
         regexSource: String? = nil, toolResult: Bool? = nil) {
        self.surfaces = surfaces
        self.models = models
        self.contains = contains
        self.regex = regex
        self.regexSource = regexSource
        self.toolResult = toolResult
    }

    /// `text` is the request's last user text and `toolResult` whether it ends with a tool
    /// result, computed once for all rules.
    func matches(text: String, toolResult endsWithToolResult: Bool, surface: TextSurface, model: String) -> Bool {
        if !surfaces.isEmpty, !surfaces.contains(surface) { return false }
        if !models.isEmpty, !models.contains(where: { glob($0, model) }) { return false }
        if let toolResult, endsWithToolResult != toolResult { return false }
        if let contains, !utf8Contains(text, contains) { return false }
        if let regex {
            switch regex.matches(text) {
            case .match: break
            case .noMatch: return false
            case .overBudget:
                overBudget.add(1, ordering: .relaxed)
                return false
            }
        }
        return true
    }
}

/// What a rule answers.
struct ScriptedReply: Sendable {
    struct ToolCall: Sendable { var name: String; var arguments: String }
    struct Failure: Sendable {
        var status: Int
        var message: String
        var type: String?
        /// On streams: the number of events sent before the in-band error. Nil: fail before the head.
        var afterEvents: Int?
        /// Extra response headers (`retry-after-ms`, `x-should-retry`, …). Without any, 429,
        /// 503 and 529 carry `Retry-After: 1`.
        var headers: [(String, String)] = []
    }

    var text: String?
    var thinking: String?
    var toolCalls: [ToolCall] = []
    var refusal: String?
    var error: Failure?
    var pacing: Pacing?
}

// MARK: parsing (fixtures and control API share it)

extension ReplyRule {
    static let fields: Set<String> = FixtureSchema.replyRule.names

    init(_ r: FixtureReader, defaultID: String, origin: String) throws(FixtureError) {
        try r.allowOnly(Self.fields)
        id = try r.optionalString("id") ?? defaultID
        self.origin = origin
        if let m = try r.optionalObject("match") {
            try m.allowOnly(FixtureSchema.match.names)
            var surfaces: [TextSurface] = []
            for s in try Self.oneOrMany(m, "surface") {
                guard let surface = TextSurface(rawValue: s) else {
                    throw m.fail("surface", "unknown surface '\(s)'; use messages, chat, responses or gemini")
                }
                surfaces.append(surface)
            }
            let models = try Self.oneOrMany(m, "model")
            let contains = try m.optionalString("contains")
            var regex: BoundedRegex?
            let src = try m.optionalString("regex")
            if let src {
                do throws(RegexSyntaxError) { regex = try BoundedRegex(src) } catch {
                    throw m.fail("regex", "not a supported regular expression: \(error.message)")
                }
            }
            match = RuleMatch(surfaces: surfaces, models: models, contains: contains, regex: regex, regexSource: src,
                              toolResult: try m.optionalBool("tool_result"))
        }
        times = try r.optionalInt("times")
        if let times, times < 1 { throw r.fail("times", "must be at least 1") }
        guard let rr = try r.optionalObject("reply") else { throw r.fail("reply", "required field is missing") }
        reply = try ScriptedReply(rr)
    }

    private static func oneOrMany(_ r: FixtureReader, _ key: String) throws(FixtureError) -> [String] {
        if case .string(let s)? = r.object[key] { return [s] }
        return try r.optionalStrings(key) ?? []
    }

    /// The rule as JSON, for `GET /__mock/replies`.
    func write(to w: inout JSONWriter) {
        w.objectStart()
        w.key("id"); w.string(id)
        w.key("origin"); w.string(origin)
        if let session { w.key("session"); w.string(session) }
        w.key("match"); w.objectStart()
        let match = self.match
        if !match.surfaces.isEmpty { w.key("surface"); w.strings(match.surfaces.map(\.rawValue)) }
        if !match.models.isEmpty { w.key("model"); w.strings(match.models) }
        if let contains = match.contains { w.key("contains"); w.string(contains) }
        if let source = match.regexSource { w.key("regex"); w.string(source) }
        if let toolResult = match.toolResult { w.key("tool_result"); w.bool(toolResult) }
        w.objectEnd()
        let skipped = match.overBudget.load(ordering: .relaxed)
        if skipped > 0 { w.key("regex_over_budget"); w.int(skipped) }
        w.key("reply"); reply.write(to: &w)
        if let times { w.key("times"); w.int(times) }
        w.objectEnd()
    }
}

extension ScriptedReply {
    init(_ r: FixtureReader) throws(FixtureError) {
        try r.allowOnly(FixtureSchema.reply.names)
        text = try r.optionalString("text")
        thinking = try r.optionalString("thinking")
        refusal = try r.optionalString("refusal")
        for t in try r.objects("tool_calls") {
            try t.allowOnly(FixtureSchema.toolCall.names)
            let args: String
            switch t.object["arguments"] {
            case nil, .null?: args = "{}"
            case .object?: args = String(decoding: t.object["arguments"]!.encoded, as: UTF8.self)
            case .string(let s)?:
                guard case .object? = try? JSONParser.parse(Array(s.utf8)) else {
                    throw t.fail("arguments", "must be a JSON object (or a string holding one)")
                }
                args = s
            case let v?: throw t.fail("arguments", "expected an object, found \(v.typeDescription)")
            }
            toolCalls.append(ToolCall(name: try t.string("name"), arguments: args))
        }
        if let e = try r.optionalObject("error") {
            try e.allowOnly(FixtureSchema.replyError.names)
            let status = try e.int("status")
            guard (400...599).contains(status) else { throw e.fail("status", "must be an HTTP error status (400-599)") }
            let after = try e.optionalInt("after_events")
            if let after, after < 0 { throw e.fail("after_events", "must be 0 or more") }
            error = Failure(status: status, message: try e.optionalString("message") ?? "scripted error",
                            type: try e.optionalString("type"), afterEvents: after,
                            headers: try e.optionalStringMap("headers") ?? [])
        }
        if let p = try r.optionalObject("pacing") { pacing = try Pacing(p) }
        if text == nil, thinking == nil, refusal == nil, toolCalls.isEmpty, error == nil {
            throw r.fail("(object)", "a reply needs text, thinking, tool_calls, refusal or error")
        }
        if refusal != nil, text != nil || !toolCalls.isEmpty {
            throw r.fail("refusal", "a refusal cannot be combined with text or tool_calls")
        }
    }

    func write(to w: inout JSONWriter) {
        w.objectStart()
        if let text { w.key("text"); w.string(text) }
        if let thinking { w.key("thinking"); w.string(thinking) }
        if !toolCalls.isEmpty {
            w.key("tool_calls"); w.arrayStart()
            for t in toolCalls {
                w.objectStart(); w.key("name"); w.string(t.name)
                w.key("arguments"); w.raw(Array(t.arguments.utf8)); w.objectEnd()
            }
            w.arrayEnd()
        }
        if let refusal { w.key("refusal"); w.string(refusal) }
        if let error {
            w.key("error"); w.objectStart()
            w.key("status"); w.int(error.status)
            w.key("message"); w.string(error.message)
            if let t = error.type { w.key("type"); w.string(t) }
            if let a = error.afterEvents { w.key("after_events"); w.int(a) }
            if !error.headers.isEmpty {
                w.key("headers"); w.objectStart()
                for (k, v) in error.headers { w.key(escaping: k); w.string(v) }
                w.objectEnd()
            }
            w.objectEnd()
        }
        if let pacing { w.key("pacing"); pacing.write(to: &w) }
        w.objectEnd()
    }
}

extension Pacing {
    init(_ r: FixtureReader) throws(FixtureError) {
        try r.allowOnly(FixtureSchema.pacing.names)
        self.init()
        firstTokenMillis = try r.optionalInt("first_token_ms") ?? 0
        tokensPerSecond = try r.optionalDouble("tokens_per_second") ?? 0
        if let problem = Self.firstTokenProblem(firstTokenMillis) { throw r.fail("first_token_ms", problem) }
        if let problem = Self.rateProblem(tokensPerSecond, unpaced: true) { throw r.fail("tokens_per_second", problem) }
    }

    func write(to w: inout JSONWriter) {
        w.objectStart()
        w.key("first_token_ms"); w.int(firstTokenMillis)
        w.key("tokens_per_second"); w.raw(Array(JSONWriter.format(tokensPerSecond).utf8))
        w.objectEnd()
    }

    /// `X-Mock-Pacing: ttft=200, tps=50` (milliseconds, tokens per second).
    static func parseHeader(_ value: String) -> Result<Pacing, GatewayError> {
        var p = Pacing()
        for item in value.split(separator: ",") {
            let kv = item.split(separator: "=", maxSplits: 1).map(\.trimmingSpaces)
            guard kv.count == 2 else {
                return .failure(.badRequest("X-Mock-Pacing: expected name=value pairs such as 'ttft=200, tps=50', found '\(item)'", param: "X-Mock-Pacing"))
            }
            switch kv[0] {
            case "ttft":
                guard let n = Int(kv[1]), Self.firstTokenProblem(n) == nil else {
                    return .failure(.badRequest("X-Mock-Pacing: ttft must be milliseconds from 0 to 600000", param: "X-Mock-Pacing"))
                }
                p.firstTokenMillis = n
            case "tps":
                guard let d = Double(kv[1]), Self.rateProblem(d, unpaced: true) == nil else {
                    return .failure(.badRequest("X-Mock-Pacing: tps must be 0 (unpaced) or tokens per second from 0.1 to 1000000, found '\(kv[1])'", param: "X-Mock-Pacing"))
                }
                p.tokensPerSecond = d
            default:
                return .failure(.badRequest("X-Mock-Pacing: unknown setting '\(kv[0])'; use ttft and tps", param: "X-Mock-Pacing"))
            }
        }
        return .success(p)
    }
}

/// `replies.json`: scripted reply rules and the default stream pacing.
struct RepliesFile {
    var mode: FixtureMode
    var pacing: Pacing?
    var rules: [ReplyRule]

    /// Each rule is read on its own; a broken one is recorded in `problems` and left out.
    init(_ r: FixtureReader, _ problems: FixtureProblems) throws(FixtureError) {
        try r.allowOnly(FixtureSchema.replies.names)
        mode = try r.mode()
        pacing = try r.optionalObject("pacing").map { (p) throws(FixtureError) in try Pacing(p) }
        var out: [ReplyRule] = []
        for (i, o) in try r.objects("replies").enumerated() {
            if let rule = problems.collect(file: r.file, path: o.path, { () throws(FixtureError) in
                try ReplyRule(o, defaultID: "reply-\(i + 1)", origin: "fixture")
            }) { out.append(rule) }
        }
        rules = out
    }
}

/// Whether `needle` occurs in `haystack`, comparing UTF-8 bytes (the stdlib's generic
/// `String.contains` is an order of magnitude slower on this hot path).
func utf8Contains(_ haystack: String, _ needle: String) -> Bool {
    var haystack = haystack, needle = needle
    return haystack.withUTF8 { h in needle.withUTF8 { n in byteOffset(of: n, in: h) != nil } }
}

/// Where `needle` first occurs in `haystack` (an empty needle at 0), by a plain byte scan: the
/// generic `firstRange(of:)` and `String.contains` are an order of magnitude slower.
func byteOffset(of n: UnsafeBufferPointer<UInt8>, in h: UnsafeBufferPointer<UInt8>) -> Int? {
    guard !n.isEmpty else { return 0 }
    guard h.count >= n.count else { return nil }
    let first = n[0]
    var i = 0
    let last = h.count - n.count
    while i <= last {
        if h[i] == first {
            var j = 1
            while j < n.count, h[i + j] == n[j] { j += 1 }
            if j == n.count { return i }
        }
        i += 1
    }
    return nil
}

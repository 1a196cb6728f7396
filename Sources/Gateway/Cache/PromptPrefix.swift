/// A request's prompt as the cache sees it: the places it can be cut, each with a hash of
/// everything before it and the prompt tokens up to it.
///
/// The prompt is read in the order every provider caches it: tool definitions, then the system
/// text, then the messages part by part. A cut follows each tool, the system text (and each
/// marked system block inside it), and each message part. Two requests share a prefix up to a
/// cut exactly when the cut's hashes are equal; the hash starts from a seed that names the model
/// and the cache family, so models never share entries. Token counts follow
/// ``ReplyEngine/inputTokens(_:)`` (1 per prompt, 3 per message, ``Tokens`` for text, 258 per
/// image), so the last cut's count is the request's input tokens. Images are compared by media
/// type only: the neutral request does not keep their bytes.
///
/// A value, built per request and read by ``PromptCache`` under its lock.
struct PromptPrefix: Sendable, Equatable {
    struct Cut: Sendable, Equatable {
        /// Hash of the prompt up to here.
        var hash: UInt64
        /// Prompt tokens up to here.
        var tokens: Int
        /// The lifetime a breakpoint at this cut asked for; nil when no breakpoint ends here.
        var ttl: CacheBreakpoint.TTL?
    }

    private(set) var cuts: [Cut] = []

    /// The cuts of `request`; `breakpoints` mark the cuts that end a breakpoint (positions that
    /// name nothing in the request are ignored). `from` skips building cuts whose token count is
    /// below it (they are still hashed): the implicit caches never use a shorter prefix.
    init(_ request: ChatRequest, seed: UInt64, breakpoints: [CacheBreakpoint] = [], from minimum: Int = 0) {
        var marks: [CacheBreakpoint.Position: CacheBreakpoint.TTL] = [:]
        for b in breakpoints { marks[b.position] = max(marks[b.position] ?? b.ttl, b.ttl) }
        var h = PartHash(seed: seed)
        var tokens = 1
        func cut(_ at: CacheBreakpoint.Position?) {
            let ttl = at.flatMap { marks[$0] }
            if tokens >= minimum || ttl != nil { cuts.append(Cut(hash: h.value, tokens: tokens, ttl: ttl)) }
        }
        for (i, t) in request.tools.enumerated() {
            h.byte(1); h.part(t.name); h.part(t.description); h.bytes(t.schema); h.byte(0xFF)
            tokens += Tokens.count(t.name) + Tokens.count(t.description) + Tokens.count(String(decoding: t.schema, as: UTF8.self))
            cut(.tool(i))
        }
        if let system = request.system {
            let utf8 = Array(system.utf8)
            var ends: Set<Int> = [utf8.count]
            for b in breakpoints { if case .system(let end) = b.position, end > 0, end < utf8.count { ends.insert(end) } }
            var start = 0
            for end in ends.sorted() {
                let piece = String(decoding: utf8[start..<end], as: UTF8.self)
                h.byte(2); h.part(piece)
                tokens += Tokens.count(piece)
                cut(.system(endOffset: end))
                start = end
            }
        }
        for (i, m) in request.messages.enumerated() {
            h.byte(3); h.part(m.role.rawValue)
            tokens += 3
            if marks[.messageHead(i)] != nil || m.parts.isEmpty { cut(.messageHead(i)) }
            for (j, p) in m.parts.enumerated() {
                Self.hash(p, into: &h)
                tokens += Self.tokens(p)
                cut(.part(message: i, part: j))
            }
        }
    }

    private static func hash(_ p: ChatPart, into h: inout PartHash) {
        switch p {
        case .text(let t): h.byte(4); h.part(t)
        case .thinking(let t): h.byte(5); h.part(t)
        case .image(let type): h.byte(6); h.part(type)
        case .toolCall(let id, let name, let args): h.byte(7); h.part(id); h.part(name); h.part(args)
        case .toolResult(let id, _, let content, let isError): h.byte(8); h.part(id); h.part(content); h.byte(isError ? 1 : 0)
        }
    }

    /// A part's tokens, as ``ReplyEngine/inputTokens(_:)`` counts them.
    private static func tokens(_ p: ChatPart) -> Int {
        switch p {
        case .text(let t), .thinking(let t): Tokens.count(t)
        case .image: 258
        case .toolCall(_, let name, let args): Tokens.count(name) + Tokens.count(args)
        case .toolResult(_, _, let content, _): Tokens.count(content)
        }
    }
}

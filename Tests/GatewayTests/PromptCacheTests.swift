import HTTPCore
import Testing
@testable import BytespikeMock

/// The prompt cache as values: where a prompt is cut, what a breakpoint reads and writes, how
/// entries expire and are evicted, and how Anthropic's `cache_control` marks are placed.
@Suite struct PromptCacheTests {
    static let long = (0..<300).map { "clause\($0) applies" }.joined(separator: " ")
    static let scope = PromptCache.Scope(account: "acct", session: "")

    static func request(system: String? = long, messages: [ChatMessage] = [ChatMessage(role: .user, parts: [.text("hi")])],
                        tools: [ToolSpec] = []) -> ChatRequest {
        var r = ChatRequest(model: "m")
        r.system = system
        r.messages = messages
        r.tools = tools
        return r
    }

    static func anthropic(_ json: String) throws -> [CacheBreakpoint] {
        guard case .object(let o) = try JSONParser.parse(Array(json.utf8)) else { throw GatewayError.badRequest("not an object") }
        return try AnthropicCodec.decode(o, pathModel: nil).cacheBreakpoints
    }

    @Test func prefix_lastCutCountsExactlyTheRequestsInputTokens() {
        let messages = [
            ChatMessage(role: .user, parts: [.text("look"), .image(mediaType: "image/png")]),
            ChatMessage(role: .assistant, parts: [.thinking("hmm"), .toolCall(id: "t1", name: "get", arguments: #"{"a":1}"#)]),
            ChatMessage(role: .user, parts: [.toolResult(id: "t1", name: "get", content: "sunny", isError: false)]),
        ]
        let r = Self.request(messages: messages, tools: [ToolSpec(name: "get", description: "gets", schema: Array("{}".utf8))])
        // Cut before a space, as a system block boundary always is (blocks join with a blank line).
        let prefix = PromptPrefix(r, seed: 1, breakpoints: [.init(position: .system(endOffset: 15), ttl: .oneHour)])
        #expect(prefix.cuts.last?.tokens == ReplyEngine.inputTokens(r))
        // tool, system split in two at the breakpoint, then one cut per part
        #expect(prefix.cuts.count == 1 + 2 + 5)
        #expect(prefix.cuts[1].ttl == .oneHour && prefix.cuts[2].ttl == nil)
    }

    @Test func prefix_equalPromptsHashEquallyAndModelsNever() {
        let a = PromptPrefix(Self.request(), seed: 1), b = PromptPrefix(Self.request(), seed: 1)
        #expect(a == b)
        #expect(PromptPrefix(Self.request(), seed: 2).cuts.map(\.hash) != a.cuts.map(\.hash))
        let other = PromptPrefix(Self.request(messages: [ChatMessage(role: .user, parts: [.text("ho")])]), seed: 1)
        #expect(other.cuts.first?.hash == a.cuts.first?.hash && other.cuts.last?.hash != a.cuts.last?.hash)
    }

    @Test func explicit_writesThenReadsAndSplitsByLifetime() {
        let cache = PromptCache()
        let marks: [CacheBreakpoint] = [.init(position: .system(endOffset: 100), ttl: .oneHour),
                                        .init(position: .part(message: 0, part: 0), ttl: .fiveMinutes)]
        let prefix = PromptPrefix(Self.request(), seed: 1, breakpoints: marks)
        let (oneHour, all) = (prefix.cuts[0].tokens, prefix.cuts.last!.tokens)
        let first = cache.explicit(prefix, scope: Self.scope, now: 0, minimum: 1)
        #expect(first == CacheUsage(read: 0, written5m: all - oneHour, written1h: oneHour, explicit: true))
        let second = cache.explicit(prefix, scope: Self.scope, now: 1000, minimum: 1)
        #expect(second == CacheUsage(read: all, explicit: true))
        // Five minutes after that read the 5-minute entry is gone, the 1-hour one is read.
        let third = cache.explicit(prefix, scope: Self.scope, now: 1000 + 300_000, minimum: 1)
        #expect(third == CacheUsage(read: oneHour, written5m: all - oneHour, explicit: true))
    }

    @Test func explicit_skipsPrefixesBelowTheMinimumAndLooksBackTwentyCuts() {
        let cache = PromptCache()
        let short = PromptPrefix(Self.request(system: "tiny"), seed: 1, breakpoints: [.init(position: .part(message: 0, part: 0), ttl: .fiveMinutes)])
        #expect(cache.explicit(short, scope: Self.scope, now: 0, minimum: 1024) == CacheUsage(explicit: true))
        #expect(cache.count == 0)
        // One cached message, then the breakpoint moves 19 and 20 parts further.
        let parts = (0..<21).map { ChatMessage(role: .user, parts: [.text("m\($0)")]) }
        func usage(at last: Int) -> CacheUsage {
            let c = PromptCache()
            let base = Self.request(messages: Array(parts[0...0]))
            _ = c.explicit(PromptPrefix(base, seed: 1, breakpoints: [.init(position: .part(message: 0, part: 0), ttl: .fiveMinutes)]),
                           scope: Self.scope, now: 0, minimum: 1)
            let grown = Self.request(messages: Array(parts[0...last]))
            return c.explicit(PromptPrefix(grown, seed: 1, breakpoints: [.init(position: .part(message: last, part: 0), ttl: .fiveMinutes)]),
                              scope: Self.scope, now: 0, minimum: 1)
        }
        #expect(usage(at: 19).read > 0)
        #expect(usage(at: 20).read == 0)
    }

    @Test func implicit_evictsTheLeastRecentlyUsedPastItsBudget() {
        let cache = PromptCache(entriesPerScope: 2)
        func prefix(_ s: String) -> PromptPrefix { PromptPrefix(Self.request(system: s, messages: []), seed: 1) }
        for s in ["a", "b"] { #expect(cache.implicit(prefix(s), scope: Self.scope, now: 0, lifetime: 1000) == 0) }
        #expect(cache.implicit(prefix("a"), scope: Self.scope, now: 1, lifetime: 1000) > 0)   // a is now newer than b
        _ = cache.implicit(prefix("c"), scope: Self.scope, now: 2, lifetime: 1000)             // evicts b
        #expect(cache.count == 2)
        #expect(cache.implicit(prefix("b"), scope: Self.scope, now: 3, lifetime: 1000) == 0)
        #expect(cache.implicit(prefix("c"), scope: Self.scope, now: 4, lifetime: 1000) > 0)
        // Expired entries go before live ones, and are never read.
        #expect(cache.implicit(prefix("c"), scope: Self.scope, now: 5000, lifetime: 1000) == 0)
    }

    @Test func scopes_areBoundedAndResetBySession() {
        let cache = PromptCache(maxScopes: 2)
        let prefix = PromptPrefix(Self.request(), seed: 1)
        for (account, session) in [("a", ""), ("b", "s"), ("c", "s")] {
            _ = cache.implicit(prefix, scope: .init(account: account, session: session), now: 0, lifetime: 1000)
        }
        #expect(cache.implicit(prefix, scope: .init(account: "a", session: ""), now: 1, lifetime: 1000) == 0)  // dropped
        cache.reset(session: "s")
        #expect(cache.implicit(prefix, scope: .init(account: "c", session: "s"), now: 2, lifetime: 1000) == 0)
        #expect(cache.implicit(prefix, scope: .init(account: "a", session: ""), now: 3, lifetime: 1000) > 0)
        cache.reset()
        #expect(cache.count == 0)
    }

    @Test func anthropicMarks_landOnToolsSystemBlocksAndParts() throws {
        let marks = try Self.anthropic("""
        {"model":"m","max_tokens":1,
         "tools":[{"name":"t","input_schema":{},"cache_control":{"type":"ephemeral","ttl":"1h"}}],
         "system":[{"type":"text","text":"abc"},{"type":"text","text":"de","cache_control":{"type":"ephemeral"}}],
         "messages":[{"role":"user","content":[{"type":"document","source":{},"cache_control":{"type":"ephemeral"}},
                                               {"type":"text","text":"x"},
                                               {"type":"redacted_thinking","data":"z","cache_control":{"type":"ephemeral"}}]}]}
        """)
        #expect(marks == [.init(position: .tool(0), ttl: .oneHour), .init(position: .system(endOffset: 7), ttl: .fiveMinutes),
                          .init(position: .messageHead(0), ttl: .fiveMinutes), .init(position: .part(message: 0, part: 0), ttl: .fiveMinutes)])
        let top = try Self.anthropic(#"{"model":"m","max_tokens":1,"cache_control":{"type":"ephemeral"},"messages":[{"role":"user","content":"q"}]}"#)
        #expect(top == [.init(position: .part(message: 0, part: 0), ttl: .fiveMinutes)])
    }
}

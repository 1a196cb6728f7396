import HTTPCore
import Testing
@testable import BytespikeMock

/// Each protocol renders a reply's cache counts in its own usage fields, the same in the JSON
/// body and in the stream, and renders nothing new when nothing was cached.
@Suite struct CacheRenderingTests {
    static let meta = ReplyMeta(responseID: "r_1", created: 1_700_000_000, requestID: "req_1", seed: 7)

    static func reply(_ cache: CacheUsage) -> Reply {
        var r = Reply(model: "m", blocks: [.text("Hello there")], stopReason: .endTurn, inputTokens: 2000, outputTokens: 2,
                      thinkingTokens: 0, pacing: .fast)
        r.cache = cache
        return r
    }

    static func request(stream: Bool) -> ChatRequest {
        var r = ChatRequest(model: "m")
        r.stream = stream
        r.includeUsage = true
        return r
    }

    static func json(_ bytes: [UInt8]) throws -> JSONValue { try JSONParser.parse(bytes) }

    /// The JSON of every `data:` line of a stream.
    static func streamed(_ codec: any TextCodec.Type, _ reply: Reply) throws -> [JSONValue] {
        let text = codec.events(reply, request(stream: true), meta).map { String(decoding: $0.bytes, as: UTF8.self) }.joined()
        return try text.split(whereSeparator: \.isNewline).filter { $0.hasPrefix("data: ") && $0 != "data: [DONE]" }
            .map { try JSONParser.parse(Array($0.dropFirst(6).utf8)) }
    }

    @Test func anthropic_reportsReadsWritesAndTheSplitInBodyStartAndDelta() throws {
        let cache = CacheUsage(read: 1200, written5m: 300, written1h: 100, explicit: true)
        let body = try Self.json(AnthropicCodec.body(Self.reply(cache), Self.request(stream: false), Self.meta))
        let events = try Self.streamed(AnthropicCodec.self, Self.reply(cache))
        let start = try #require(events.first { $0["type"] == .string("message_start") })["message"]?["usage"]
        let delta = try #require(events.first { $0["type"] == .string("message_delta") })["usage"]
        for usage in [body["usage"], start, delta] {
            #expect(usage?["input_tokens"] == .int(400))
            #expect(usage?["cache_read_input_tokens"] == .int(1200))
            #expect(usage?["cache_creation_input_tokens"] == .int(400))
            #expect(usage?["cache_creation"]?["ephemeral_5m_input_tokens"] == .int(300))
            #expect(usage?["cache_creation"]?["ephemeral_1h_input_tokens"] == .int(100))
        }
        let plain = try Self.json(AnthropicCodec.body(Self.reply(.none), Self.request(stream: false), Self.meta))
        #expect(plain["usage"]?["cache_creation"] == nil && plain["usage"]?["input_tokens"] == .int(2000))
    }

    @Test func openAI_cachedTokensArePartOfThePromptInBodyAndStream() throws {
        let reply = Self.reply(CacheUsage(read: 1920))
        let chat = try Self.json(ChatCodec.body(reply, Self.request(stream: false), Self.meta))
        let chatStream = try #require(try Self.streamed(ChatCodec.self, reply).last { $0["usage"] != nil && $0["usage"] != .null })
        for usage in [chat["usage"], chatStream["usage"]] {
            #expect(usage?["prompt_tokens"] == .int(2000))
            #expect(usage?["prompt_tokens_details"]?["cached_tokens"] == .int(1920))
        }
        let responses = try Self.json(ResponsesCodec.body(reply, Self.request(stream: false), Self.meta))
        let completed = try #require(try Self.streamed(ResponsesCodec.self, reply).first { $0["type"] == .string("response.completed") })
        for usage in [responses["usage"], completed["response"]?["usage"]] {
            #expect(usage?["input_tokens"] == .int(2000))
            #expect(usage?["input_tokens_details"]?["cached_tokens"] == .int(1920))
        }
    }

    @Test func gemini_reportsCachedContentInEveryChunkAndOmitsZero() throws {
        let reply = Self.reply(CacheUsage(read: 1500))
        let body = try Self.json(GeminiCodec.body(reply, Self.request(stream: false), Self.meta))
        let chunks = try Self.streamed(GeminiCodec.self, reply)
        #expect(!chunks.isEmpty)
        for usage in [body["usageMetadata"]] + chunks.map({ $0["usageMetadata"] }) {
            #expect(usage?["promptTokenCount"] == .int(2000))
            #expect(usage?["cachedContentTokenCount"] == .int(1500))
            guard case .array(let details)? = usage?["cacheTokensDetails"] else { Issue.record("no cacheTokensDetails"); continue }
            #expect(details.count == 1 && details[0]["modality"] == .string("TEXT") && details[0]["tokenCount"] == .int(1500))
        }
        let plain = try Self.json(GeminiCodec.body(Self.reply(.none), Self.request(stream: false), Self.meta))
        #expect(plain["usageMetadata"]?["cachedContentTokenCount"] == nil)
    }
}

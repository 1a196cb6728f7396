import HTTPCore
import Testing
@testable import BytespikeMock

/// The journal's packed form of a stream's events gives back the same bytes, in less memory.
@Suite struct PackedEventsTests {
    static let meta = ReplyMeta(responseID: "resp_1", created: 1_700_000_000, requestID: "req_1", seed: 7)

    func reply(_ blocks: [Reply.Block], stop: Reply.StopReason = .endTurn) -> Reply {
        let (output, thinking) = Reply.tokenCounts(blocks)
        return Reply(model: "m", blocks: blocks, stopReason: stop, inputTokens: 9,
                     outputTokens: output, thinkingTokens: thinking, pacing: .fast)
    }

    /// Text, thinking and tool calls on all four protocols: every event comes back byte for byte.
    @Test func unpacked_isTheSameEvents_onEveryProtocol() {
        let text = String(repeating: "Paris is the capital of France. ", count: 40)
        let r = reply([.thinking(text: "Think it through.", signature: "s"), .text(text),
                       .toolCall(id: "a", name: "get_weather", arguments: #"{"city":"Paris"}"#)], stop: .toolUse)
        var chat = ChatRequest(model: "m")
        chat.stream = true
        chat.includeUsage = true
        let all: [(String, [StreamEvent])] = [
            ("chat", ChatCodec.events(r, chat, Self.meta)),
            ("anthropic", AnthropicCodec.events(r, chat, Self.meta)),
            ("responses", ResponsesCodec.events(r, chat, Self.meta)),
            ("gemini", GeminiCodec.events(r, chat, Self.meta)),
        ]
        for (name, events) in all {
            let packed = PackedEvents(events)
            #expect(packed.count == events.count, "\(name)")
            #expect(packed.unpacked().map(\.bytes) == events.map(\.bytes), "\(name)")
            // Events with bytes of their own keep them (counted); none is lost from the count.
            #expect(packed.heldBytes >= events.reduce(0) { $0 + $1.storedBytes }, "\(name)")
        }
        // Chat's text events are pieces of one template: 4 bytes each instead of 32.
        let chatEvents = all[0].1
        let pieces = chatEvents.filter { $0.parts != nil }.count
        #expect(pieces > 300)
        let own = chatEvents.reduce(0) { $0 + $1.storedBytes }
        #expect(PackedEvents(chatEvents).heldBytes < own + pieces * 5 + text.utf8.count + 2048)
    }

    @Test func transcript_packedKeepsItsItems_andReleasesTheDriversArray() {
        let events = ChatCodec.events(reply([.text("Hello there, how are you today?")]), ChatRequest(model: "m"), Self.meta)
        var t = StreamTranscript()
        t.events = events
        t.count = events.count - 1
        t.substitutes = [(item: 1, bytes: Array("data: {broken\n\n".utf8))]
        t.trailer = Array("data: [ERR]\n\n".utf8)
        let p = t.packed()
        #expect(p.events.isEmpty && p.packedEvents?.count == events.count)
        #expect(p.items().map(\.bytes) == t.items().map(\.bytes))
        #expect(p.packed().items().map(\.bytes) == t.items().map(\.bytes), "packing twice changes nothing")
        #expect(StreamTranscript().packed().items().isEmpty)
    }
}

import HTTPCore
import Testing
@testable import BytespikeMock

/// A stream's events are kept packed from the codec on (the journal keeps the same value): the
/// packed form gives back the same bytes and tokens, in less memory.
@Suite struct StreamEventsTests {
    static let meta = ReplyMeta(responseID: "resp_1", created: 1_700_000_000, requestID: "req_1", seed: 7)

    func reply(_ blocks: [Reply.Block], stop: Reply.StopReason = .endTurn) -> Reply {
        let (output, thinking) = Reply.tokenCounts(blocks)
        return Reply(model: "m", blocks: blocks, stopReason: stop, inputTokens: 9,
                     outputTokens: output, thinkingTokens: thinking, pacing: .fast)
    }

    /// Every event rendered from its template, read through the cursor the driver uses.
    func walked(_ events: StreamEvents) -> [(bytes: [UInt8], tokens: Int)] {
        var c = StreamEvents.Cursor()
        var out: [([UInt8], Int)] = []
        while !events.isEnd(c) {
            let e = events[c]
            var rendered: [UInt8] = []
            e.render(into: &rendered)
            #expect(rendered.count == e.count, "count announces what render writes")
            out.append((rendered, events.tokens(at: c)))
            events.advance(&c)
        }
        return out
    }

    /// Text, thinking and tool calls on all four protocols: repacking event by event, walking
    /// with the cursor and indexing all give the same events, byte for byte.
    @Test func packedEvents_walkAndIndexAlike_onEveryProtocol() {
        let text = String(repeating: "Paris is the capital of France. ", count: 40)
        let r = reply([.thinking(text: "Think it through.", signature: "s"), .text(text),
                       .toolCall(id: "a", name: "get_weather", arguments: #"{"city":"Paris"}"#)], stop: .toolUse)
        var chat = ChatRequest(model: "m")
        chat.stream = true
        chat.includeUsage = true
        let all: [(String, StreamEvents)] = [
            ("chat", ChatCodec.events(r, chat, Self.meta)),
            ("anthropic", AnthropicCodec.events(r, chat, Self.meta)),
            ("responses", ResponsesCodec.events(r, chat, Self.meta)),
            ("gemini", GeminiCodec.events(r, chat, Self.meta)),
        ]
        for (name, events) in all {
            let indexed = (0..<events.count).map { events[$0] }
            let repacked = StreamEvents(indexed)
            #expect(repacked.count == events.count && repacked.runs.count == events.runs.count, "\(name)")
            #expect(repacked.map(\.bytes) == indexed.map(\.bytes), "\(name)")
            let walk = walked(events)
            #expect(walk.map(\.bytes) == indexed.map(\.bytes), "\(name)")
            #expect(walk.map(\.tokens) == indexed.map(\.tokens), "\(name)")
            #expect(walk.map(\.tokens).reduce(0, +) == r.outputTokens + r.thinkingTokens, "\(name)")
            #expect(events.heldBytes >= indexed.reduce(0) { $0 + $1.storedBytes }, "\(name)")
        }
        // Chat's text events are pieces of one template: about 4 bytes each instead of 32.
        let chatEvents = all[0].1
        let pieces = chatEvents.filter { $0.parts != nil }.count
        #expect(pieces > 300)
        let own = chatEvents.reduce(0) { $0 + $1.storedBytes }
        let bound = own + pieces * 5 + text.utf8.count + 2048
        #expect(chatEvents.heldBytes < bound)
        #expect(chatEvents.runs.count < 12, "the text, thinking and argument pieces are one run each")
        #expect(all[1].1.runs.count < 20, "anthropic: each block's deltas are one run")
        #expect(all[3].1.runs.count < 12, "gemini: each block's middle chunks are one run")
    }

    /// Pieces that need JSON escapes (quotes, backslashes, newlines, control bytes, non-ASCII)
    /// come out escaped, exactly as the JSON writer writes the string.
    @Test func templatePieces_escapeWhatJSONNeeds() throws {
        let text = "Line \"one\"\n\tpath C:\\dir \u{1} caf\u{E9} \u{1F600} done"
        let events = ChatCodec.events(reply([.text(text)]), ChatRequest(model: "m"), Self.meta)
        var joined = ""
        for e in walked(events).map(\.bytes) {
            let line = String(decoding: e, as: UTF8.self)
            guard line.hasPrefix("data: {"), case .object(let o) = try JSONParser.parse(Array(line.dropFirst(6).utf8)),
                  case .array(let choices)? = o["choices"], case .object(let c)? = choices.first,
                  case .object(let delta)? = c["delta"], case .string(let piece)? = delta["content"] else { continue }
            joined += piece
        }
        #expect(joined == text)
        #expect(events.count == Tokens.pieces(text).count + 3)
    }

    /// The token bounds cut the same pieces as ``Tokens/pieces(_:)``, ASCII or not.
    @Test func tokenBounds_matchPieces() {
        for text in ["", " ", "Hello, world!", "caf\u{E9} au lait, s'il vous pla\u{EE}t", "abcdefghij  \n", "\u{1F600}\u{1F600} ok"] {
            let bytes = Array(text.utf8)
            let bounds = bytes.withUnsafeBufferPointer { Tokens.bounds($0) }
            let cut = zip(bounds, bounds.dropFirst()).map { String(decoding: bytes[Int($0)..<Int($1)], as: UTF8.self) }
            #expect(cut == Tokens.pieces(text).map(String.init), "\(text)")
            #expect(bounds.first == 0 && bounds.last == UInt32(bytes.count))
        }
    }

    /// The transcript shares the driver's packed events: its items are the events written,
    /// with substitutes and the trailer in place.
    @Test func transcript_itemsFollowTheSharedEvents() {
        let events = ChatCodec.events(reply([.text("Hello there, how are you today?")]), ChatRequest(model: "m"), Self.meta)
        var t = StreamTranscript()
        t.events = events
        t.count = events.count - 1
        t.substitutes = [(item: 1, bytes: Array("data: {broken\n\n".utf8))]
        t.trailer = Array("data: [ERR]\n\n".utf8)
        let items = t.items().map(\.bytes)
        #expect(items.count == events.count)
        #expect(items[0] == events[0].bytes && items[1] == Array("data: {broken\n\n".utf8))
        #expect(Array(items[2..<(events.count - 1)]) == (2..<(events.count - 1)).map { events[$0].bytes })
        #expect(items.last == Array("data: [ERR]\n\n".utf8))
        #expect(StreamTranscript().items().isEmpty)
    }
}

import HTTPCore
import Testing
@testable import BytespikeMock

/// Responses deltas put together from a part's shared bytes are byte for byte the events a JSON
/// writer per event makes (the golden transcripts cover text, reasoning and tool deltas; these
/// add refusals, escapes, non-ASCII text and large sequence numbers).
@Suite struct ResponsesDeltaTests {
    private func head(_ w: inout JSONWriter) {
        w.key("item_id"); w.string("msg_\"x\"")
        w.key("output_index"); w.int(3)
        w.key("content_index"); w.int(12)
    }

    @Test(arguments: [("response.output_text.delta", true), ("response.refusal.delta", false),
                      ("response.function_call_arguments.delta", false)])
    func delta_isTheEventEmitWrites(_ type: String, _ logprobs: Bool) {
        let fixed = ResponsesCodec.DeltaBytes(type, logprobs: logprobs, head)
        let text = "Héllo, \"wörld\"\n\t\\ 🙂 tok\u{01}"
        for sequence in [0, 7, 99_999_999] {
            var fast = ResponsesCodec.EventSink(), slow = ResponsesCodec.EventSink()
            fast.sequence = sequence
            slow.sequence = sequence
            for piece in Tokens.pieces(text) {
                fast.delta(fixed, piece)
                slow.emit(type, tokens: 1) { w in
                    head(&w)
                    w.key("delta"); w.string(String(piece))
                    if logprobs { w.key("logprobs"); w.arrayStart(); w.arrayEnd() }
                }
            }
            #expect(fast.events.count == slow.events.count && fast.events.count > 5)
            for k in 0..<slow.events.count {
                #expect(fast.events[k].bytes == slow.events[k].bytes, "\(type) event \(k)")
                #expect(fast.events[k].tokens == 1)
            }
            #expect(fast.sequence == slow.sequence)
        }
    }
}

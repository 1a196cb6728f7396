@testable import BytespikeMock
import HTTPServer
import Testing

/// The HTTP/2 faults of the grammar: fields, stages, canonical text that parses back, the
/// server fault each becomes, and rejections that name the mistake. No sockets.
@Suite struct FaultRuleHTTP2Tests {
    private func parse(_ spec: String) throws(FaultSpecError) -> FaultRule { try FaultRule.parse(spec, origin: "cli", now: 0) }

    @Test func rstStream_defaultsToCancel_andTakesACodeByNameOrNumber() throws {
        #expect(try parse("rst_stream").http2Fault == .resetStream(code: .cancel))
        #expect(try parse("rst_stream code=refused_stream").http2Fault == .resetStream(code: .refusedStream))
        #expect(try parse("rst_stream code=2").http2Fault == .resetStream(code: .internalError))
        #expect(try parse("rst_stream code=0xb").h2Code?.name == "ENHANCE_YOUR_CALM")
        #expect(try parse("rst_stream code=4000").h2Code?.name == "4000", "an unregistered code is kept by number")
    }

    @Test func stages_beforeTheHeadOrAfterEvents() throws {
        #expect(try parse("rst_stream").stage == .response)
        #expect(try parse("rst_stream after_events=3").stage == .stream)
        #expect(try parse("goaway after_events=1").stage == .stream)
        #expect(try parse("data_stall for=1s after_events=2").stage == .stream)
        #expect(try parse("window_stall for=1s").stage == .response)
        #expect(try parse("h2_settings max_streams=1").stage == .response)
    }

    @Test func goaway_defaultsToNoErrorAndTheRequestsOwnStream() throws {
        #expect(try parse("goaway").http2Fault == .goaway(code: .noError, lastStreamID: nil))
        #expect(try parse("goaway code=PROTOCOL_ERROR last_stream=7").http2Fault == .goaway(code: .protocolError, lastStreamID: 7))
        #expect(try parse("goaway code=INTERNAL_ERROR").http2Fault?.endsStream == true)
        #expect(try parse("goaway").http2Fault?.endsStream == false)
    }

    @Test func stallsAndSettings_becomeTheirServerFaults() throws {
        #expect(try parse("window_stall for=2s").http2Fault == .windowStall(.milliseconds(2000)))
        #expect(try parse("data_stall for=250ms").http2Fault == .dataStall(.milliseconds(250)))
        #expect(try parse("h2_settings max_streams=0 window=1024").http2Fault
                == .settings(maxConcurrentStreams: 0, initialWindowSize: 1024))
        #expect(try parse("429").http2Fault == nil)
    }

    @Test(arguments: [
        "rst_stream code=CANCEL after_events=3 session=s probability=0.5 seed=1",
        "goaway code=ENHANCE_YOUR_CALM last_stream=0 every=10",
        "window_stall for=2s surface=chat",
        "data_stall for=500ms after_events=1",
        "h2_settings max_streams=1 window=65535 first=1",
    ])
    func text_parsesBackToTheSameRule(_ spec: String) throws {
        let r = try parse(spec)
        #expect(r.text == spec)
        #expect(try parse(r.text).text == r.text)
    }

    @Test(arguments: [
        ("rst_stream code=nope", "code: expected an HTTP/2 error code"),
        ("rst_stream code=4294967296", "code: expected an HTTP/2 error code"),
        ("goaway last_stream=2147483648", "last_stream: 2147483648 is more than it takes"),
        ("rst_stream last_stream=1", "last_stream: only goaway faults take it"),
        ("429 max_streams=1", "max_streams: only h2_settings faults take it"),
        ("h2_settings", "h2_settings: give max_streams=N and/or window=BYTES"),
        ("h2_settings max_streams=100001", "max_streams: 100001 is more than it takes"),
        ("window_stall", "for: required for window_stall"),
        ("data_stall", "for: required for data_stall"),
        ("window_stall for=1s after_events=2", "after_events: window_stall faults act before the head"),
        ("rst_stream message=x", "message: only status faults"),
    ])
    func parse_rejectsWithAMessageNamingTheMistake(_ spec: String, _ message: String) {
        #expect(throws: FaultSpecError.self) { try parse(spec) }
        do { _ = try parse(spec) } catch { #expect(error.message.contains(message), "\(error.message)") }
    }
}

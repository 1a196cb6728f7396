import BytespikeMock
import HTTPServer
import Glibc
import Testing
import TestSupport

/// Byte-exact transcripts of every text surface: the whole HTTP response (status line, headers
/// with `Date` normalised, chunk framing and body) for text, tool call, thinking and error
/// replies, non-streaming and streaming. Each case runs on a fresh mock with seed 0 and the
/// clock frozen, so ids and times are reproducible.
///
/// `RECORD_GOLDEN=1 swift test --filter GoldenTranscript` rewrites the files under `Golden/` and
/// fails the run, so a recording is never mistaken for a pass.
@Suite struct GoldenTranscriptTests {
    static let frozenTime = 1_795_000_000  // 2026-11-18T09:46:40Z

    struct Case: CustomStringConvertible, Sendable {
        var name: String
        var request: String
        var description: String { name }
    }

    static let weatherToolAnthropic = #"[{"name":"get_weather","description":"Current weather for a city","input_schema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}]"#
    static let weatherToolChat = #"[{"type":"function","function":{"name":"get_weather","description":"Current weather for a city","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}]"#
    static let weatherToolResponses = #"[{"type":"function","name":"get_weather","description":"Current weather for a city","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}]"#
    static let weatherToolGemini = #"[{"functionDeclarations":[{"name":"get_weather","description":"Current weather for a city","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}]}]"#

    static func post(_ path: String, _ headers: [(String, String)], _ body: String) -> String {
        var s = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\n"
        for (k, v) in headers { s += "\(k): \(v)\r\n" }
        return s + "Content-Length: \(body.utf8.count)\r\n\r\n" + body
    }

    static let key = "sk-byts-default-test-key-0001"

    static func anthropic(_ prompt: String, stream: Bool, extra: String = "") -> String {
        post("/v1/messages", [("x-api-key", key), ("anthropic-version", "2023-06-01")],
             #"{"model":"claude-sonnet-4-5","max_tokens":1024,"stream":\#(stream),"messages":[{"role":"user","content":"\#(prompt)"}]\#(extra)}"#)
    }

    static func chat(_ prompt: String, stream: Bool, extra: String = "") -> String {
        let options = stream ? #","stream_options":{"include_usage":true}"# : ""
        return post("/v1/chat/completions", [("Authorization", "Bearer \(key)")],
                    #"{"model":"gpt-5-4-mini","stream":\#(stream)\#(options),"messages":[{"role":"user","content":"\#(prompt)"}]\#(extra)}"#)
    }

    static func responses(_ prompt: String, stream: Bool, extra: String = "") -> String {
        post("/v1/responses", [("Authorization", "Bearer \(key)")],
             #"{"model":"gpt-5-4-mini","stream":\#(stream),"input":"\#(prompt)"\#(extra)}"#)
    }

    static func gemini(_ prompt: String, stream: Bool, alt: Bool = true, extra: String = "") -> String {
        let action = stream ? (alt ? "streamGenerateContent?alt=sse" : "streamGenerateContent") : "generateContent"
        return post("/v1beta/models/gemini-2-5-flash:\(action)", [("x-goog-api-key", key)],
                    #"{"contents":[{"role":"user","parts":[{"text":"\#(prompt)"}]}],"generationConfig":{}\#(extra)}"#)
    }

    static var cases: [Case] {
        var out: [Case] = []
        for stream in [false, true] {
            let mode = stream ? "stream" : "body"
            out += [
                Case(name: "messages-text-\(mode)", request: anthropic("Say hello", stream: stream)),
                Case(name: "messages-tool-\(mode)", request: anthropic("What is the weather in Paris?", stream: stream,
                                                                       extra: #","tools":\#(weatherToolAnthropic)"#)),
                Case(name: "messages-thinking-\(mode)", request: anthropic("What is 2+2?", stream: stream,
                                                                           extra: #","thinking":{"type":"enabled","budget_tokens":512}"#)),
                Case(name: "messages-error-\(mode)", request: anthropic(stream ? "mock:stream-error" : "mock:overloaded", stream: stream)),
                Case(name: "chat-text-\(mode)", request: chat("Say hello", stream: stream)),
                Case(name: "chat-tool-\(mode)", request: chat("What is the weather in Paris?", stream: stream,
                                                              extra: #","tools":\#(weatherToolChat)"#)),
                Case(name: "chat-thinking-\(mode)", request: chat("mock:think", stream: stream)),
                Case(name: "chat-error-\(mode)", request: chat(stream ? "mock:stream-error" : "mock:overloaded", stream: stream)),
                Case(name: "responses-text-\(mode)", request: responses("Say hello", stream: stream)),
                Case(name: "responses-tool-\(mode)", request: responses("What is the weather in Paris?", stream: stream,
                                                                        extra: #","tools":\#(weatherToolResponses)"#)),
                Case(name: "responses-thinking-\(mode)", request: responses("mock:think", stream: stream)),
                Case(name: "responses-error-\(mode)", request: responses(stream ? "mock:stream-error" : "mock:overloaded", stream: stream)),
                Case(name: "gemini-text-\(mode)", request: gemini("Say hello", stream: stream)),
                Case(name: "gemini-tool-\(mode)", request: gemini("What is the weather in Paris?", stream: stream,
                                                                  extra: #","tools":\#(weatherToolGemini)"#)),
                Case(name: "gemini-thinking-\(mode)", request: gemini("mock:think", stream: stream)),
                Case(name: "gemini-error-\(mode)", request: gemini(stream ? "mock:stream-error" : "mock:overloaded", stream: stream)),
            ]
        }
        out += [
            Case(name: "gemini-text-array", request: gemini("Say hello", stream: true, alt: false)),
            Case(name: "gemini-error-array", request: gemini("mock:stream-error", stream: true, alt: false)),
        ]
        // Injected faults (X-Mock-Fault) on every surface: a status error with retry headers, an
        // in-band error, an early clean end, a malformed event and a cut mid-stream.
        let surfaces: [(String, (String, Bool) -> String)] = [
            ("messages", { anthropic($0, stream: $1) }), ("chat", { chat($0, stream: $1) }),
            ("responses", { responses($0, stream: $1) }), ("gemini", { gemini($0, stream: $1) }),
        ]
        let faults: [(String, String, Bool)] = [
            ("fault-429-body", "429 retry_after=1 retry_after_ms=1000 should_retry=true", false),
            ("fault-529-inband-stream", "529 after_events=3", true),
            ("fault-end-stream", "end after_events=3", true),
            ("fault-malformed-stream", "malformed after_events=1", true),
            ("fault-cut-stream", "cut after_events=2", true),
        ]
        for (surface, make) in surfaces {
            for (name, spec, stream) in faults {
                out.append(Case(name: "\(surface)-\(name)", request: withHeader(make("Say hello", stream), "X-Mock-Fault", spec)))
            }
        }
        out.append(Case(name: "gemini-fault-529-inband-array",
                        request: withHeader(gemini("Say hello", stream: true, alt: false), "X-Mock-Fault", "529 after_events=2")))
        return out
    }

    /// `request` with one more header line after the request line.
    static func withHeader(_ request: String, _ name: String, _ value: String) -> String {
        guard let end = request.firstRange(of: "\r\n") else { return request }
        return String(request[..<end.upperBound]) + "\(name): \(value)\r\n" + String(request[end.upperBound...])
    }

    @Test(arguments: cases)
    func transcript_matchesGolden(_ c: Case) throws {
        try run(c, streamBatch: nil)
    }

    /// The bytes do not depend on how events are grouped into sends (`--stream-batch`): one
    /// event per send, and an odd grouping that splits the yields.
    @Test(arguments: cases.filter { $0.request.contains("stream") }, [1, 3])
    func transcript_matchesGolden_whateverTheStreamBatch(_ c: Case, _ batch: Int) throws {
        try run(c, streamBatch: batch)
    }

    func run(_ c: Case, streamBatch: Int?) throws {
        var options = MockOptions()
        options.server.port = 0
        if let streamBatch { options.gateway.streamBatch = streamBatch }
        let mock = try MockServer.start(options)
        defer { mock.stop() }
        mock.gateway.clock.freeze(at: Self.frozenTime)
        let client = try TestClient(port: mock.port)
        try client.send(c.request)
        Self.check(c.name, Self.normalise(String(decoding: try client.readToEnd(), as: UTF8.self)))
    }

    /// Compares `got` with `Golden/<name>.txt`, or records it under `RECORD_GOLDEN`.
    static func check(_ name: String, _ got: String) {
        let path = goldenDirectory + "/\(name).txt"
        if getenv("RECORD_GOLDEN") != nil {
            writeText(path, got)
            Issue.record("recorded \(path); rerun without RECORD_GOLDEN")
            return
        }
        let want = readText(path)
        guard !want.isEmpty else {
            Issue.record("missing golden file \(path); record it with RECORD_GOLDEN=1")
            return
        }
        #expect(got == want, "transcript \(name) differs from \(path)")
    }

    static var goldenDirectory: String {
        let file = #filePath
        return String(file[..<file.lastIndex(of: "/")!]) + "/Golden"
    }

    /// Replaces the value of the `Date` header, the only part that depends on the wall clock.
    static func normalise(_ s: String) -> String {
        var lines = s.components(separatedBy: "\r\n")
        for i in lines.indices where lines[i].lowercased().hasPrefix("date: ") { lines[i] = "Date: <normalised>" }
        return lines.joined(separator: "\r\n")
    }
}

extension String {
    func components(separatedBy sep: String) -> [String] {
        var out: [String] = []
        var rest = Substring(self)
        while let r = rest.firstRange(of: sep) {
            out.append(String(rest[..<r.lowerBound]))
            rest = rest[r.upperBound...]
        }
        out.append(String(rest))
        return out
    }
}

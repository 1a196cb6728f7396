import BytespikeMock
import Glibc
import HTTPCore
import HTTPServer
import Testing
import TestSupport

/// A streamed completion on the wire, written by the batched path (``ChunkSink``): every HTTP
/// chunk is exactly one SSE event, text that needs JSON escapes comes out escaped, and an
/// HTTP/1.0 stream (no chunked framing) carries the same events.
@Suite struct StreamWireTests {
    static let text = "Say \"hi\"\n\tto C:\\dir \u{1} caf\u{E9} \u{1F600} and a long wordwordword, done."

    /// The raw response to one streamed chat completion, the connection closed by the server.
    func raw(_ mock: MockServer, version: String) throws -> [UInt8] {
        let c = try TestClient(port: mock.port)
        let body = #"{"model":"gpt-5-4","stream":true,"messages":[{"role":"user","content":"wire-escapes"}]}"#
        try c.send("POST /v1/chat/completions \(version)\r\nHost: x\r\nAuthorization: Bearer sk-byts-default-test-key-0001\r\n"
            + "Connection: close\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body)
        return try c.readToEnd()
    }

    /// Splits an SSE body into its events (each with its blank line).
    func events(_ body: [UInt8]) -> [[UInt8]] {
        var out: [[UInt8]] = [], start = 0, i = 0
        while i + 1 < body.count {
            if body[i] == 0x0A, body[i + 1] == 0x0A {
                out.append(Array(body[start...(i + 1)]))
                start = i + 2
                i += 2
            } else {
                i += 1
            }
        }
        return out
    }

    /// The `content` pieces of chat chunks, joined.
    func content(_ events: [[UInt8]]) throws -> String {
        var text = ""
        for e in events where e.starts(with: Array("data: {".utf8)) {
            guard case .object(let o) = try JSONParser.parse(Array(e.dropFirst(6).dropLast(2))),
                  case .array(let choices)? = o["choices"], case .object(let c)? = choices.first,
                  case .object(let d)? = c["delta"], case .string(let s)? = d["content"] else { continue }
            text += s
        }
        return text
    }

    /// A mock whose streams send `batch` events at a time, with the rule answering `text`.
    func start(batch: Int) throws -> MockServer {
        var options = MockOptions()
        options.server.port = 0
        options.gateway.streamBatch = batch
        let mock = try MockServer.start(options)
        let control = try TestClient(port: mock.port)
        var quoted = JSONWriter(capacity: 128)
        quoted.string(Self.text)
        let rule = #"{"id":"esc","match":{"contains":"wire-escapes"},"reply":{"text":"# + String(decoding: quoted.bytes, as: UTF8.self) + "}}"
        try control.send("POST /__mock/replies HTTP/1.1\r\nHost: x\r\nContent-Length: \(rule.utf8.count)\r\n\r\n" + rule)
        #expect(try control.readResponse().status == 200)
        return mock
    }

    @Test(arguments: [1, 3, 16, 64])
    func chunkedStream_isOneEventPerChunk_withEscapedText(batch: Int) throws {
        let mock = try start(batch: batch)
        defer { mock.stop() }
        do {
            let bytes = try raw(mock, version: "HTTP/1.1")
            guard let headEnd = bytes.firstRange(of: Array("\r\n\r\n".utf8)) else { Issue.record("no head"); return }
            #expect(String(decoding: bytes[..<headEnd.lowerBound], as: UTF8.self).lowercased().contains("transfer-encoding: chunked"))
            // Walk the chunks strictly: size line, payload, CRLF; the zero chunk ends the body.
            var i = headEnd.upperBound
            var chunks: [[UInt8]] = []
            while true {
                guard let eol = bytes[i...].firstRange(of: Array("\r\n".utf8)),
                      let size = Int(String(decoding: bytes[i..<eol.lowerBound], as: UTF8.self), radix: 16) else {
                    Issue.record("bad chunk size line at \(i)"); return
                }
                i = eol.upperBound
                if size == 0 { break }
                chunks.append(Array(bytes[i..<(i + size)]))
                #expect(Array(bytes[(i + size)..<(i + size + 2)]) == [0x0D, 0x0A])
                i += size + 2
            }
            #expect(chunks.allSatisfy { events($0) == [$0] }, "batch \(batch): every chunk is one whole event")
            #expect(try content(chunks) == Self.text, "batch \(batch)")
            #expect(chunks.last == Array("data: [DONE]\n\n".utf8))
            // HTTP/1.0: no framing, the body ends with the connection; the same events.
            let old = try raw(mock, version: "HTTP/1.0")
            guard let oldEnd = old.firstRange(of: Array("\r\n\r\n".utf8)) else { Issue.record("no head"); return }
            let oldEvents = events(Array(old[oldEnd.upperBound...]))
            #expect(oldEvents.count == chunks.count, "batch \(batch): HTTP/1.0 carries as many events")
            #expect(try content(oldEvents) == Self.text, "batch \(batch)")
            #expect(oldEvents.last == Array("data: [DONE]\n\n".utf8))
        }
    }
}

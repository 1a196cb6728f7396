#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Testing
@testable import HTTPCore

@Suite struct EncodingTests {
    @Test func responseEncoder_writesExactHead() {
        var out: [UInt8] = []
        ResponseEncoder.writeHead(into: &out, status: .ok, headers: ["Content-Type": "application/json"],
                                  framing: .length(2), keepAlive: true, requestVersion: .http1_1,
                                  dateLine: HTTPDate.headerLine(784_111_777))
        #expect(String(decoding: out, as: UTF8.self) ==
            "HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n")
    }

    @Test func responseEncoder_marksCloseAndHTTP10KeepAlive() {
        var out: [UInt8] = []
        ResponseEncoder.writeHead(into: &out, status: .notFound, headers: [:], framing: .chunked, keepAlive: false,
                                  requestVersion: .http1_1, dateLine: [])
        #expect(String(decoding: out, as: UTF8.self) == "HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
        out = []
        ResponseEncoder.writeHead(into: &out, status: .ok, headers: [:], framing: .length(0), keepAlive: true,
                                  requestVersion: .http1_0, dateLine: [])
        #expect(String(decoding: out, as: UTF8.self) == "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n")
    }

    @Test(arguments: [(0, "Thu, 01 Jan 1970 00:00:00 GMT"), (784_111_777, "Sun, 06 Nov 1994 08:49:37 GMT"),
                      (951_782_400, "Tue, 29 Feb 2000 00:00:00 GMT"), (1_795_333_819, "Sun, 22 Nov 2026 07:50:19 GMT")])
    func httpDate_formatsIMFFixdate(_ seconds: Int, _ expected: String) {
        #expect(HTTPDate.format(seconds) == expected)
    }

    @Test func chunked_framesPayloadsInHex() {
        var out: [UInt8] = []
        Chunked.append(Array(repeating: 0x61, count: 26), to: &out)
        Chunked.append([UInt8](), to: &out)
        out += Chunked.end
        #expect(String(decoding: out, as: UTF8.self) == "1a\r\n" + String(repeating: "a", count: 26) + "\r\n0\r\n\r\n")
    }

    @Test func sse_framesEventsAndMultilineData() {
        #expect(String(decoding: SSE.event("ping", data: Array("{}".utf8)), as: UTF8.self) == "event: ping\ndata: {}\n\n")
        #expect(String(decoding: SSE.event(nil, data: Array("a\nb".utf8)), as: UTF8.self) == "data: a\ndata: b\n\n")
        #expect(String(decoding: SSE.comment("keep-alive"), as: UTF8.self) == ": keep-alive\n\n")
    }

    @Test func jsonWriter_outputDecodesToTheSameValues() throws {
        struct Sample: Decodable, Equatable { var s: String; var n: Int; var b: Bool; var z: String?; var a: [String]; var o: Inner }
        struct Inner: Decodable, Equatable { var price: Double }
        let tricky = "quote \" backslash \\ newline \n tab \t bell \u{07} nul \u{00} é 你好 😀"
        var w = JSONWriter()
        w.objectStart()
        w.key("s"); w.string(tricky)
        w.key("n"); w.int(-42)
        w.key("b"); w.bool(true)
        w.key("z"); w.null()
        w.key("a"); w.strings(["x", "", "y"])
        w.key("o"); w.objectStart(); w.key("price"); w.fixed(1_500_000, decimals: 6); w.objectEnd()
        w.objectEnd()
        let decoded = try JSONDecoder().decode(Sample.self, from: Data(w.bytes))
        #expect(decoded == Sample(s: tricky, n: -42, b: true, z: nil, a: ["x", "", "y"], o: Inner(price: 1.5)))
        #expect(String(decoding: w.bytes, as: UTF8.self).contains("\"price\":1.500000"))
    }

    /// A long string (past the short-string bound) is escaped into exactly its length.
    @Test func jsonWriter_escapesLongStringsExactly() {
        let text = String(repeating: "tab\there \"quoted\" \u{01} é ", count: 200)
        var w = JSONWriter(capacity: 16)
        w.arrayStart(); w.string(text); w.int(Int.min); w.int(-7); w.int(0); w.int(Int.max); w.arrayEnd()
        var expected: [UInt8] = [0x5B]
        Array(text.utf8).withUnsafeBufferPointer { JSONWriter.appendString($0, to: &expected) }
        expected += Array(",-9223372036854775808,-7,0,9223372036854775807]".utf8)
        #expect(w.bytes == expected)
    }

    /// The escaper checks eight bytes at a time: every byte value, at every offset in and around
    /// a word, must come out exactly as a byte-at-a-time escaper writes it.
    @Test func jsonWriter_escapesEveryByteAtEveryOffset() {
        func reference(_ bytes: [UInt8]) -> [UInt8] {
            var out: [UInt8] = [0x22]
            for b in bytes {
                switch b {
                case 0x22: out += [0x5C, 0x22]
                case 0x5C: out += [0x5C, 0x5C]
                case 0x0A: out += [0x5C, 0x6E]
                case 0x0D: out += [0x5C, 0x72]
                case 0x09: out += [0x5C, 0x74]
                case 0x08: out += [0x5C, 0x62]
                case 0x0C: out += [0x5C, 0x66]
                case 0..<0x20: out += Array("\\u00".utf8) + [hexDigit(b >> 4), hexDigit(b & 0xF)]
                default: out.append(b)
                }
            }
            return out + [0x22]
        }
        for value in 0...255 {
            for offset in 0..<19 {
                var bytes = [UInt8](repeating: 0x61, count: 19)
                bytes[offset] = UInt8(value)
                var out: [UInt8] = []
                bytes.withUnsafeBufferPointer { JSONWriter.appendString($0, to: &out) }
                #expect(out == reference(bytes), "byte \(value) at offset \(offset)")
                #expect(bytes.withUnsafeBufferPointer { JSONWriter.stringLength($0) } == out.count)
                var w = JSONWriter(capacity: 8)  // small: the writer grows while escaping
                bytes.withUnsafeBufferPointer { w.appendEscaped($0) }
                #expect(w.bytes == out, "writer: byte \(value) at offset \(offset)")
            }
        }
    }

    @Test(arguments: [(0, 6, "0.000000"), (192_400_000, 6, "192.400000"), (5, 6, "0.000005"), (-1_250_000, 6, "-1.250000"), (42, 0, "42"),
                     (Int.max, 18, "9.223372036854775807"), (Int.min, 2, "-92233720368547758.08"), (7, 3, "0.007")])
    func appendFixed_writesExactDecimals(_ units: Int, _ decimals: Int, _ expected: String) {
        var out: [UInt8] = []
        appendFixed(units, decimals: decimals, to: &out)
        #expect(String(decoding: out, as: UTF8.self) == expected)
    }

    @Test func appendHeaderLine_writesOneLine() {
        var out = Array("X".utf8)
        withDecimalDigits(548) { out.appendHeaderLine("Content-Length", $0) }
        withFixedDigits(250_000_000, decimals: 6) { out.appendHeaderLine("X-Quota-Remaining-Credits", $0) }
        #expect(String(decoding: out, as: UTF8.self) == "XContent-Length: 548\r\nX-Quota-Remaining-Credits: 250.000000\r\n")
    }

    @Test func appendDecimal_handlesExtremes() {
        for v in [0, 7, 10, 99, 1_000_000, Int.max, -3, Int.min] {
            var out: [UInt8] = []
            appendDecimal(v, to: &out)
            #expect(String(decoding: out, as: UTF8.self) == String(v))
        }
    }

    @Test func headerList_keepsOrderAndMatchesCaseInsensitively() {
        var h: HeaderList = ["A": "1"]
        h.add("b", "2")
        h.add("B", "3")
        #expect(h["a"] == "1")
        #expect(h.values("b") == ["2", "3"])
        h.set("b", "4")
        #expect(h.values("B") == ["4"])
        #expect(h.fields.map(\.name) == ["A", "b"])
    }
}

import CNghttp2
import HTTPCore
@testable import HTTPServer
import Testing

/// The HTTP/2 response head built from HTTP/1.1 header lines, and the preface check. No sockets.
@Suite struct H2ResponseHeadTests {
    private func fields(_ head: H2ResponseHead) -> [(String, String)] {
        head.ranges.map { r in
            (String(decoding: head.bytes[r.0..<r.1], as: UTF8.self), String(decoding: head.bytes[r.1..<r.2], as: UTF8.self))
        }
    }

    @Test func head_lowercasesNames_addsStatusDateAndLength_andDropsConnectionFields() {
        let lines = Array("Content-Type: application/json\r\nX-Request-Id:  req_1 \r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\nContent-Length: 99\r\nKeep-Alive: timeout=5\r\nUpgrade: h2c\r\n".utf8)
        let head = H2ResponseHead(status: .ok, contentLength: 12, date: Array("Date: Mon, 07 Dec 2026 10:00:00 GMT\r\n".utf8), lines: lines)
        #expect(fields(head).map(\.0) == [":status", "date", "content-type", "x-request-id", "content-length"])
        #expect(fields(head)[0].1 == "200")
        #expect(fields(head)[3].1 == "req_1", "value whitespace trimmed")
        #expect(fields(head)[4].1 == "12", "the handler's own Content-Length is replaced by the body's")
    }

    @Test func head_ofAStreamHasNoContentLength_andSkipsLinesWithoutAColon() {
        let head = H2ResponseHead(status: Status(code: 429), contentLength: nil, date: [],
                                  lines: Array("Retry-After: 2\r\nnot a header\r\nCache-Control: no-cache\r\n".utf8))
        #expect(fields(head).map(\.0) == [":status", "retry-after", "cache-control"])
        #expect(fields(head)[0].1 == "429")
    }

    @Test func lowercasing_changesOnlyCapitals_inEveryByteValue() {
        let all = (0...255).map { UInt8($0) } + Array("X-Long-Header-NAME-Ends".utf8)
        var out = [UInt8](repeating: 0, count: all.count)
        for start in 0..<9 {  // every alignment of the eight-byte steps
            let n = all.count - start
            all.withUnsafeBufferPointer { a in
                out.withUnsafeMutableBufferPointer { H2ResponseHead.copyLowercased(a.baseAddress! + start, to: $0.baseAddress!, count: n) }
            }
            #expect(Array(out[0..<n]) == all[start...].map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 })
        }
    }

    @Test func head_fieldsReachTheLibraryAsNameValuePairs() {
        var head = H2ResponseHead(status: .ok, contentLength: 0, date: [], lines: Array("A: b\r\n".utf8))
        let seen = head.withFields { nva, count in
            (0..<count).map { i in
                String(decoding: UnsafeBufferPointer(start: nva[i].name, count: nva[i].namelen), as: UTF8.self) + "=" +
                    String(decoding: UnsafeBufferPointer(start: nva[i].value, count: nva[i].valuelen), as: UTF8.self)
            }
        }
        #expect(seen == [":status=200", "a=b", "content-length=0"])
    }

    @Test func errorCodes_parseByNameOrNumber() {
        #expect(HTTP2ErrorCode(parsing: "cancel") == .cancel)
        #expect(HTTP2ErrorCode(parsing: "0x7") == .refusedStream)
        #expect(HTTP2ErrorCode(parsing: "13")?.name == "HTTP_1_1_REQUIRED")
        #expect(HTTP2ErrorCode(parsing: "-1") == nil)
        #expect(HTTP2ErrorCode(parsing: "CANCELLED") == nil)
    }
}

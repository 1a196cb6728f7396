import Testing
@testable import HTTPCore

@Suite struct ParserLimitTests {
    typealias D = ParserDriver
    let small = ParserLimits(maxRequestLine: 64, maxHeaderBytes: 128, maxHeaderCount: 4, maxBodyBytes: 16)

    @Test(arguments: D.Feeding.allCases)
    func parser_rejectsLongRequestLineWith414(_ feeding: D.Feeding) {
        let text = "GET /" + String(repeating: "a", count: 100) + " HTTP/1.1\r\nHost: x\r\n\r\n"
        #expect(D.run(text, feeding, limits: small) == [.error(.requestLineTooLong)])
    }

    @Test func parser_rejectsLongRequestLineBeforeItsEnd() {
        // No CRLF ever arrives: the limit must trip on the bytes alone (a slow client cannot park memory).
        let text = "GET /" + String(repeating: "a", count: 100)
        #expect(D.run(text, .byteByByte, limits: small) == [.error(.requestLineTooLong)])
    }

    @Test(arguments: D.Feeding.allCases)
    func parser_rejectsLargeHeaderBlockWith431(_ feeding: D.Feeding) {
        let text = "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "b", count: 200) + "\r\n\r\n"
        #expect(D.run(text, feeding, limits: small) == [.error(.headersTooLarge)])
    }

    @Test func parser_rejectsEndlessHeaderWithoutNewline() {
        let text = "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "b", count: 200)
        #expect(D.run(text, .threeBytes, limits: small) == [.error(.headersTooLarge)])
    }

    @Test(arguments: D.Feeding.allCases)
    func parser_rejectsTooManyFieldsWith431(_ feeding: D.Feeding) {
        let text = "GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n"
        #expect(D.run(text, feeding, limits: small) == [.error(.tooManyHeaders)])
    }

    @Test(arguments: D.Feeding.allCases)
    func parser_rejectsLargeContentLengthWith413BeforeReadingIt(_ feeding: D.Feeding) {
        let text = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 17\r\n\r\n"
        #expect(D.run(text, feeding, limits: small) == [.error(.bodyTooLarge)])
    }

    @Test(arguments: D.Feeding.allCases)
    func parser_rejectsLargeChunkedBodyWith413(_ feeding: D.Feeding) {
        let text = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n9\r\n123456789\r\n0\r\n\r\n"
        #expect(D.run(text, feeding, limits: small) == [.error(.bodyTooLarge)])
    }

    @Test func parser_acceptsBodyExactlyAtLimit() {
        let text = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 16\r\n\r\n" + String(repeating: "z", count: 16)
        #expect(D.run(text, .whole, limits: small).count == 1)
        #expect(D.run(text, .whole, limits: small).first != .error(.bodyTooLarge))
    }
}

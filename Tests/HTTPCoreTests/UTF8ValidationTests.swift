import Testing
@testable import HTTPCore

/// Every class of ill-formed UTF-8 (Unicode table 3-7), alone, after good text, and inside a
/// JSON string, where the parser must reject it naming the line and column of the bad byte.
@Suite struct UTF8ValidationTests {
    /// (class, bytes): each is ill-formed on its own.
    static let illFormed: [(String, [UInt8])] = [
        ("stray continuation", [0x80]),
        ("stray continuation after a full sequence", [0xC3, 0xA9, 0xBF]),
        ("lone two-byte lead", [0xC3]),
        ("three-byte lead cut after one", [0xE2, 0x82]),
        ("four-byte lead cut after two", [0xF0, 0x9F, 0x98]),
        ("lead followed by ASCII", [0xC3, 0x41]),
        ("overlong two-byte C0", [0xC0, 0xAF]),
        ("overlong two-byte C1", [0xC1, 0xBF]),
        ("overlong three-byte", [0xE0, 0x80, 0xAF]),
        ("overlong four-byte", [0xF0, 0x80, 0x80, 0xAF]),
        ("high surrogate encoded", [0xED, 0xA0, 0x80]),
        ("low surrogate encoded", [0xED, 0xBF, 0xBF]),
        ("above U+10FFFF", [0xF4, 0x90, 0x80, 0x80]),
        ("lead F5", [0xF5, 0x80, 0x80, 0x80]),
        ("byte FE", [0xFE]),
        ("byte FF", [0xFF]),
    ]

    @Test(arguments: illFormed)
    func firstInvalid_findsEachClassAtItsFirstByte(_ name: String, _ bytes: [UInt8]) {
        let at = bytes == [0xC3, 0xA9, 0xBF] ? 2 : 0
        #expect(UTF8Validation.firstInvalid(in: bytes) == at, "\(name)")
        #expect(UTF8Validation.firstInvalid(in: Array("ok ".utf8) + bytes) == 3 + at, "\(name) after ASCII")
    }

    @Test func firstInvalid_acceptsEveryWellFormedBoundary() {
        let good: [[UInt8]] = [
            [], Array("plain ascii".utf8), [0x00], [0x7F],
            [0xC2, 0x80], [0xDF, 0xBF],                          // U+0080, U+07FF
            [0xE0, 0xA0, 0x80], [0xED, 0x9F, 0xBF],              // U+0800, U+D7FF
            [0xEE, 0x80, 0x80], [0xEF, 0xBF, 0xBF],              // U+E000, U+FFFF
            [0xF0, 0x90, 0x80, 0x80], [0xF4, 0x8F, 0xBF, 0xBF],  // U+10000, U+10FFFF
            Array("héllo 日本 😀".utf8),
        ]
        for g in good { #expect(UTF8Validation.firstInvalid(in: g) == nil, "\(g)") }
    }

    @Test(arguments: illFormed)
    func jsonParser_rejectsEachClassInsideAString(_ name: String, _ bytes: [UInt8]) {
        for (prefix, column) in [("{\"a\":\"x", 7), ("{\"a\":\"\\n", 8)] {  // fast path, and after an escape
            let input = Array(prefix.utf8) + bytes + Array("\"}".utf8)
            do {
                _ = try JSONParser.parse(input)
                Issue.record("\(name) was accepted")
            } catch {
                #expect(error.message.hasPrefix("invalid UTF-8 in string"), "\(name): \(error)")
                let at = bytes == [0xC3, 0xA9, 0xBF] ? 2 : 0
                #expect(error.line == 1 && error.column == column + 1 + at, "\(name): \(error)")
            }
        }
    }

    @Test func jsonParser_rejectsIllFormedKeysToo() {
        #expect(throws: JSONParser.Error.self) { try JSONParser.parse([0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D]) }
    }

    @Test func jsonParser_keepsWellFormedTextAndEscapedPairs() throws {
        let v = try JSONParser.parse(Array(#"["héllo 日本 😀", "\ud83d\ude00 é\n"]"#.utf8))
        #expect(v == .array([.string("héllo 日本 😀"), .string("😀 é\n")]))
    }
}

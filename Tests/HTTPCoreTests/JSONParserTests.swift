#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
import Testing
@testable import HTTPCore

@Suite struct JSONParserTests {
    @Test func parse_readsEveryValueKindKeepingKeyOrder() throws {
        let v = try JSONParser.parse(Array(#" {"b":1,"a":[true,false,null,-0.5,2e3,"x\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"],"o":{}} "#.utf8))
        guard case .object(let o) = v else { Issue.record("expected object"); return }
        #expect(o.keys == ["b", "a", "o"])
        #expect(v["b"] == .int(1))
        #expect(v["a"] == .array([.bool(true), .bool(false), .null, .double(-0.5), .double(2000), .string("x\"\\/\u{08}\u{0C}\n\r\té😀")]))
        #expect(v["o"] == .object(JSONObject()))
        #expect(v["missing"] == nil)
    }

    @Test func parse_keepsLargeIntegersExactAndFallsBackToDouble() throws {
        #expect(try JSONParser.parse(Array("9007199254740993".utf8)) == .int(9_007_199_254_740_993))
        #expect(try JSONParser.parse(Array("123456789012345678901234567890".utf8)) == .double(1.2345678901234568e29))
    }

    @Test(arguments: [
        ("{\"a\":1,}", "expected a string key"),
        ("[1,2,]", "unexpected character ']'"),
        ("{\"a\" 1}", "expected ':' after key"),
        ("01", "leading zeros are not allowed"),
        ("1.", "expected digits after '.'"),
        ("\"a\u{01}\"", "control character in string"),
        ("\"\\x\"", "invalid escape '\\x'"),
        ("\"\\ud800\"", "unpaired surrogate"),
        ("tru", "unexpected end of input"),
        ("{} {}", "unexpected data after the JSON value"),
        ("", "unexpected end of input"),
        ("\"open", "unterminated string"),
        ("// comment\n{}", "unexpected character '/'"),
    ])
    func parse_rejectsInvalidJSON(_ text: String, _ message: String) {
        #expect(throws: JSONParser.Error.self) { try JSONParser.parse(Array(text.utf8)) }
        do { _ = try JSONParser.parse(Array(text.utf8)) } catch { #expect(error.message == message, "\(text)") }
    }

    @Test func parse_reportsLineAndColumn() {
        do {
            _ = try JSONParser.parse(Array("{\n  \"a\": 1,\n  \"b\": ?\n}".utf8))
            Issue.record("expected an error")
        } catch {
            #expect(error.line == 3)
            #expect(error.column == 8)
        }
    }

    @Test func parse_boundsNestingDepth() {
        let deep = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        #expect(throws: JSONParser.Error.self) { try JSONParser.parse(Array(deep.utf8)) }
        let ok = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect((try? JSONParser.parse(Array(ok.utf8))) != nil)
    }

    /// The parser agrees with Foundation's decoder on the shipped catalog.
    @Test func parse_agreesWithJSONDecoderOnTheCatalog() throws {
        let repo = "/" + #filePath.split(separator: "/").dropLast(3).joined(separator: "/")
        var bytes: [UInt8] = []
        if let f = fopen(repo + "/Fixtures/catalog.json", "rb") {
            var buf = [UInt8](repeating: 0, count: 1 << 20)
            let n = fread(&buf, 1, buf.count, f)
            fclose(f)
            bytes = Array(buf[0..<n])
        }
        struct Model: Decodable { var id: String; var context_window: Int; var capabilities: [String] }
        struct Catalog: Decodable { var models: [Model] }
        let expected = try JSONDecoder().decode(Catalog.self, from: Data(bytes)).models
        guard case .array(let models)? = try JSONParser.parse(bytes)["models"] else { Issue.record("no models"); return }
        #expect(models.count == expected.count)
        for (m, e) in zip(models, expected) {
            #expect(m["id"] == .string(e.id))
            #expect(m["context_window"] == .int(e.context_window))
            #expect(m["capabilities"] == .array(e.capabilities.map { .string($0) }))
        }
    }
}

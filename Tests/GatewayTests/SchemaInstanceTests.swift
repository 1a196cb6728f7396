@testable import BytespikeMock
import HTTPCore
import Testing

/// The JSON Schema instance generator behind default tool arguments and structured outputs:
/// one test per supported keyword, plus the bounds that keep hostile schemas cheap.
@Suite struct SchemaInstanceTests {
    /// The compact JSON of the instance generated for `schema` (hint "Paris", seed 7).
    static func make(_ schema: String, hint: String = "Paris", seed: UInt64 = 7) throws -> String {
        let value = SchemaInstance.make(for: try JSONParser.parse(Array(schema.utf8)), hint: hint, seed: seed)
        return String(decoding: value.encoded, as: UTF8.self)
    }

    @Test func stringFields_takeTheHint_asBefore() throws {
        #expect(try Self.make(##"{"type":"object","properties":{"city":{"type":"string"},"n":{"type":"integer"},"ok":{"type":"boolean"}}}"##)
            == ##"{"city":"Paris","n":1,"ok":true}"##)
    }

    @Test func geminiUpperCaseTypes_areUnderstood() throws {
        #expect(try Self.make(##"{"type":"OBJECT","properties":{"city":{"type":"STRING"},"days":{"type":"INTEGER"},"t":{"type":"NUMBER"},"b":{"type":"BOOLEAN"},"tags":{"type":"ARRAY","items":{"type":"STRING"}}}}"##)
            == ##"{"city":"Paris","days":1,"t":1.5,"b":true,"tags":["Paris"]}"##)
    }

    @Test func refToDefs_buildsTheNestedModel_forAPydanticList() throws {
        let schema = ##"{"$defs":{"Person":{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}},"required":["name","age"]}},"type":"object","properties":{"people":{"type":"array","items":{"$ref":"#/$defs/Person"}}},"required":["people"]}"##
        #expect(try Self.make(schema) == ##"{"people":[{"name":"Paris","age":1}]}"##)
    }

    @Test func refToDefinitions_andToTheRoot_resolve() throws {
        #expect(try Self.make(##"{"definitions":{"A":{"type":"integer","minimum":5}},"$ref":"#/definitions/A"}"##) == "5")
        #expect(try Self.make(##"{"type":"array","items":{"$ref":"#/definitions/x~1y"},"definitions":{"x/y":{"const":3}}}"##) == "[3]")
    }

    @Test func recursiveRef_endsWithinTheDepthBound() throws {
        let tree = ##"{"$defs":{"Node":{"type":"object","properties":{"v":{"type":"integer"},"kids":{"type":"array","items":{"$ref":"#/$defs/Node"}},"next":{"anyOf":[{"$ref":"#/$defs/Node"},{"type":"null"}]}},"required":["v","next"]}},"$ref":"#/$defs/Node"}"##
        let out = try Self.make(tree)
        #expect(out.hasPrefix(##"{"v":1,"kids":[{"v":1,"##))
        #expect(out.utf8.count < 2_000)
        // Refs that only point at each other resolve to a bounded value, never a loop.
        #expect(try Self.make(##"{"$defs":{"a":{"$ref":"#/$defs/b"},"b":{"$ref":"#/$defs/a"}},"$ref":"#/$defs/a"}"##).utf8.count < 100)
    }

    @Test func anyOfAndOneOf_pickTheFirstNonNullBranch() throws {
        #expect(try Self.make(##"{"anyOf":[{"type":"null"},{"type":"integer","minimum":3}],"default":null}"##) == "3")
        #expect(try Self.make(##"{"oneOf":[false,{"not":{}},{"type":"string","format":"date"}]}"##) == ##""2026-01-15""##)
    }

    @Test func allOf_mergesPropertiesRequiredAndBounds() throws {
        let schema = ##"{"allOf":[{"type":"object","properties":{"a":{"type":"integer","minimum":2}},"required":["a"]},{"properties":{"a":{"maximum":4,"multipleOf":3},"b":{"type":"string","maxLength":3}},"required":["b"]}]}"##
        #expect(try Self.make(schema) == ##"{"a":3,"b":"Par"}"##)
    }

    @Test func enumAndConst_giveAListedValue() throws {
        #expect(try Self.make(##"{"type":"string","enum":["celsius","fahrenheit"]}"##) == ##""celsius""##)
        #expect(try Self.make(##"{"enum":[null,"x"]}"##) == ##""x""##)
        #expect(try Self.make(##"{"const":{"k":[1,2]}}"##) == ##"{"k":[1,2]}"##)
    }

    @Test func nullableAndTypeLists_buildTheNonNullType() throws {
        #expect(try Self.make(##"{"type":["null","integer"]}"##) == "1")
        #expect(try Self.make(##"{"type":"STRING","nullable":true}"##) == ##""Paris""##)
        #expect(try Self.make(##"{"type":"null"}"##) == "null")
    }

    @Test func arrays_honourPrefixItemsAndItemCounts() throws {
        #expect(try Self.make(##"{"type":"array","prefixItems":[{"type":"integer"},{"type":"boolean"}],"items":false}"##) == "[1,true]")
        #expect(try Self.make(##"{"type":"array","items":{"type":"integer"},"minItems":3,"uniqueItems":true}"##) == "[1,2,3]")
        #expect(try Self.make(##"{"type":"array","items":{"type":"string"},"maxItems":0}"##) == "[]")
        #expect(try Self.make(##"{"type":"array","uniqueItems":true,"minItems":2,"items":{"type":"object","properties":{"n":{"type":"string"}}}}"##)
            == ##"[{"n":"Paris"},{"n":"Paris2"}]"##)
        #expect(try Self.make(##"{"type":"array","items":{"type":"integer"},"minItems":1000000}"##).split(separator: ",").count == SchemaInstance.maxItems)
    }

    @Test func requiredAndAdditionalProperties_areFilled() throws {
        #expect(try Self.make(##"{"type":"object","required":["id"],"additionalProperties":{"type":"integer"}}"##) == ##"{"id":1}"##)
        #expect(try Self.make(##"{"type":"object","additionalProperties":{"type":"number"}}"##) == ##"{"key":1.5}"##)
        #expect(try Self.make(##"{"type":"object","minProperties":2,"additionalProperties":{"type":"boolean"}}"##) == ##"{"key":true,"key2":true}"##)
    }

    @Test func formats_giveValidValues() throws {
        #expect(try Self.make(##"{"type":"string","format":"date"}"##) == ##""2026-01-15""##)
        #expect(try Self.make(##"{"type":"string","format":"date-time"}"##) == ##""2026-01-15T09:30:00Z""##)
        #expect(try Self.make(##"{"type":"string","format":"email"}"##) == ##""paris@example.com""##)
        #expect(try Self.make(##"{"type":"string","format":"uri"}"##) == ##""https://example.com/paris""##)
        let uuid = try Self.make(##"{"type":"string","format":"uuid"}"##)
        #expect(uuid.count == 38 && Array(uuid)[15] == "4")
        #expect(uuid == (try Self.make(##"{"type":"string","format":"uuid"}"##)))
        #expect(uuid != (try Self.make(##"{"type":"string","format":"uuid"}"##, seed: 8)))
    }

    @Test func simplePatterns_areMatched_otherwiseTheHintStays() throws {
        #expect(try Self.make(##"{"type":"string","pattern":"^[A-Z]{3}-\\d{4}$"}"##) == ##""AAA-0000""##)
        #expect(try Self.make(##"{"type":"string","pattern":"^Par"}"##) == ##""Paris""##)
        #expect(try Self.make(##"{"type":"string","pattern":"^(a|b)+$"}"##) == ##""Paris""##)
    }

    @Test func numbers_stayWithinBoundsAndMultiples() throws {
        #expect(try Self.make(##"{"type":"integer","minimum":10,"maximum":20}"##) == "10")
        #expect(try Self.make(##"{"type":"integer","exclusiveMinimum":1}"##) == "2")
        #expect(try Self.make(##"{"type":"number","exclusiveMinimum":0,"exclusiveMaximum":1}"##) == "0.5")
        #expect(try Self.make(##"{"type":"integer","multipleOf":5}"##) == "5")
        // Far beyond Int: still a number in range, never a trap converting it.
        let huge = try JSONParser.parse(Array(try Self.make(##"{"type":"integer","minimum":1e300}"##).utf8))
        #expect((huge.number ?? 0) >= 1e300)
    }

    @Test func stringLengths_areFitted() throws {
        #expect(try Self.make(##"{"type":"string","minLength":8}"##) == ##""Parisxxx""##)
        #expect(try Self.make(##"{"type":"string","maxLength":2}"##) == ##""Pa""##)
    }

    @Test func deepOrHugeSchemas_areBounded() throws {
        var deep = ##"{"type":"string"}"##
        for _ in 0..<50 { deep = ##"{"type":"object","properties":{"a":"## + deep + "},\"required\":[\"a\"]}" }
        #expect(try Self.make(deep).utf8.count < 1_000)
        // allOf of refs that each double: the step budget stops the blow-up.
        var defs = ##""d0":{"type":"integer"}"##
        for i in 1..<40 { defs += ##","d\##(i)":{"allOf":[{"$ref":"#/$defs/d\##(i - 1)"},{"$ref":"#/$defs/d\##(i - 1)"}]}"## }
        #expect(try Self.make(##"{"$defs":{"## + defs + ##"},"$ref":"#/$defs/d39"}"##).utf8.count < 100)
        // A schema node with many members is charged for them: visiting it again and again stays cheap.
        let junk = (0..<20_000).map { "\"k\($0)\":1" }.joined(separator: ",")
        let heavy = "{\"$defs\":{\"big\":{\(junk),\"type\":\"integer\"}},\"type\":\"array\",\"minItems\":64,\"items\":{\"type\":\"array\",\"minItems\":64,\"items\":{\"$ref\":\"#/$defs/big\"}}}"
        let clock = ContinuousClock()
        let took = try clock.measure { _ = try Self.make(heavy) }
        #expect(took < .seconds(2))
        let wide = "{\"type\":\"array\",\"minItems\":64,\"items\":{\"type\":\"array\",\"minItems\":64,\"items\":{\"type\":\"array\",\"minItems\":64}}}"
        #expect(try Self.make(wide).utf8.count < 64 * SchemaInstance.maxNodes)
    }

    /// A random schema of the supported keywords (refs into `$defs` d0…d3, which may recurse).
    static func randomSchema(_ rng: inout SplitMix, depth: Int) -> String {
        if depth > 5 { return ##"{"type":"integer"}"## }
        let sub = { (rng: inout SplitMix) in randomSchema(&rng, depth: depth + 1) }
        switch rng.next() % 10 {
        case 0: return ##"{"$ref":"#/$defs/d\##(rng.next() % 4)"}"##
        case 1: return ##"{"type":"OBJECT","properties":{"a":\##(sub(&rng)),"b":\##(sub(&rng))},"required":["a","c"]}"##
        case 2: return ##"{"type":"array","items":\##(sub(&rng)),"minItems":\##(rng.next() % 70),"uniqueItems":true}"##
        case 3: return ##"{"anyOf":[{"type":"null"},\##(sub(&rng))]}"##
        case 4: return ##"{"allOf":[\##(sub(&rng)),\##(sub(&rng))]}"##
        case 5: return ##"{"type":"string","minLength":\##(rng.next() % 5000),"pattern":"^[a-z]{\##(rng.next() % 9)}$"}"##
        case 6: return ##"{"type":"number","exclusiveMinimum":\##(rng.next() % 100),"multipleOf":0.\##(1 + rng.next() % 9)}"##
        case 7: return ##"{"prefixItems":[\##(sub(&rng))],"items":false}"##
        case 8: return ##"{"type":["null","STRING"],"format":"uuid"}"##
        default: return ##"{"oneOf":[\##(sub(&rng)),{"enum":[1,"x",null]}]}"##
        }
    }

    @Test func randomSchemas_alwaysGiveABoundedValue() throws {
        var rng = SplitMix(state: 0x5EED)
        for _ in 0..<300 {
            let defs = (0..<4).map { "\"d\($0)\":\(Self.randomSchema(&rng, depth: 2))" }.joined(separator: ",")
            let schema = "{\"$defs\":{\(defs)},\"allOf\":[\(Self.randomSchema(&rng, depth: 0))]}"
            let out = try Self.make(schema)
            #expect(out.utf8.count < SchemaInstance.maxChars + 64 * SchemaInstance.maxNodes, "\(schema)")
            #expect(out == (try Self.make(schema)))
        }
    }

    /// A small deterministic generator for the random schemas (SplitMix64).
    struct SplitMix {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }
}

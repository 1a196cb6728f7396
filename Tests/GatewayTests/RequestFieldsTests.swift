import Glibc
import HTTPCore
import Testing
import TestSupport
@testable import BytespikeMock

/// The known-field tables: the unknown-field check and its wording per provider, and the copy of
/// the tables in `docs/request-fields.md`.
/// `RECORD_GOLDEN=1 swift test --filter RequestFieldsTests` rewrites the page's tables (and fails the run).
@Suite struct RequestFieldsTests {
    static let page = FixtureLoaderTests.repo + "/docs/request-fields.md"

    private func body(_ json: String) throws -> JSONObject {
        guard case .object(let o) = try JSONParser.parse(Array(json.utf8)) else { throw GatewayError.badRequest("not an object") }
        return o
    }

    private func error(_ table: RequestFields, _ json: String) throws -> GatewayError? {
        let object = try body(json)
        do throws(GatewayError) {
            try table.check(object)
            return nil
        } catch {
            return error
        }
    }

    @Test func docsPage_holdsTheTablesTheCheckUses() {
        let lines = readText(Self.page).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let wanted = ["", RequestFields.markdown]
        let record = getenv("RECORD_GOLDEN") != nil
        guard let begin = lines.firstIndex(of: RequestFields.beginMarker),
              let end = lines.firstIndex(of: RequestFields.endMarker), begin < end else {
            if record {
                writeText(Self.page, (lines + [RequestFields.beginMarker] + wanted + [RequestFields.endMarker, ""]).joined(separator: "\n"))
                Issue.record("recorded \(Self.page); rerun without RECORD_GOLDEN")
            } else {
                Issue.record("\(Self.page) has no generated tables: record them with RECORD_GOLDEN=1")
            }
            return
        }
        let current = lines[(begin + 1)..<end].joined(separator: "\n")
        if record {
            writeText(Self.page, (lines[...begin] + wanted + lines[end...]).joined(separator: "\n"))
            Issue.record("recorded \(Self.page); rerun without RECORD_GOLDEN")
            return
        }
        #expect(current == wanted.joined(separator: "\n"), "\(Self.page) is stale: record it with RECORD_GOLDEN=1")
    }

    @Test func everyTable_namesEachFieldOncePerObject() {
        for table in RequestFields.all {
            for object in table.objects {
                let names = object.fields.map(\.name)
                #expect(Set(names).count == names.count, "\(table.title) \(object.path)")
            }
        }
    }

    @Test func anthropic_unknownTopLevelField_isExtraInputsNotPermitted() throws {
        let e = try error(.messages, #"{"model":"m","max_tokens":1,"messages":[],"bogus_field":1}"#)
        #expect(e?.message == "bogus_field: Extra inputs are not permitted")
        #expect(e?.status == .badRequest)
        #expect(e?.kind == .invalidRequest)
    }

    @Test func anthropic_nestedUnknownField_isNamedByItsDottedPath() throws {
        let e = try error(.messages, #"{"messages":[{"role":"user","content":"x"},{"role":"user","content":"y","extra":1}]}"#)
        #expect(e?.message == "messages.1.extra: Extra inputs are not permitted")
        let m = try error(.messages, #"{"metadata":{"user_id":"u","tier":"x"}}"#)
        #expect(m?.message == "metadata.tier: Extra inputs are not permitted")
    }

    @Test func anthropicCountTokens_rejectsGenerationOnlyFields() throws {
        #expect(try error(.countTokens, #"{"model":"m","messages":[],"max_tokens":5}"#)?.message
                == "max_tokens: Extra inputs are not permitted")
        #expect(try error(.countTokens, #"{"model":"m","messages":[],"system":"s","thinking":{"type":"adaptive"}}"#) == nil)
    }

    @Test func chat_unknownArguments_areListedTogether() throws {
        let one = try error(.chat, #"{"model":"m","messages":[],"bogus_field":1}"#)
        #expect(one?.message == "Unrecognized request argument supplied: bogus_field")
        #expect(one?.param == nil)
        #expect(one?.code == nil)
        let two = try error(.chat, #"{"top_k":1,"model":"m","bogus_field":1}"#)
        #expect(two?.message == "Unrecognized request arguments supplied: top_k, bogus_field")
        let nested = try error(.chat, #"{"stream_options":{"include_usage":true,"x":1}}"#)
        #expect(nested?.message == "Unknown parameter: 'stream_options.x'.")
        #expect(nested?.code == "unknown_parameter")
    }

    @Test func responses_unknownParameter_namesItsPath() throws {
        let e = try error(.responses, #"{"model":"m","input":"x","reasoning":{"effort":"low","budget":3}}"#)
        #expect(e?.message == "Unknown parameter: 'reasoning.budget'.")
        #expect(e?.param == "reasoning.budget")
        #expect(e?.code == "unknown_parameter")
    }

    @Test func gemini_unknownName_isFoundInEitherSpellingAndNamedInSnakeCase() throws {
        let top = try error(.gemini, #"{"contents":[],"bogus_field":1}"#)
        #expect(top?.message == #"Invalid JSON payload received. Unknown name "bogus_field": Cannot find field."#)
        // The SDK's mixed spellings are all known.
        #expect(try error(.gemini, #"{"contents":[{"role":"user","parts":[{"text":"x","thought_signature":"c2ln"}]}],"generation_config":{"max_output_tokens":5,"thinkingConfig":{"thinking_budget":0}},"system_instruction":{"parts":[{"text":"s"}]}}"#) == nil)
        let nested = try error(.gemini, #"{"contents":[],"generation_config":{"thinking_config":{"budget":1}}}"#)
        #expect(nested?.message == #"Invalid JSON payload received. Unknown name "budget" at 'generation_config.thinking_config': Cannot find field."#)
        let part = try error(.gemini, #"{"contents":[{"parts":[{"text":"a"}]},{"parts":[{"text":"b","colour":1}]}]}"#)
        #expect(part?.message == #"Invalid JSON payload received. Unknown name "colour" at 'contents[1].parts[0]': Cannot find field."#)
    }

    /// The first element of an array value.
    private func first(_ v: JSONValue?) -> JSONValue? {
        guard case .array(let items)? = v else { return nil }
        return items.first
    }

    @Test func gemini_envelope_repeatsTheUnknownNameAsABadRequestFieldViolation() throws {
        let e = try #require(try error(.gemini, #"{"contents":[],"generationConfig":{"x":1}}"#))
        let body = try JSONParser.parse(Surface.gemini.errorBody(e, requestID: "req_1"))
        let detail = first(body["error"]?["details"])
        #expect(detail?["@type"] == .string("type.googleapis.com/google.rpc.BadRequest"))
        let violation = first(detail?["fieldViolations"])
        #expect(violation?["field"] == .string("generation_config"))
        #expect(violation?["description"] == .string(e.message))
        let top = try #require(try error(.gemini, #"{"contents":[],"y":1}"#))
        let topBody = try JSONParser.parse(Surface.gemini.errorBody(top, requestID: "req_2"))
        let topViolation = first(first(topBody["error"]?["details"])?["fieldViolations"])
        #expect(topViolation?["description"] == .string(top.message))
        #expect(topViolation?["field"] == nil, "no field at the top level")
    }

    @Test func geminiCountTokens_checksTheWrappedRequestAsGenerateContent() throws {
        #expect(try error(.geminiCountTokens, #"{"generateContentRequest":{"model":"models/g","contents":[],"generationConfig":{}}}"#) == nil)
        let e = try error(.geminiCountTokens, #"{"generateContentRequest":{"contents":[],"oops":1}}"#)
        #expect(e?.message == #"Invalid JSON payload received. Unknown name "oops" at 'generate_content_request': Cannot find field."#)
    }

    @Test func checkedObjects_ofTheWrongType_areLeftToTheDecoder() throws {
        #expect(try error(.chat, #"{"stream_options":"yes"}"#) == nil)
        #expect(try error(.gemini, #"{"contents":{"parts":[]}}"#) == nil)
    }

    @Test func policyHeader_acceptsRejectOrIgnore_andRefusesAnythingElse() {
        #expect(RequestFields.policy(header: nil, fallback: .ignore) == .success(.ignore))
        #expect(RequestFields.policy(header: " Ignore ", fallback: .reject) == .success(.ignore))
        #expect(RequestFields.policy(header: "reject", fallback: .ignore) == .success(.reject))
        guard case .failure(let e) = RequestFields.policy(header: "off", fallback: .reject) else {
            Issue.record("'off' was accepted"); return
        }
        #expect(e.param == "X-Mock-Unknown-Fields")
    }
}

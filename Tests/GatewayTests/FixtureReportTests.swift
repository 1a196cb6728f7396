import Testing
import TestSupport
@testable import BytespikeMock

/// One load reports every fixture problem, each with its file and field, and says what is valid.
@Suite struct FixtureReportTests {
    /// The problems of loading a directory holding `files` (empty when it loads).
    func problems(_ files: [String: String]) -> [FixtureError] {
        let dir = makeTempDirectory()
        for (name, text) in files { writeText(dir + "/" + name, text) }
        do {
            _ = try FixtureLoader.load(directory: dir)
            return []
        } catch { return error.problems }
    }

    func has(_ list: [FixtureError], _ file: String, _ field: String, _ text: String) -> Bool {
        list.contains { $0.file.hasSuffix("/" + file) && $0.field == field && $0.problem.contains(text) }
    }

    @Test func load_reportsSeveralProblemsInSeveralFilesTogether() {
        let list = problems([
            "catalog.json": #"""
            {"models": [
              {"id": "m1", "kind": "txt", "capabilites": ["text"], "context_window": -1, "max_output_tokens": 1,
               "input_modalities": ["text"], "output_modalities": ["text"], "created": 1},
              {"id": "m2", "owned_by": "acme", "family": "acme", "kind": "text", "capabilities": ["text", "vison"],
               "context_window": 1, "max_output_tokens": 1, "input_modalities": ["text"], "output_modalities": ["text"], "created": 1}]}
            """#,
            "keys.json": #"""
            {"keys": [{"id": "k1", "name": "k", "secret": "sk-byts-a-fresh-key", "group": "defualt", "account": "acct_ada",
                       "expires_at": "tomorrow", "ip_whitelist": ["10.0.0.0/33"]}]}
            """#,
            "media.json": #"{"images": [{"model": "gpt-image-2", "n_max": 11, "sizes": ["1x1"], "default_size": "1x1"}]}"#,
            "replies.json": #"{"replies": [{"match": {"surface": "chatt"}, "reply": {"text": "x"}}, {"reply": {"text": "y"}, "times": 0}]}"#,
        ])
        // Required fields come all at once, not one per run.
        #expect(has(list, "catalog.json", "models[0].owned_by", "required field is missing"))
        #expect(has(list, "catalog.json", "models[0].family", "required field is missing"))
        #expect(has(list, "catalog.json", "models[0].capabilities", "required field is missing"))
        #expect(has(list, "catalog.json", "models[0].capabilites", "unknown field (did you mean 'capabilities'?)"))
        #expect(has(list, "catalog.json", "models[0].kind", "unknown model kind 'txt' (did you mean 'text'?). Valid values: text, image, video"))
        #expect(has(list, "catalog.json", "models[0].context_window", "must be an integer of at least 0, found -1"))
        #expect(has(list, "catalog.json", "models[1].capabilities[1]", "unknown capability tag 'vison' (did you mean 'vision'?)"))
        #expect(has(list, "keys.json", "keys[0].group", "no routing group named 'defualt' (did you mean 'default'?)"))
        #expect(has(list, "keys.json", "keys[0].expires_at", "RFC 3339"))
        #expect(has(list, "keys.json", "keys[0].ip_whitelist[0]", "not an IP address or CIDR"))
        #expect(has(list, "media.json", "images[0].n_max", "from 1 to 10, found 11"))
        #expect(has(list, "replies.json", "replies[0].match.surface", "unknown surface 'chatt' (did you mean 'chat'?). Valid values: messages, chat, responses, gemini"))
        #expect(has(list, "replies.json", "replies[1].times", "must be an integer of at least 1, found 0"))
        #expect(list.count == 13, "\(list.map(\.description).joined(separator: "\n"))")
    }

    @Test func report_listsValidValuesAndKnownFields() throws {
        let list = problems(["catalog.json": #"{"models": [{"id": "m", "owned_by": "a", "family": "a", "kind": "text", "capabilities": ["text", "telepathy"], "context_window": 1, "max_output_tokens": 1, "input_modalities": ["text"], "output_modalities": ["text"], "created": 1, "colour": "red"}]}"#])
        let tag = try #require(list.first { $0.field == "models[0].capabilities[1]" })
        for known in CatalogModel.knownCapabilities { #expect(tag.problem.contains(known)) }
        let field = try #require(list.first { $0.field == "models[0].colour" })
        #expect(field.problem.contains("Known fields of model: id, object, owned_by"), "\(field.problem)")
        let report = FixtureReport(list)
        #expect(report.description.hasPrefix("2 fixture problems:\n  fixture "), "\(report)")
    }

    @Test func misnamedFile_isAnErrorNamingTheRightOne() {
        let list = problems(["key.json": "{}"])
        #expect(list.count == 1)
        #expect(has(list, "key.json", "(file)", "not a fixture file name (did you mean 'keys.json'?). Fixture files: catalog.json, keys.json"))
    }

    @Test func directoryWithoutFixtureFiles_isAnError() {
        let list = problems([:])
        #expect(list.count == 1)
        #expect(list.first?.field == "(directory)")
        #expect(list.first?.problem.contains("holds no fixture file") == true)
    }

    @Test func hiddenFilesAndEditorBackups_areIgnored() {
        #expect(problems(["keys.json": "{}", ".keys.json.swp": "x", "keys.json~": "x"]).isEmpty)
    }

    @Test func schemaLink_isAcceptedInEveryFile() {
        var files: [String: String] = [:]
        for name in FixtureLoader.fileNames { files[name] = #"{"$schema": "../Fixtures/schema/x.schema.json"}"# }
        #expect(problems(files).isEmpty)
    }

    @Test func brokenEntry_isNotReportedAgainThroughReferences() {
        // The group is broken (no models); the key naming it gets no second "no routing group".
        let list = problems(["keys.json": #"{"groups": [{"id": 77, "name": "mine", "models": []}], "keys": [{"id": "k", "name": "k", "secret": "sk-byts-another-one", "group": "mine", "account": "acct_ada"}]}"#])
        #expect(list.count == 1, "\(list)")
        #expect(has(list, "keys.json", "groups[0].models", "needs at least one model pattern"))
    }

    @Test func faultsFile_reportsEveryBadRule() {
        let list = problems(["faults.json": #"{"faults": ["nonsense-fault", "429 first=2", "503 every=zero"]}"#])
        #expect(list.map(\.field) == ["faults[0]", "faults[2]"], "\(list)")
    }

    @Test func unparsableFile_isOneProblemAndTheOthersAreStillChecked() {
        let list = problems(["catalog.json": "{\"models\": [1,]}", "keys.json": #"{"keys": [{"id": "k"}]}"#])
        #expect(has(list, "catalog.json", "(top level)", "not valid JSON"))
        #expect(has(list, "keys.json", "keys[0].secret", "required field is missing"))
        #expect(has(list, "keys.json", "keys[0].account", "required field is missing"))
    }
}

extension FixtureReportTests {
    @Test func runawayFile_isReportedBounded_withLongValuesCutShort() {
        // 3,000 broken models and one 100 KB misspelt value: a bounded list, the value cut short.
        let long = #"{"id":"m","kind":"\#(String(repeating: "x", count: 100_000))"}"#
        let broken = Array(repeating: #"{"id":"m"}"#, count: 3000)
        let list = problems(["catalog.json": #"{"models":[\#(([long] + broken).joined(separator: ","))]}"#])
        #expect(list.count == FixtureProblems.limit)
        #expect(list.allSatisfy { $0.problem.utf8.count < 1000 })
        #expect(list.contains { $0.field == "models[0].kind" && $0.problem.contains("xxx…'") })
    }
}

import Testing
import TestSupport
@testable import Gateway

@Suite struct FixtureLoaderTests {
    static let repo = String(#filePath.split(separator: "/").dropLast(3).joined(separator: "/")).prefixedSlash

    @Test func embeddedFixtures_matchTheFixturesDirectory() {
        #expect(EmbeddedFixtures.catalog == readText(Self.repo + "/Fixtures/catalog.json").droppingTrailingNewline,
                "run scripts/embed-fixtures")
        #expect(EmbeddedFixtures.keys == readText(Self.repo + "/Fixtures/keys.json").droppingTrailingNewline,
                "run scripts/embed-fixtures")
    }

    @Test func builtIns_loadWithEveryDocumentedFamilyAndKeyKind() throws {
        let f = try FixtureLoader.load()
        #expect(f.models.count >= 40)
        #expect(Set(f.models.map(\.family)).isSuperset(of: ["claude", "gpt", "gemini", "deepseek", "kimi", "glm", "minimax", "doubao"]))
        #expect(Set(f.models.map(\.kind)) == [.text, .image, .video])
        #expect(Set(f.groups.map(\.name)).isSuperset(of: ["default", "claude-default", "gemini-default"]))
        #expect(f.keys.contains { $0.revoked })
        #expect(f.keys.contains { $0.expiresAt != nil })
        #expect(f.keys.contains { $0.admin })
        let paused = f.accounts.filter { $0.status == .paused }.map(\.id)
        #expect(f.keys.contains { paused.contains($0.account) })
        #expect(f.keys.contains { $0.quota.micros > 0 && $0.quota.micros < 100_000 })
        let sonnet = try #require(f.models.first { $0.id == "claude-sonnet-4-6" })
        #expect(sonnet.pricing.inputPerMTok == Credits(micros: 3_000_000))
        #expect(sonnet.pricing.cacheWritePerMTok == Credits(micros: 3_750_000))
        #expect(!f.retired.isEmpty)
    }

    private func load(_ files: [String: String]) -> Result<FixtureSet, FixtureError> {
        let dir = makeTempDirectory()
        for (name, text) in files { writeText(dir + "/" + name, text) }
        do { return .success(try FixtureLoader.load(directory: dir)) } catch { return .failure(error) }
    }

    private func error(_ files: [String: String]) -> FixtureError? {
        if case .failure(let e) = load(files) { return e }
        return nil
    }

    static let model = #"{"id":"my-model","owned_by":"acme","family":"acme","kind":"text","capabilities":["text","streaming"],"context_window":1000,"max_output_tokens":100,"input_modalities":["text"],"output_modalities":["text"],"created":1700000000,"pricing":{"input":1.5,"output":2}}"#

    @Test func overrideDirectory_extendsByID() throws {
        let f = try load(["catalog.json": #"{"models":[\#(Self.model)]}"#]).get()
        let builtIn = try FixtureLoader.load()
        #expect(f.models.count == builtIn.models.count + 1)
        #expect(f.models.last?.id == "my-model")
        #expect(f.models.last?.pricing.inputPerMTok == Credits(micros: 1_500_000))
        #expect(f.keys.count == builtIn.keys.count)
    }

    @Test func overrideDirectory_replacesWhenAsked() throws {
        let f = try load([
            "catalog.json": #"{"mode":"replace","models":[\#(Self.model)],"retired":[{"id":"old-model","replacement":"my-model"}]}"#,
            "keys.json": #"{"mode":"replace","groups":[{"id":9,"name":"only","models":["my-*"]}],"accounts":[{"id":"a","kind":"personal","name":"A","balance":1}],"keys":[{"id":"k","name":"k","secret":"sk-byts-only-key","group":"only","account":"a"}]}"#,
        ]).get()
        #expect(f.models.map(\.id) == ["my-model"])
        #expect(f.retired.map(\.id) == ["old-model"])
        #expect(f.keys.map(\.secret) == ["sk-byts-only-key"])
    }

    @Test(arguments: [
        (#"{"models":[{"id":"x","owned_by":"a","family":"a","kind":"text","capabilities":["text"],"context_window":1,"max_output_tokens":1,"input_modalities":["text"],"output_modalities":["text"],"created":1,"capabilites":[]}]}"#,
         "models[0].capabilites", "unknown field"),
        (#"{"models":[{"id":"x","owned_by":"a","family":"a","kind":"text","capabilities":["text","telepathy"],"context_window":1,"max_output_tokens":1,"input_modalities":["text"],"output_modalities":["text"],"created":1}]}"#,
         "models[0].capabilities[1]", "unknown capability tag 'telepathy'"),
        (#"{"models":[{"id":"x","owned_by":"a","family":"a","kind":"text","capabilities":["text"],"context_window":"big","max_output_tokens":1,"input_modalities":["text"],"output_modalities":["text"],"created":1}]}"#,
         "models[0].context_window", "expected an integer"),
        (#"{"models":[{"id":"x","owned_by":"a","family":"a","kind":"text","capabilities":["text"],"context_window":1,"input_modalities":["text"],"output_modalities":["text"],"created":1}]}"#,
         "models[0].max_output_tokens", "required field is missing"),
        (#"{"models":[{"id":"x","owned_by":"a","family":"a","kind":"text","capabilities":["text"],"context_window":1,"max_output_tokens":1,"input_modalities":["text"],"output_modalities":["text"],"created":1,"pricing":{"input":0.0000001}}]}"#,
         "models[0].pricing.input", "at most 6 decimals"),
        (#"{"retired":[{"id":"gone","replacement":"nope"}]}"#, "retired[0].replacement", "'nope' is not a model"),
        (#"{"models": [}"#, "(top level)", "not valid JSON"),
    ])
    func malformedCatalog_namesFileAndField(_ text: String, _ field: String, _ problem: String) throws {
        let e = try #require(error(["catalog.json": text]))
        #expect(e.file.hasSuffix("/catalog.json"))
        #expect(e.field == field)
        #expect(e.problem.contains(problem), "\(e)")
    }

    @Test(arguments: [
        (#"{"keys":[{"id":"k","name":"k","secret":"sk-byts-zzzzzzzz","group":"nope","account":"acct_ada"}]}"#, "keys[0].group", "no routing group named 'nope'"),
        (#"{"keys":[{"id":"k","name":"k","secret":"sk-byts-zzzzzzzz","group":"default","account":"acct_ada","ip_whitelist":["10.0.0.0/33"]}]}"#, "keys[0].ip_whitelist[0]", "not an IP address or CIDR"),
        (#"{"keys":[{"id":"k","name":"k","secret":"sk-byts-zzzzzzzz","group":"default","account":"acct_ada","expires_at":"tomorrow"}]}"#, "keys[0].expires_at", "RFC 3339"),
        (#"{"keys":[{"id":"k","name":"k","secret":"sk-byts-default-test-key-0001","group":"default","account":"acct_ada"}]}"#, "keys[0].secret", "used by another key"),
        (#"{"accounts":[{"id":"z","kind":"alien","name":"Z","balance":1}]}"#, "accounts[0].kind", "personal or org"),
    ])
    func malformedKeys_namesFileAndField(_ text: String, _ field: String, _ problem: String) throws {
        let e = try #require(error(["keys.json": text]))
        #expect(e.file.hasSuffix("/keys.json"))
        #expect(e.field == field)
        #expect(e.problem.contains(problem), "\(e)")
    }

    @Test func missingDirectory_isAnError() {
        #expect(throws: FixtureError.self) { try FixtureLoader.load(directory: "/nonexistent/bytespike") }
    }
}

extension String {
    var prefixedSlash: String { hasPrefix("/") ? self : "/" + self }
    var droppingTrailingNewline: String { hasSuffix("\n") ? String(dropLast()) : self }
}

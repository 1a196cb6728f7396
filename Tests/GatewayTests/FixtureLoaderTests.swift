import Testing
import TestSupport
@testable import BytespikeMock

@Suite struct FixtureLoaderTests {
    static let repo = String(#filePath.split(separator: "/").dropLast(3).joined(separator: "/")).prefixedSlash

    @Test func embeddedFixtures_matchTheFixturesDirectory() {
        #expect(EmbeddedFixtures.catalog == readText(Self.repo + "/Fixtures/catalog.json").droppingTrailingNewline,
                "run scripts/embed-fixtures")
        #expect(EmbeddedFixtures.keys == readText(Self.repo + "/Fixtures/keys.json").droppingTrailingNewline,
                "run scripts/embed-fixtures")
        #expect(EmbeddedFixtures.replies == readText(Self.repo + "/Fixtures/replies.json").droppingTrailingNewline,
                "run scripts/embed-fixtures")
        #expect(EmbeddedFixtures.media == readText(Self.repo + "/Fixtures/media.json").droppingTrailingNewline,
                "run scripts/embed-fixtures")
    }

    @Test func media_everyImageAndVideoModelHasSettings() throws {
        let f = try FixtureLoader.load()
        #expect(Set(f.media.images.keys) == Set(f.models.filter { $0.kind == .image }.map(\.id)))
        #expect(Set(f.media.videos.keys) == Set(f.models.filter { $0.kind == .video }.map(\.id)))
        #expect(f.media.videos["sora-2-pro"]?.options["style_preset"] == ["cinematic", "anime", "documentary", "none"])
        #expect(f.media.videos["veo-3.1-fast"]?.resolutions == ["720p"])
        #expect(f.media.images["nano-banana"]?.maxImages == 2)
        #expect(f.media.fileTTLSeconds == 86_400)
        #expect(f.media.blockedTerm(in: "A BYTESPIKE-BLOCKED-TERM here") == "bytespike-blocked-term")
    }

    @Test func media_overrideExtendsByModelAndChecksTheCatalog() throws {
        let f = try load(["media.json": #"{"files":{"ttl_seconds":60},"videos":[{"model":"sora-2","max_seconds":3,"resolutions":["720p"],"default_resolution":"720p","queue_seconds":0,"render_seconds":1,"cancel_billing":"full"}]}"#]).get()
        #expect(f.media.fileTTLSeconds == 60)
        #expect(f.media.videos["sora-2"]?.maxSeconds == 3)
        #expect(f.media.videos["sora-2"]?.cancelBilling == .full)
        #expect(f.media.videos["veo-3.1"] != nil)
        let bad: [(String, String, String)] = [
            (#"{"images":[{"model":"gpt-5-4","n_max":1,"sizes":["1x1"],"default_size":"1x1"}]}"#, "images[0].model", "is a text model"),
            (#"{"images":[{"model":"nope","n_max":1,"sizes":["1x1"],"default_size":"1x1"}]}"#, "images[0].model", "no image model in the catalog named 'nope'"),
            (#"{"images":[{"model":"gpt-image-2","n_max":1,"sizes":["1x1"],"default_size":"2x2"}]}"#, "images[0].default_size", "not one of sizes"),
            (#"{"images":[{"model":"gpt-image-2","n_max":1,"sizes":["0x1"],"default_size":"0x1"}]}"#, "images[0].sizes[0]", "WIDTHxHEIGHT"),
            (#"{"videos":[{"model":"sora-2","max_seconds":61,"resolutions":["720p"],"default_resolution":"720p","queue_seconds":1,"render_seconds":1}]}"#, "videos[0].max_seconds", "from 1 to 60"),
            (#"{"videos":[{"model":"sora-2","max_seconds":5,"resolutions":["4k"],"default_resolution":"4k","queue_seconds":1,"render_seconds":1}]}"#, "videos[0].resolutions[0]", "720p"),
            (#"{"videos":[{"model":"sora-2","max_seconds":5,"resolutions":["720p"],"default_resolution":"720p","queue_seconds":1,"render_seconds":1,"cancel_billing":"half"}]}"#, "videos[0].cancel_billing", "Valid values: free, partial, full"),
            (#"{"file":{}}"#, "file", "unknown field"),
        ]
        for (json, field, problem) in bad {
            let e = try #require(error(["media.json": json]))
            #expect(e.field == field, "\(json)")
            #expect(e.problem.contains(problem), "\(e.problem)")
        }
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

    private func load(_ files: [String: String]) -> Result<FixtureSet, FixtureReport> {
        let dir = makeTempDirectory()
        for (name, text) in files { writeText(dir + "/" + name, text) }
        do { return .success(try FixtureLoader.load(directory: dir)) } catch { return .failure(error) }
    }

    private func error(_ files: [String: String]) -> FixtureError? {
        if case .failure(let e) = load(files) { return e.problems.first }
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
        // Built-in media settings of models the replaced catalog dropped are left out.
        #expect(f.media.images.isEmpty && f.media.videos.isEmpty)
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
        (#"{"accounts":[{"id":"z","kind":"alien","name":"Z","balance":1}]}"#, "accounts[0].kind", "unknown account kind 'alien'. Valid values: personal, org"),
    ])
    func malformedKeys_namesFileAndField(_ text: String, _ field: String, _ problem: String) throws {
        let e = try #require(error(["keys.json": text]))
        #expect(e.file.hasSuffix("/keys.json"))
        #expect(e.field == field)
        #expect(e.problem.contains(problem), "\(e)")
    }

    @Test func missingDirectory_isAnError() {
        #expect(throws: FixtureReport.self) { try FixtureLoader.load(directory: "/nonexistent/bytespike") }
    }
}

extension String {
    var prefixedSlash: String { hasPrefix("/") ? self : "/" + self }
    var droppingTrailingNewline: String { hasSuffix("\n") ? String(dropLast()) : self }
}

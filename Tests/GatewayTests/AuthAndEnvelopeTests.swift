import HTTPCore
import Testing
@testable import BytespikeMock

@Suite struct AuthAndEnvelopeTests {
    let fixtures = try! FixtureLoader.load()
    var store: Accounting { Accounting(keys: fixtures.keys, accounts: fixtures.accounts) }
    func secret(_ id: String) -> Credential { Credential(source: .apiKeyHeader, secret: fixtures.keys.first { $0.id == id }!.secret) }
    func pick(_ h: [String: String], _ q: String? = nil) -> Credential? {
        CredentialSource.extract({ name, read in h[name].map { var v = $0; return v.withUTF8(read) } }, queryKey: { q })
    }

    @Test func credential_xApiKeyWinsThenBearerThenGoogleThenQuery() {
        #expect(pick(["x-api-key": "A", "authorization": "Bearer B"]) == Credential(source: .apiKeyHeader, secret: "A"))
        #expect(pick(["authorization": "bearer  B "]) == Credential(source: .bearer, secret: "B"))
        #expect(pick(["authorization": "Bearer B", "x-goog-api-key": "G"]) == Credential(source: .bearer, secret: "B"))
        #expect(pick(["x-goog-api-key": "G"], "Q") == Credential(source: .googleAPIKeyHeader, secret: "G"))
        #expect(pick([:], "Q") == Credential(source: .queryKey, secret: "Q"))
        #expect(pick([:]) == nil)
    }

    @Test(arguments: ["Basic Zm9v", "sk-byts-default-test-key-0001", "Bearer", "Token sk-byts-default-test-key-0001", "Bearer\tB"])
    func credential_authorizationWithoutBearerSchemeIsOtherScheme(_ value: String) {
        #expect(pick(["authorization": value]) == Credential(source: .otherScheme, secret: ""))
    }

    @Test func authenticator_refusesABareKeyInAuthorizationThoughTheKeyExists() {
        let bare = fixtures.keys.first { $0.id == "key_default" }!.secret
        let (caller, error) = Authenticator.check(pick(["authorization": bare]), store: store, now: 0, peer: { "127.0.0.1" })
        #expect(caller == nil)
        #expect(error?.status.code == 401 && error?.code == "invalid_api_key")
        #expect(error?.message.contains("'Bearer <key>'") == true, "\(String(describing: error?.message))")
    }

    @Test(arguments: [
        (CredentialSource.apiKeyHeader, "invalid x-api-key"),
        (.bearer, "invalid bearer token in Authorization"),
        (.googleAPIKeyHeader, "invalid x-goog-api-key"),
        (.queryKey, "invalid key= query parameter"),
    ])
    func authenticator_unknownKeyMessageNamesTheCredentialUsed(_ source: CredentialSource, _ message: String) {
        let (_, error) = Authenticator.check(Credential(source: source, secret: "sk-byts-nope"), store: store, now: 0, peer: { "" })
        #expect(error?.message == message)
        #expect(error?.status.code == 401)
    }

    @Test func authenticator_missingKeyHintListsTheSurfacesCredentialsNativeFirst() {
        func hint(_ s: Surface) -> String? { Authenticator.check(nil, surface: s, store: store, now: 0, peer: { "" }).1?.message }
        #expect(hint(.gemini) == "missing API key: send x-goog-api-key: sk-byts-…, ?key=sk-byts-… or Authorization: Bearer sk-byts-…")
        #expect(hint(.anthropic) == "missing API key: send x-api-key: sk-byts-… or Authorization: Bearer sk-byts-…")
        #expect(hint(.openAI) == "missing API key: send Authorization: Bearer sk-byts-… or x-api-key: sk-byts-…")
    }

    @Test(arguments: [
        (nil, 401, "invalid_api_key", "missing API key"),
        ("sk-byts-nope", 401, "invalid_api_key", "invalid x-api-key"),
        ("sk-byts-revoked-test-key-0001", 401, "invalid_api_key", "revoked"),
        ("sk-byts-expired-test-key-0001", 401, "invalid_api_key", "expired at 2026-01-01T00:00:00Z"),
        ("sk-byts-paused-test-key-0001", 403, "permission_denied", "paused organization"),
        ("sk-byts-ip-restricted-key-0001", 403, "permission_denied", "not in this key's ip_whitelist"),
    ] as [(String?, Int, String, String)])
    func authenticator_rejectsEachBadStateWithTheRightStatus(_ secret: String?, _ status: Int, _ code: String, _ message: String) {
        let credential = secret.map { Credential(source: .apiKeyHeader, secret: $0) }
        let (_, error) = Authenticator.check(credential, store: store, now: 1_800_000_000, peer: { "127.0.0.1" })
        #expect(error?.status.code == status)
        #expect(error?.code == code)
        #expect(error?.message.contains(message) == true, "\(String(describing: error?.message))")
    }

    @Test func authenticator_expiryFollowsTheClock() {
        let clock = GatewayClock()
        let exp = fixtures.keys.first { $0.id == "key_expired" }!.expiresAt!
        clock.freeze(at: exp - 1)
        #expect(Authenticator.check(secret("key_expired"), store: store, now: clock.now, peer: { "" }).1 == nil)
        clock.advance(by: 1)
        #expect(Authenticator.check(secret("key_expired"), store: store, now: clock.now, peer: { "" }).1?.status.code == 401)
    }

    @Test func authenticator_ipWhitelistAdmitsListedNetworks() {
        let s = secret("key_ip")
        #expect(Authenticator.check(s, store: store, now: 0, peer: { "10.1.2.3" }).1 == nil)
        #expect(Authenticator.check(s, store: store, now: 0, peer: { "192.168.7.7" }).1 == nil)
        #expect(Authenticator.check(s, store: store, now: 0, peer: { "8.8.8.8" }).1?.status.code == 403)
    }

    @Test func envelope_reportsTightestWindowAndWallets() throws {
        let e = store.envelope(keyID: "key_org", now: 1000)
        #expect(e.limit == Credits(micros: 50_000_000))
        #expect(e.remaining == Credits(micros: 50_000_000))
        #expect(e.reset == 1000)  // nothing spent: the bucket is already full
        #expect(e.keyRemaining == Credits(micros: 500_000_000))
        #expect(e.orgRemaining == Credits(micros: 8_420_650_000))
        var out: [UInt8] = []
        e.write(to: &out)
        #expect(String(decoding: out, as: UTF8.self) ==
            "X-RateLimit-Limit: 50.000000\r\nX-RateLimit-Remaining: 50.000000\r\nX-RateLimit-Reset: 1000\r\n"
            + "X-Quota-Remaining-Credits: 500.000000\r\nX-Org-Quota-Remaining-Credits: 8420.650000\r\n")
    }

    @Test func envelope_unlimitedKeyShowsZerosAndWallet() throws {
        let personal = try #require(store.lookup(secret: secret("key_default").secret))
        let e = store.envelope(keyID: "key_default", now: 1000)
        #expect(e.limit == .zero && e.remaining == .zero && e.reset == 0)
        #expect(e.keyRemaining == personal.account.balance)
        #expect(e.orgRemaining == nil)
        #expect(store.envelope(keyID: "key_tiny", now: 0).keyRemaining == Credits(micros: 10_000))
    }

    @Test func catalog_groupsRouteTheirFamilies() {
        let c = Catalog(models: fixtures.models, retired: fixtures.retired, groups: fixtures.groups)
        #expect(c.group("claude-default", reaches: "claude-opus-4-8"))
        #expect(c.group("claude-default", reaches: "deepseek-v3-anthropic"))
        #expect(!c.group("claude-default", reaches: "gpt-5-4"))
        #expect(c.group("gemini-default", reaches: "nano-banana"))
        #expect(c.group("default", reaches: "sora-2"))
        #expect(c.model(named: "glm-5.1")?.id == "glm-5-1")
    }

    @Test func modelLists_filterByCapabilityAndFamily() throws {
        let c = Catalog(models: fixtures.models, retired: fixtures.retired, groups: fixtures.groups)
        let cache = ModelListCache(catalog: c)
        func ids(_ group: String, _ q: String?) -> [String] {
            let text = String(decoding: cache.body(group: group, query: q), as: UTF8.self)
            return text.split(separator: "\"id\":\"").dropFirst().map { String($0.prefix { $0 != "\"" }) }
        }
        let all = ids("default", nil)
        #expect(all == fixtures.models.map(\.id))
        #expect(ids("default", "capability=vision&capability=tool_use") ==
            fixtures.models.filter { $0.has("vision") && $0.has("tool_use") }.map(\.id))
        #expect(ids("default", "family=anthropic") == ids("default", "family=claude"))
        #expect(ids("default", "family=Anthropic") == ids("default", "family=claude"))
        #expect(ids("default", "family=google&family=moonshot") ==
            fixtures.models.filter { ["google", "moonshot"].contains($0.ownedBy) }.map(\.id))
        #expect(ids("default", "family=bogus").isEmpty)
        #expect(ids("default", "capability=bogus").isEmpty)
        #expect(ids("claude-default", "capability=thinking").allSatisfy { $0.hasPrefix("claude-") || $0.hasPrefix("deepseek") })
        #expect(ids("default", "family=anthropic") == ids("default", "family=anthropic"))  // cached path agrees
    }
}

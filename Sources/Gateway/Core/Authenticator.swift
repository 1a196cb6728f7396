import HTTPCore

/// The authenticated caller: the key and the account whose wallet it spends, as they stood when
/// the request arrived. A class: a request's exchange is copied into several closures, and a
/// reference copies as one retain where the two structs' strings would each take one.
public final class Caller: Sendable, Equatable {
    public let key: APIKey
    public let account: Account
    /// Where the key sits in the accounting state of `generation`.
    let slot: Int
    let generation: Int

    init(key: APIKey, account: Account, slot: Int, generation: Int) {
        self.key = key
        self.account = account
        self.slot = slot
        self.generation = generation
    }

    public static func == (a: Caller, b: Caller) -> Bool { a.key == b.key && a.account == b.account }
}

/// A request's credential: the secret and the field it came in, so a refusal can name what the
/// client sent. A plain value, made once per request.
struct Credential: Sendable, Equatable {
    var source: CredentialSource
    /// The key; empty for ``CredentialSource/otherScheme``, which is refused before any lookup.
    var secret: String
}

/// Where a request's credential came from, in the order the gateway consults them:
/// `x-api-key` wins over `Authorization`; Gemini clients may use `x-goog-api-key` or `?key=`.
enum CredentialSource: Sendable, Equatable {
    /// `x-api-key: <key>` (Anthropic's native header, accepted everywhere).
    case apiKeyHeader
    /// `Authorization: Bearer <key>` (OpenAI's native header, accepted everywhere).
    case bearer
    /// An `Authorization` header without the `Bearer` scheme (`Basic …`, or a bare key): refused
    /// with 401, as the gateway and OpenAI do, whatever follows.
    case otherScheme
    /// `x-goog-api-key: <key>` (google-genai's header).
    case googleAPIKeyHeader
    /// `?key=<key>` (Gemini REST samples).
    case queryKey

    /// The 401 for an unknown key, naming the field it came in.
    var unknownKeyMessage: String {
        switch self {
        case .apiKeyHeader: "invalid x-api-key"
        case .bearer, .otherScheme: "invalid bearer token in Authorization"
        case .googleAPIKeyHeader: "invalid x-goog-api-key"
        case .queryKey: "invalid key= query parameter"
        }
    }

    /// `header(name, read)` answers `read(value bytes)` of the first field `name`, or nil when
    /// there is none (``Request/withHeaderValue(_:_:)``): the key is made into a string once,
    /// straight from the request's bytes, without a string for the whole `Authorization` value.
    static func extract(_ header: (String, (UnsafeBufferPointer<UInt8>) -> String) -> String?,
                        queryKey: () -> String?) -> Credential? {
        let text = { (u: UnsafeBufferPointer<UInt8>) in String(decoding: u, as: UTF8.self) }
        if let v = header("x-api-key", text) { return Credential(source: .apiKeyHeader, secret: v) }
        // "Bearer <key>", scheme case-insensitive; values arrive trimmed by the parser. A nil
        // token (another scheme, a bare key, "Bearer" alone) reads as the empty string here.
        if let v = header("authorization", { bearerToken($0) ?? "" }) {
            return v.isEmpty ? Credential(source: .otherScheme, secret: "") : Credential(source: .bearer, secret: v)
        }
        if let v = header("x-goog-api-key", text) { return Credential(source: .googleAPIKeyHeader, secret: v) }
        return queryKey().map { Credential(source: .queryKey, secret: $0) }
    }

    /// The key of `Bearer <key>` (any case, spaces around the key dropped), or nil for another scheme.
    static func bearerToken(_ u: UnsafeBufferPointer<UInt8>) -> String? {
        // "bearer" in any case: the six bytes with the ASCII case bit set (no other byte of a
        // valid value maps onto these letters that way).
        guard u.count > 7, u[6] == 0x20, u[0] | 0x20 == 0x62, u[1] | 0x20 == 0x65, u[2] | 0x20 == 0x61,
              u[3] | 0x20 == 0x72, u[4] | 0x20 == 0x65, u[5] | 0x20 == 0x72 else { return nil }
        var start = 7, end = u.count
        while start < end, u[start] == 0x20 { start += 1 }
        while end > start, u[end - 1] == 0x20 { end -= 1 }
        return String(decoding: UnsafeBufferPointer(rebasing: u[start..<end]), as: UTF8.self)
    }
}

/// Authentication and authorisation of a caller, in the gateway's order: credential present and
/// well-formed, key known, not revoked, not expired (401); account not paused, IP allowed (403).
/// Each 401 names the credential the client sent (`invalid x-goog-api-key`, …).
enum Authenticator {
    static func check(_ credential: Credential?, surface: Surface = .openAI, store: Accounting, now: Int,
                      peer: () -> String) -> (Caller?, GatewayError?) {
        guard let credential, credential.source == .otherScheme || !credential.secret.isEmpty else {
            return (nil, .unauthorized("missing API key: send \(acceptedCredentials(surface))"))
        }
        if credential.source == .otherScheme {
            return (nil, .unauthorized("the Authorization header must read 'Bearer <key>'; "
                + "a bare key or another scheme is not accepted (or send \(acceptedCredentials(surface, bearer: false)))"))
        }
        guard let caller = store.lookup(secret: credential.secret) else {
            return (nil, .unauthorized(credential.source.unknownKeyMessage))
        }
        if let e = keyState(caller, now: now) { return (caller, e) }
        let key = caller.key
        if !key.ipWhitelist.isEmpty || !key.ipBlacklist.isEmpty {
            let ip = peer()
            if key.ipBlacklist.contains(where: { $0.contains(ip) }) {
                return (caller, .forbidden("requests from \(ip) are denied for this key (ip_blacklist)"))
            }
            if !key.ipWhitelist.isEmpty, !key.ipWhitelist.contains(where: { $0.contains(ip) }) {
                return (caller, .forbidden("requests from \(ip) are not in this key's ip_whitelist"))
            }
        }
        return (caller, nil)
    }

    /// The credentials `surface`'s clients send, native first (the missing-key hint).
    static func acceptedCredentials(_ surface: Surface, bearer: Bool = true) -> String {
        let sk = "sk-byts-…"
        let names: [String] = switch surface {
        case .anthropic: ["x-api-key: \(sk)", "Authorization: Bearer \(sk)"]
        case .gemini: ["x-goog-api-key: \(sk)", "?key=\(sk)", "Authorization: Bearer \(sk)"]
        case .openAI, .control: ["Authorization: Bearer \(sk)", "x-api-key: \(sk)"]
        }
        let shown = bearer ? names : names.filter { !$0.hasPrefix("Authorization") }
        return shown.dropLast().joined(separator: ", ") + (shown.count > 1 ? " or " : "") + (shown.last ?? "")
    }

    /// The checks on the key itself, in order: revoked, expired (401), paused account (403).
    static func keyState(_ caller: Caller, now: Int) -> GatewayError? {
        let key = caller.key
        if key.revoked { return .unauthorized("API key \(key.masked) has been revoked") }
        if let exp = key.expiresAt, now >= exp {
            return .unauthorized("API key \(key.masked) expired at \(Timestamp.format(exp))")
        }
        if caller.account.status == .paused {
            return .forbidden("API key \(key.masked) belongs to a paused organization; no models are granted",
                              code: "permission_denied")
        }
        return nil
    }
}

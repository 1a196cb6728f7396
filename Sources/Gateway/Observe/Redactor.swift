/// Hides secrets in what the journal, verify messages and the page show: API keys in
/// `Authorization`, `x-api-key`, `x-goog-api-key`, the `key` query parameter, and the admin
/// token (`X-Mock-Admin-Token`, or a bearer token on a control call). A secret is shown as its
/// last four characters, with the key id when the mock knows the key:
/// `Bearer …3f9a (key_default)`.
///
/// Concurrency: stateless.
enum Redactor {
    /// Header names whose values are secrets (lowercase).
    static let secretHeaders: Set<String> = ["authorization", "x-api-key", "x-goog-api-key", "x-mock-admin-token",
                                             "proxy-authorization", "cookie"]

    static func isSecret(header name: String) -> Bool { secretHeaders.contains(name.lowercased()) }

    /// `value` with its secret masked, when `name` carries one; `keyID` names the key.
    static func header(_ name: String, _ value: String, keyID: String? = nil) -> String {
        guard isSecret(header: name) else { return value }
        // Keep a scheme word (`Bearer`, `Basic`) in front.
        if let space = value.firstIndex(of: " ") {
            let scheme = value[..<space]
            return scheme + " " + mask(String(value[value.index(after: space)...].trimmingSpaces), keyID: keyID)
        }
        return mask(value, keyID: keyID)
    }

    /// `…` plus the last four characters (none for secrets of eight or fewer), and the key id.
    static func mask(_ secret: String, keyID: String? = nil) -> String {
        let tail = secret.count > 8 ? String(secret.suffix(4)) : ""
        return "…" + tail + (keyID.map { " (\($0))" } ?? "")
    }

    /// A query string's `key` values masked (`key=…3f9a`); other parameters as sent.
    static func query(_ raw: String, keyID: String? = nil) -> String {
        guard raw.contains("key=") else { return raw }
        return raw.split(separator: "&", omittingEmptySubsequences: false).map { part -> String in
            guard part.hasPrefix("key=") else { return String(part) }
            return "key=" + mask(String(part.dropFirst(4)), keyID: keyID)
        }.joined(separator: "&")
    }
}

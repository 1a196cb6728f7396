import HTTPCore

/// Asserting on captured requests from Swift, as `POST /__mock/verify` does over HTTP.
///
/// ```swift
/// let r = mock.verify(#"{"match": {"path": "/v1/chat/completions", "body_contains": "some text"}, "count": {"exactly": 1}}"#)
/// #expect(r.passed, "\(r.message)")
/// let s = mock.verify(path: "/v1/messages", body: #"{"model": "claude-sonnet-4-6"}"#, count: .exactly(2))
/// ```
extension MockServer {
    /// What a verification found.
    public struct VerifyOutcome: Sendable, CustomStringConvertible {
        /// Whether the expectation held.
        public let passed: Bool
        /// How many matched, and when it failed, the closest near misses field by field.
        public let message: String
        /// The request ids of the matched entries, in order.
        public let matchedIDs: [String]
        public var description: String { message }
    }

    /// How many requests must match.
    public enum Count: Sendable {
        case exactly(Int), atLeast(Int), atMost(Int)
    }

    /// Runs a verification given as the JSON body `POST /__mock/verify` takes; a malformed
    /// body fails with the 400's message.
    public func verify(_ json: String, session: String? = nil) -> VerifyOutcome {
        let parsed = EndpointSupport.jsonObject(Array(json.utf8), required: true).flatMap(Verification.parse)
        switch parsed {
        case .failure(let e): return VerifyOutcome(passed: false, message: "invalid verification: \(e.message)", matchedIDs: [])
        case .success(let v):
            let r = gateway.verify(v, session: session)
            return VerifyOutcome(passed: r.passed, message: r.message, matchedIDs: r.matched.map(\.id))
        }
    }

    /// A verification from keyword conditions: `body` is JSON the request body must contain.
    public func verify(method: String? = nil, path: String? = nil, bodyContains: String? = nil, body: String? = nil,
                       headers: [String: String] = [:], count: Count = .atLeast(1), session: String? = nil) -> VerifyOutcome {
        var m = JSONObject()
        if let method { m.append("method", .string(method)) }
        if let path { m.append("path", .string(path)) }
        if let bodyContains { m.append("body_contains", .string(bodyContains)) }
        if let body {
            guard let v = try? JSONParser.parse(Array(body.utf8)) else {
                return VerifyOutcome(passed: false, message: "invalid verification: 'body' is not JSON", matchedIDs: [])
            }
            m.append("body", v)
        }
        if !headers.isEmpty {
            var h = JSONObject()
            for (k, v) in headers.sorted(by: { $0.key < $1.key }) { h.append(k, .string(v)) }
            m.append("headers", .object(h))
        }
        var c = JSONObject()
        switch count {
        case .exactly(let n): c.append("exactly", .int(n))
        case .atLeast(let n): c.append("at_least", .int(n))
        case .atMost(let n): c.append("at_most", .int(n))
        }
        var root = JSONObject()
        root.append("match", .object(m))
        root.append("count", .object(c))
        return verify(JSONValue.object(root).compact, session: session)
    }
}

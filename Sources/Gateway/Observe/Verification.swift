import HTTPCore

/// What `POST /__mock/verify` asks: a matcher and how many requests must match it, or matchers
/// that must match requests in this order. Parsed and range-checked where it enters.
///
/// ```json
/// {"match": {"path": "/v1/chat/completions", "body_contains": "some text"}, "count": {"exactly": 1}}
/// {"sequence": [{"path": "/v1/messages", "status": 429}, {"path": "/v1/messages", "status": 200}]}
/// ```
/// `count` is `{"exactly": N}`, `{"at_least": N}`, `{"at_most": N}` (or a bare N, exactly);
/// without it, at least one.
///
/// Concurrency: an immutable value (Sendable).
struct Verification: Sendable {
    enum Count: Sendable, Equatable {
        case exactly(Int), atLeast(Int), atMost(Int)

        func accepts(_ n: Int) -> Bool {
            switch self {
            case .exactly(let k): n == k
            case .atLeast(let k): n >= k
            case .atMost(let k): n <= k
            }
        }

        var phrase: String {
            switch self {
            case .exactly(let k): "exactly \(k)"
            case .atLeast(let k): "at least \(k)"
            case .atMost(let k): "at most \(k)"
            }
        }
    }

    enum Expectation: Sendable {
        case count(JournalFilter, Count)
        case sequence([JournalFilter])
    }

    var expectation: Expectation
    /// The matchers as the client wrote them (compact JSON), for messages.
    var descriptions: [String]

    static let maxSteps = 100
    static let maxCount = 10_000_000

    static func parse(_ body: JSONObject) -> Result<Verification, GatewayError> {
        for k in body.keys where !["match", "count", "sequence"].contains(k) {
            return .failure(.badRequest("unknown field '\(k)'; use match and count, or sequence", param: k))
        }
        if let seq = body["sequence"] {
            guard body["match"] == nil, body["count"] == nil else {
                return .failure(.badRequest("give either 'sequence' or 'match' (with 'count'), not both", param: "sequence"))
            }
            guard case .array(let steps) = seq, (1...maxSteps).contains(steps.count) else {
                return .failure(.badRequest("'sequence' must be a list of 1 to \(maxSteps) matchers", param: "sequence"))
            }
            var filters: [JournalFilter] = []
            for (i, s) in steps.enumerated() {
                guard case .object(let o) = s else { return .failure(.badRequest("'sequence[\(i)]' must be a matcher object", param: "sequence")) }
                switch JournalFilter.parse(o, field: "sequence[\(i)]") {
                case .success(let f): filters.append(f)
                case .failure(let e): return .failure(e)
                }
            }
            return .success(Verification(expectation: .sequence(filters), descriptions: steps.map(\.compact)))
        }
        guard case .object(let m)? = body["match"] else {
            return .failure(.badRequest("'match' (a matcher object) or 'sequence' (a list of them) is required", param: "match"))
        }
        let filter: JournalFilter
        switch JournalFilter.parse(m) { case .success(let f): filter = f; case .failure(let e): return .failure(e) }
        var count = Count.atLeast(1)
        switch body["count"] {
        case nil: break
        case .int(let n)?:
            guard (0...maxCount).contains(n) else { return .failure(.badRequest("'count' must be from 0 to \(maxCount)", param: "count")) }
            count = .exactly(n)
        case .object(let o)? where o.count == 1:
            guard case .int(let n) = o.members[0].value, (0...maxCount).contains(n) else {
                return .failure(.badRequest("'count.\(o.members[0].key)' must be a whole number from 0 to \(maxCount)", param: "count"))
            }
            switch o.members[0].key {
            case "exactly": count = .exactly(n)
            case "at_least": count = .atLeast(n)
            case "at_most": count = .atMost(n)
            default: return .failure(.badRequest("'count' takes one of exactly, at_least, at_most", param: "count"))
            }
        default:
            return .failure(.badRequest("'count' must be {\"exactly\"|\"at_least\"|\"at_most\": N} or a number", param: "count"))
        }
        return .success(Verification(expectation: .count(filter, count), descriptions: [JSONValue.object(m).compact]))
    }
}

import HTTPCore

/// The gateway's endpoints.
enum Endpoint: Sendable, Equatable {
    case listModels
    case getModel(String)
    // Text surfaces.
    case messages
    case countTokens
    case chatCompletions
    case responses
    case getResponse(String)
    case deleteResponse(String)
    /// `POST …/models/{model}:{action}` (Gemini `generateContent`, `streamGenerateContent`, `countTokens`).
    case geminiAction(model: String, action: String)
    // Accounting reads (free).
    case usageRows
    case balance
    case meAccount
    case meUsage
    case billingTransactions
    // Key management (admin key).
    case groupsAvailable
    case listKeys
    case createKey
    case getKey(String)
    case updateKey(String)
    case revokeKey(String)
    case rotateKey(String)
    case revealKey(String)
    // Media: images (synchronous), async tasks, and the files they produce.
    case imageGenerations
    case imageEdits
    case taskSubmit
    case taskQuery
    /// `POST /v1/tasks/cancel/{id}`, or the body form (nil).
    case taskCancel(String?)
    case taskStream(String)
    case videoSubmit
    case videoTask(String)
    case file(String)
    // The mock's own control API.
    case controlHealth
    case controlReset
    case controlClock
    case controlTopUp(String)
    case controlSpend
    case controlKey(String)
    case controlReplies
    case controlReply(String)
    case controlPacing
    case controlFaults
    case controlFault(String)
    case controlJournal
    case controlJournalEntry(String)
    case controlJournalWait
    case controlJournalPlan
    case controlTasks
    case controlVerify
    case controlMetrics
    case controlOpenAPI
    case controlUI
    case controlKeys
}

/// Maps method and path to an endpoint: a flat table of path patterns built once, where
/// `{name}` matches one non-empty segment. A known path with the wrong method is a 405 with `Allow`.
struct Router: Sendable {
    private enum Segment: Sendable { case literal(String), parameter }
    private struct Route: Sendable {
        let segments: [Segment]
        let methods: [Method]
        let make: @Sendable (Method, [String]) -> Endpoint
    }

    private let routes: [Route]
    /// Every route's pattern and methods, in table order (the OpenAPI test compares them).
    let table: [(pattern: String, methods: [Method])]
    /// Routes without parameters by their exact path: the common case, found without splitting.
    private let exact: [String: Int]

    init() {
        let read: [Method] = [.get, .head]
        var patterns: [(String, [Method])] = []
        func route(_ pattern: String, _ methods: [Method], _ make: @escaping @Sendable (Method, [String]) -> Endpoint) -> Route {
            patterns.append((pattern, methods))
            let segs = pattern.split(separator: "/").map { $0.hasPrefix("{") ? Segment.parameter : .literal(String($0)) }
            return Route(segments: segs, methods: methods, make: make)
        }
        routes = [
            route("/v1/models", read) { _, _ in .listModels },
            route("/v1/models/{model}", read + [.post]) { m, p in m == .post ? Router.gemini(p[0]) : .getModel(p[0]) },
            route("/v1beta/models", read) { _, _ in .listModels },
            route("/v1beta/models/{model}", read + [.post]) { m, p in m == .post ? Router.gemini(p[0]) : .getModel(p[0]) },
            route("/v1/messages", [.post]) { _, _ in .messages },
            route("/v1/messages/count_tokens", [.post]) { _, _ in .countTokens },
            route("/v1/chat/completions", [.post]) { _, _ in .chatCompletions },
            route("/v1/responses", [.post]) { _, _ in .responses },
            route("/v1/responses/{id}", read + [.delete]) { m, p in m == .delete ? .deleteResponse(p[0]) : .getResponse(p[0]) },
            route("/v1/usage", read) { _, _ in .usageRows },
            route("/api/v1/usage", read) { _, _ in .usageRows },
            route("/v1/balance", read) { _, _ in .balance },
            route("/api/v1/me/account", read) { _, _ in .meAccount },
            route("/api/v1/me/usage", read) { _, _ in .meUsage },
            route("/api/v1/me/billing/transactions", read) { _, _ in .billingTransactions },
            route("/api/v1/groups/available", read) { _, _ in .groupsAvailable },
            route("/api/v1/keys", read + [.post]) { m, _ in m == .post ? .createKey : .listKeys },
            route("/api/v1/keys/{id}", read + [.patch, .put, .delete]) { m, p in
                m == .delete ? .revokeKey(p[0]) : (m == .patch || m == .put) ? .updateKey(p[0]) : .getKey(p[0])
            },
            route("/api/v1/keys/{id}/revoke", [.post]) { .revokeKey($1[0]) },
            route("/api/v1/keys/{id}/rotate", [.post]) { .rotateKey($1[0]) },
            route("/api/v1/keys/{id}/reveal", read) { .revealKey($1[0]) },
            route("/v1/keys/{id}/reveal", read) { .revealKey($1[0]) },
            route("/v1/images/generations", [.post]) { _, _ in .imageGenerations },
            route("/v1/images/edits", [.post]) { _, _ in .imageEdits },
            route("/v1/tasks/submit", [.post]) { _, _ in .taskSubmit },
            route("/v1/tasks/query", read + [.post]) { _, _ in .taskQuery },
            route("/v1/tasks/cancel", [.post]) { _, _ in .taskCancel(nil) },
            route("/v1/tasks/cancel/{id}", [.post]) { .taskCancel($1[0]) },
            route("/v1/tasks/stream/{id}", read) { .taskStream($1[0]) },
            route("/v1/videos/generations", [.post]) { _, _ in .videoSubmit },
            route("/v1/videos/tasks/{id}", read) { .videoTask($1[0]) },
            route("/files/{name}", read) { .file($1[0]) },
            route("/__mock/tasks", read) { _, _ in .controlTasks },
            route("/__mock/health", read) { _, _ in .controlHealth },
            route("/__mock/reset", [.post]) { _, _ in .controlReset },
            route("/__mock/clock", read + [.post]) { _, _ in .controlClock },
            route("/__mock/accounts/{id}/topup", [.post]) { .controlTopUp($1[0]) },
            route("/__mock/spend", [.post]) { _, _ in .controlSpend },
            route("/__mock/keys", read) { _, _ in .controlKeys },
            route("/__mock/keys/{id}", read + [.post, .patch]) { .controlKey($1[0]) },
            route("/__mock/replies", read + [.post, .delete]) { _, _ in .controlReplies },
            route("/__mock/replies/{id}", read + [.delete]) { .controlReply($1[0]) },
            route("/__mock/pacing", read + [.post, .delete]) { _, _ in .controlPacing },
            route("/__mock/faults", read + [.post, .delete]) { _, _ in .controlFaults },
            route("/__mock/faults/{id}", read + [.delete]) { .controlFault($1[0]) },
            route("/__mock/journal", read + [.delete]) { _, _ in .controlJournal },
            route("/__mock/journal/wait", read + [.post]) { _, _ in .controlJournalWait },
            route("/__mock/journal/plan", read) { _, _ in .controlJournalPlan },
            route("/__mock/journal/{id}", read) { .controlJournalEntry($1[0]) },
            route("/__mock/verify", [.post]) { _, _ in .controlVerify },
            route("/__mock/metrics", read) { _, _ in .controlMetrics },
            route("/__mock/openapi.json", read) { _, _ in .controlOpenAPI },
            route("/__mock/ui", read) { _, _ in .controlUI },
        ]
        table = patterns
        var exact: [String: Int] = [:]
        for (i, r) in routes.enumerated() {
            let literals = r.segments.compactMap { if case .literal(let l) = $0 { l } else { nil } }
            let path = "/" + literals.joined(separator: "/")
            if literals.count == r.segments.count, exact[path] == nil { exact[path] = i }
        }
        self.exact = exact
    }

    /// The non-empty segments between slashes, found by bytes (`split(separator:)` walks
    /// Characters: 27,000 instructions for a Gemini path). A target is at most 8 KiB.
    static func segments(_ path: String) -> [Substring] {
        var parts: [Substring] = []
        let u = path.utf8
        var start = u.startIndex
        var i = start
        while i != u.endIndex {
            if u[i] == 0x2F {
                if start != i { parts.append(path[start..<i]) }
                start = u.index(after: i)
            }
            i = u.index(after: i)
        }
        if start != u.endIndex { parts.append(path[start..<u.endIndex]) }
        return parts
    }

    /// `model:action` from a Gemini path segment (the model may itself contain colons? no: the
    /// action is after the last one).
    static func gemini(_ segment: String) -> Endpoint {
        guard let colon = segment.utf8.lastIndex(of: 0x3A) else { return .geminiAction(model: segment, action: "") }
        return .geminiAction(model: String(segment[..<colon]), action: String(segment[segment.utf8.index(after: colon)...]))
    }

    func match(_ method: Method, _ path: String) -> Result<Endpoint, GatewayError> {
        if let i = exact[path], routes[i].methods.contains(method) { return .success(routes[i].make(method, [])) }
        let parts = Self.segments(path)
        var allowed: [Method] = []
        for r in routes where r.segments.count == parts.count {
            var params: [String] = []
            var ok = true
            for (s, p) in zip(r.segments, parts) {
                switch s {
                // Bytes, not `!=` between String and Substring (a generic Unicode comparison that
                // made a Gemini route 40,000 instructions).
                case .literal(let l): if l.utf8.count != p.utf8.count || !l.utf8.elementsEqual(p.utf8) { ok = false }
                case .parameter: params.append(Query.decode(p))
                }
                if !ok { break }
            }
            guard ok else { continue }
            if r.methods.contains(method) { return .success(r.make(method, params)) }
            allowed += r.methods
        }
        if !allowed.isEmpty { return .failure(.methodNotAllowed(allowed)) }
        return .failure(.notFound("no route for \(method.rawValue) \(path)"))
    }
}

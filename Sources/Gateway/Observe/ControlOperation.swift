/// One operation of the control API as `GET /__mock/openapi.json` describes it: values first
/// (this table), the OpenAPI document rendered from it last (``OpenAPIDocument``). A test holds
/// the table and the router to the same set of routes.
///
/// Concurrency: immutable values.
struct ControlOperation: Sendable {
    var path: String
    /// Lowercase, as OpenAPI spells it (`get`, `post`, …); `head` is implied by every `get`.
    var method: String
    var summary: String
    /// Query parameter names (described in `components.parameters`), in order.
    var query: [String] = []
    /// A schema name in `components.schemas` for a JSON body, or `text` for a plain-text body.
    var body: String?
    var bodyRequired = false
    /// The 2xx response schema name, or `prometheus` / `html` for those media types.
    var response: String = "Object"
    /// Other statuses the operation answers besides 400/401 (`422`, `408`, …).
    var errors: [Int] = []

    static let matcherQuery = ["method", "surface", "path", "model", "key", "status", "faulted", "rule", "stream", "body_contains",
                               "json", "header", "session", "since"]

    static let all: [ControlOperation] = [
        .init(path: "/__mock/health", method: "get", summary: "Liveness and a few counts (never needs the admin token)", response: "Health"),
        .init(path: "/__mock/reset", method: "post", summary: "Reset the mock (with X-Mock-Session: that session only)", response: "Reset"),
        .init(path: "/__mock/clock", method: "get", summary: "The virtual clock", response: "Clock"),
        .init(path: "/__mock/clock", method: "post", summary: "Freeze, advance, set, resume or reset the virtual clock",
              body: "ClockChange", bodyRequired: true, response: "Clock"),
        .init(path: "/__mock/accounts/{id}/topup", method: "post", summary: "Credit an account's wallet (with the bonus ladder)",
              body: "TopUp", bodyRequired: true, response: "TopUpResult", errors: [404]),
        .init(path: "/__mock/spend", method: "post", summary: "Bill synthetic usage through the accounting engine",
              body: "Spend", bodyRequired: true, response: "SpendResult", errors: [402, 403, 429]),
        .init(path: "/__mock/keys", method: "get", summary: "Every key (no secrets) with its wallet balance and spend windows",
              response: "KeyList"),
        .init(path: "/__mock/keys/{id}", method: "get", summary: "A key with its secret and state", response: "Key", errors: [404]),
        .init(path: "/__mock/keys/{id}", method: "post", summary: "Change a key (management fields, revoked, expires_at)",
              body: "KeyChange", bodyRequired: true, response: "Key", errors: [404]),
        .init(path: "/__mock/keys/{id}", method: "patch", summary: "Change a key (same as POST)", body: "KeyChange", bodyRequired: true,
              response: "Key", errors: [404]),
        .init(path: "/__mock/replies", method: "get", summary: "Reply rules in the order tried", response: "ReplyRules"),
        .init(path: "/__mock/replies", method: "post", summary: "Add a reply rule (a replies.json entry)", body: "ReplyRule",
              bodyRequired: true, response: "ReplyRule"),
        .init(path: "/__mock/replies", method: "delete", summary: "Remove the runtime reply rules", response: "Object"),
        .init(path: "/__mock/replies/{id}", method: "get", summary: "One reply rule", response: "ReplyRule", errors: [404]),
        .init(path: "/__mock/replies/{id}", method: "delete", summary: "Remove one runtime reply rule", response: "Object", errors: [404]),
        .init(path: "/__mock/pacing", method: "get", summary: "The runtime default stream pacing", response: "Pacing"),
        .init(path: "/__mock/pacing", method: "post", summary: "Set the runtime default stream pacing", body: "Pacing", bodyRequired: true,
              response: "Pacing"),
        .init(path: "/__mock/pacing", method: "delete", summary: "Clear the runtime default pacing", response: "Pacing"),
        .init(path: "/__mock/faults", method: "get", summary: "Fault rules in the order tried, with counters", response: "FaultList"),
        .init(path: "/__mock/faults", method: "post", summary: "Add fault rules: a spec (text or JSON string), a rule object or {\"faults\": […]}",
              body: "FaultBody", bodyRequired: true, response: "FaultList"),
        .init(path: "/__mock/faults", method: "delete", summary: "Remove the runtime fault rules", response: "Object"),
        .init(path: "/__mock/faults/{id}", method: "get", summary: "One fault rule with its counters", response: "FaultList", errors: [404]),
        .init(path: "/__mock/faults/{id}", method: "delete", summary: "Remove one fault rule", response: "Object", errors: [404]),
        .init(path: "/__mock/journal", method: "get", summary: "Recorded requests with their capture, filtered by the matcher",
              query: matcherQuery + ["limit", "capture"], response: "JournalList"),
        .init(path: "/__mock/journal", method: "delete", summary: "Forget the recorded requests (the session's only, with X-Mock-Session)",
              response: "Object"),
        .init(path: "/__mock/journal/wait", method: "get", summary: "Answer once `count` matching requests are recorded",
              query: matcherQuery + ["count", "timeout_ms"], response: "JournalList", errors: [408, 503]),
        .init(path: "/__mock/journal/wait", method: "post", summary: "Same as GET (the matcher in the query)",
              query: matcherQuery + ["count", "timeout_ms"], response: "JournalList", errors: [408, 503]),
        .init(path: "/__mock/journal/plan", method: "get", summary: "The recorded fault decisions as a faults file that replays them",
              query: ["session"], response: "FaultsFile"),
        .init(path: "/__mock/journal/{id}", method: "get", summary: "One recorded request with its capture", response: "JournalEntry",
              errors: [404]),
        .init(path: "/__mock/verify", method: "post", summary: "Assert on recorded requests: a matcher and a count, or a sequence",
              body: "Verification", bodyRequired: true, response: "VerifyResult", errors: [422]),
        .init(path: "/__mock/metrics", method: "get", summary: "Counters and gauges in the Prometheus text format", response: "prometheus"),
        .init(path: "/__mock/openapi.json", method: "get", summary: "This document", response: "Object"),
        .init(path: "/__mock/ui", method: "get", summary: "The inspector page (HTML; its calls carry the admin token)", response: "html"),
        .init(path: "/__mock/tasks", method: "get", summary: "Media tasks with their progress", response: "TaskList"),
    ]
}

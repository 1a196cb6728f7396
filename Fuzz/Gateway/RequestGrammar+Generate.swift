/// The grammar form: the input's bytes are choices. A route from the Router's own table
/// (`routerRoutes`, generated from Router.swift), one of its methods (sometimes another), its
/// `{parameters}` filled with real ids or fuzz bytes, a query of known names with edge values,
/// a credential, a few control headers (faults, pacing, session, retries), and a body: the
/// endpoint's template, sometimes with a span replaced by fuzz bytes, or raw fuzz bytes.
extension FuzzRequest {
    static let methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "BREW"]
    static let models = ["gpt-5-4-mini", "claude-sonnet-4-5", "gemini-2-5-flash", "deepseek-r1", "gpt-image-2", "nano-banana",
                         "seedream-v4", "sora-2", "veo-3.1-fast", "claude-opus-4-8", "doubao-seed-2.0-pro", "retired-model", "nope", ""]
    static let geminiActions = ["generateContent", "streamGenerateContent", "countTokens", "embedContent", ""]
    static let ids = ["key_default", "key_admin", "key_revoked", "acct_ada", "org_dosia", "resp_0001", "task_0001", "file-1.png",
                      "r1", "f1", "1", "-1", "9223372036854775807", "%00", "..", "a%2Fb", "é"]
    static let secrets = ["sk-byts-default-test-key-0001", "sk-byts-claude-test-key-0001", "sk-byts-gemini-test-key-0001",
                          "sk-byts-admin-test-key-0001", "sk-byts-revoked-test-key-0001", "sk-byts-expired-test-key-0001",
                          "sk-byts-paused-test-key-0001", "sk-byts-tiny-quota-key-0001", "sk-byts-rate-limited-key-0001",
                          "sk-byts-broke-test-key-0001", "sk-byts-ip-restricted-key-0001", "sk-wrong", ""]
    static let queryNames = ["page", "page_size", "limit", "since", "until", "start_date", "end_date", "capability", "alt", "key",
                             "model", "group_by", "bucket", "count", "timeout_ms", "session", "status", "after", "before", "order",
                             "task_id", "id", "pageSize", "pageToken", "type", "filter", "status_code", "path", "surface"]
    static let edgeValues = ["0", "1", "-1", "2", "100", "9223372036854775807", "-9223372036854775808", "9223372036854775808",
                             "1e308", "1e-300", "-0", "NaN", "abc", "", "2026-01-01", "2026-01-01T00:00:00Z", "1.5", "sse",
                             "vision", "day", "hour", "asc", "desc", "%FF", "18446744073709551616"]
    static let faults = ["429 retry_after=2", "503 attempt=first", "latency 5ms", "latency 1ms..3ms seed=2", "stall for=5ms",
                         "reset", "cut after_events=2", "end after_events=1", "garbage bytes=16", "malformed", "empty",
                         "drip tps=1000 ttft=1ms", "drip tps=1e-300", "fail at=50%", "500 message=\"x y\"", "529; 429",
                         "latency 9223372036854775807ms", "429 probability=0.5 seed=3", "400 every=2 first=1", "nonsense"]
    static let pacings = ["ttft=0, tps=0", "ttft=1ms, tps=5000", "tps=1e-300", "ttft=-1", "fast", "ttft=9223372036854775807"]

    static func template(_ pattern: String, _ model: String) -> String {
        switch pattern {
        case "/v1/messages", "/v1/messages/count_tokens":
            #"{"model":"\#(model)","max_tokens":64,"stream":false,"messages":[{"role":"user","content":"Say hello"}]}"#
        case "/v1/chat/completions":
            #"{"model":"\#(model)","stream":false,"messages":[{"role":"user","content":"What is the weather in Paris?"}],"max_tokens":32}"#
        case "/v1/responses":
            #"{"model":"\#(model)","input":"mock:think","stream":false,"max_output_tokens":32}"#
        case "/v1/models/{model}", "/v1beta/models/{model}":
            #"{"contents":[{"role":"user","parts":[{"text":"Say hello"}]}],"generationConfig":{"maxOutputTokens":16}}"#
        case "/v1/images/generations":
            #"{"model":"\#(model)","prompt":"a red square","n":1,"size":"256x256","response_format":"b64_json"}"#
        case "/v1/tasks/submit", "/v1/videos/generations":
            #"{"model":"\#(model)","prompt":"a cat","duration":4,"aspect_ratio":"16:9"}"#
        case "/v1/tasks/query", "/v1/tasks/cancel":
            #"{"task_id":"task_0001","ids":["task_0001"]}"#
        case "/api/v1/keys", "/api/v1/keys/{id}", "/__mock/keys/{id}":
            #"{"name":"k","group":"default","quota":10.5,"expires_at":"2027-01-01T00:00:00Z","status":"active"}"#
        case "/__mock/clock":
            #"{"advance":{"ms":1000},"freeze":true}"#
        case "/__mock/accounts/{id}/topup":
            #"{"amount":10}"#
        case "/__mock/spend":
            #"{"key":"key_default","model":"\#(model)","input_tokens":10,"output_tokens":5,"images":1,"video_seconds":2}"#
        case "/__mock/replies":
            #"{"id":"r1","match":{"contains":"hello","surface":["chat"]},"reply":{"text":"hi"},"times":2}"#
        case "/__mock/pacing":
            #"{"first_token_ms":0,"tokens_per_second":1000}"#
        case "/__mock/faults":
            #"{"id":"f1","fault":"429","surface":"chat","first":1}"#
        default:
            ""
        }
    }

    init(choices input: inout FuzzInput) {
        let route = input.pick(routerRoutes)
        method = input.below(10) == 0 ? input.pick(Self.methods) : input.pick(route.methods)
        let model = input.pick(Self.models)
        var path = ""
        for segment in route.pattern.split(separator: "/") {
            path += "/"
            if segment.hasPrefix("{") {
                switch input.below(4) {
                case 0: path += Self.cleanTarget(input.chunk(max: 12)).dropFirst()
                case 1 where segment == "{model}": path += model + ":" + input.pick(Self.geminiActions)
                default: path += segment == "{model}" ? model : input.pick(Self.ids)
                }
            } else {
                path += segment
            }
        }
        target = Self.cleanTarget(Array(path.utf8))  // an id like "é" is percent-encoded, as a client would
        let queries = input.below(4)
        for q in 0..<queries {
            target += (q == 0 ? "?" : "&") + input.pick(Self.queryNames) + "="
            target += input.bool() ? input.pick(Self.edgeValues) : String(Self.cleanTarget(input.chunk(max: 8)).dropFirst())
        }
        switch input.below(6) {
        case 0: break
        case 1: headers.append(("x-api-key", input.pick(Self.secrets)))
        case 2: headers.append(("x-goog-api-key", input.pick(Self.secrets)))
        default: headers.append(("Authorization", "Bearer " + input.pick(Self.secrets)))
        }
        if route.pattern.hasPrefix("/v1/messages") { headers.append(("anthropic-version", "2023-06-01")) }
        for _ in 0..<input.below(4) {
            switch input.below(6) {
            case 0: headers.append(("X-Mock-Fault", input.pick(Self.faults)))
            case 1: headers.append(("X-Mock-Pacing", input.pick(Self.pacings)))
            case 2: headers.append(("X-Mock-Session", input.bool() ? "s1" : "s2"))
            case 3: headers.append(("x-stainless-retry-count", input.pick(Self.edgeValues)))
            case 4: headers.append(("Idempotency-Key", input.pick(Self.ids)))
            default: headers.append(("Content-Type", input.bool() ? "application/json" : "multipart/form-data; boundary=b"))
            }
        }
        var body = Array(Self.template(route.pattern, model).utf8)
        switch input.below(4) {
        case 0 where !body.isEmpty:  // a span of the template replaced by fuzz bytes
            let at = input.below(body.count + 1)
            let len = min(input.below(16), body.count - at)
            body.replaceSubrange(at..<(at + len), with: input.chunk(max: 24))
        case 1:
            body = input.rest()
        case 2:
            body = input.bool() ? Array(#"{"stream":true,"model":"\#(model)","messages":[{"role":"user","content":"hi"}],"contents":[{"parts":[{"text":"hi"}]}],"input":"hi","max_tokens":8}"#.utf8) : body
        default:
            break
        }
        self.body = body
    }
}

import HTTPCore

/// `GET /__mock/openapi.json`: an OpenAPI 3.1 description of the control API, rendered once from
/// ``ControlOperation/all`` and the schemas below.
///
/// Concurrency: stateless; the document is built once (a `static let`).
enum OpenAPIDocument {
    static let bytes: [UInt8] = render()

    static func render() -> [UInt8] {
        var w = JSONWriter(capacity: 32 * 1024)
        w.objectStart()
        w.key("openapi"); w.string("3.1.0")
        w.key("info"); w.objectStart()
        w.key("title"); w.string("bytespike-mock control API")
        w.key("version"); w.string("1")
        w.key("description"); w.string("The mock's own API under /__mock/. HEAD is accepted wherever GET is. Send X-Mock-Session: NAME to scope a call to one session. With --admin-token, every call but /__mock/health needs Authorization: Bearer TOKEN or X-Mock-Admin-Token: TOKEN. Errors use the OpenAI-style envelope {\"error\": {message, type, param, code}}.")
        w.objectEnd()
        w.key("servers"); w.arrayStart(); w.objectStart(); w.key("url"); w.string("http://127.0.0.1:8787"); w.objectEnd(); w.arrayEnd()
        w.key("security"); w.arrayStart()
        w.objectStart(); w.objectEnd()
        w.objectStart(); w.key("adminBearer"); w.arrayStart(); w.arrayEnd(); w.objectEnd()
        w.objectStart(); w.key("adminHeader"); w.arrayStart(); w.arrayEnd(); w.objectEnd()
        w.arrayEnd()
        w.key("paths"); w.objectStart()
        var seen: [String] = []
        for op in ControlOperation.all where !seen.contains(op.path) {
            seen.append(op.path)
            w.key(escaping: op.path); w.objectStart()
            let params = pathParameters(op.path)
            if !params.isEmpty {
                w.key("parameters"); w.arrayStart()
                for p in params {
                    w.objectStart()
                    w.key("name"); w.string(p); w.key("in"); w.string("path"); w.key("required"); w.bool(true)
                    w.key("schema"); w.objectStart(); w.key("type"); w.string("string"); w.objectEnd()
                    w.objectEnd()
                }
                w.arrayEnd()
            }
            for o in ControlOperation.all where o.path == op.path { operation(o, &w) }
            w.objectEnd()
        }
        w.objectEnd()
        w.key("components"); w.raw(Array(components.utf8))
        w.objectEnd()
        return w.bytes
    }

    static func pathParameters(_ path: String) -> [String] {
        path.split(separator: "/").filter { $0.hasPrefix("{") }.map { String($0.dropFirst().dropLast()) }
    }

    private static func operation(_ o: ControlOperation, _ w: inout JSONWriter) {
        w.key(escaping: o.method); w.objectStart()
        w.key("operationId"); w.string(o.method + o.path.split(separator: "/").dropFirst().map { part in
            let name = part.hasPrefix("{") ? "By" + part.dropFirst().dropLast() : part
            return name.split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
        }.joined())
        w.key("summary"); w.string(o.summary)
        w.key("parameters"); w.arrayStart()
        w.objectStart(); w.key("$ref"); w.string("#/components/parameters/session_header"); w.objectEnd()
        for q in o.query { w.objectStart(); w.key("$ref"); w.string("#/components/parameters/\(q)"); w.objectEnd() }
        w.arrayEnd()
        if let body = o.body {
            w.key("requestBody"); w.objectStart()
            w.key("required"); w.bool(o.bodyRequired)
            w.key("content"); w.objectStart()
            w.key("application/json"); w.objectStart(); w.key("schema"); ref(body, &w); w.objectEnd()
            if body == "FaultBody" {
                w.key("text/plain"); w.objectStart(); w.key("schema"); w.objectStart(); w.key("type"); w.string("string"); w.objectEnd(); w.objectEnd()
            }
            w.objectEnd()
            w.objectEnd()
        }
        w.key("responses"); w.objectStart()
        w.key("200"); w.objectStart()
        w.key("description"); w.string("Success")
        w.key("content"); w.objectStart()
        switch o.response {
        case "prometheus":
            w.key("text/plain"); w.objectStart(); w.key("schema"); w.objectStart(); w.key("type"); w.string("string"); w.objectEnd(); w.objectEnd()
        case "html":
            w.key("text/html"); w.objectStart(); w.key("schema"); w.objectStart(); w.key("type"); w.string("string"); w.objectEnd(); w.objectEnd()
        default:
            w.key("application/json"); w.objectStart(); w.key("schema"); ref(o.response, &w); w.objectEnd()
        }
        w.objectEnd()
        w.objectEnd()
        for status in [400, 401] + o.errors {
            w.key(escaping: String(status)); w.objectStart()
            w.key("description"); w.string(errorDescription(status))
            w.key("content"); w.objectStart()
            w.key("application/json"); w.objectStart(); w.key("schema"); ref(status == 422 ? "VerifyResult" : "Error", &w); w.objectEnd()
            w.objectEnd()
            w.objectEnd()
        }
        w.objectEnd()
        w.objectEnd()
    }

    private static func ref(_ name: String, _ w: inout JSONWriter) {
        w.objectStart(); w.key("$ref"); w.string("#/components/schemas/\(name)"); w.objectEnd()
    }

    private static func errorDescription(_ status: Int) -> String {
        switch status {
        case 400: "Invalid input; the message names the field"
        case 401: "The admin token is missing or wrong (--admin-token)"
        case 404: "No such object"
        case 408: "Timed out before enough requests were recorded"
        case 422: "The verification did not hold: how many matched and the closest near misses"
        case 503: "Too many concurrent waiters"
        default: "Refused as real traffic would be"
        }
    }
}

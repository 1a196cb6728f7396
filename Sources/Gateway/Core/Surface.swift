import Glibc
import HTTPCore

/// Which wire protocol a request speaks; it decides the error envelope and request-id header.
public enum Surface: String, Sendable {
    /// OpenAI Chat/Responses, images, tasks, and the gateway's own utility endpoints.
    case openAI = "openai"
    case anthropic
    case gemini
    /// The mock's own control API under `/__mock/`.
    case control

    /// Identifies the surface from the path, and on shared paths (`/v1/models`) from the
    /// client's headers: an `anthropic-version` header means an Anthropic SDK.
    /// Byte-level checks only: this runs on every request.
    static func detect(path: String, request: Request) -> Surface {
        var path = path
        let (byPath, modelsRoute) = path.withUTF8 { p -> (Surface?, Bool) in
            func starts(_ prefix: StaticString) -> Bool {
                p.count >= prefix.utf8CodeUnitCount && memcmp(p.baseAddress!, prefix.utf8Start, prefix.utf8CodeUnitCount) == 0
            }
            if starts("/__mock/") { return (.control, false) }
            // Gemini: its own prefix, or a `model:action` path (`/v1/models/x:generateContent`).
            if starts("/v1beta/") || p.contains(0x3A) { return (.gemini, false) }
            if starts("/v1/messages") { return (.anthropic, false) }
            return (nil, starts("/v1/models"))
        }
        if let byPath { return byPath }
        if request.hasHeader("anthropic-version") { return .anthropic }
        // google-genai calls `/v1/models` with its own headers; REST samples use `?key=`.
        if request.hasHeader("x-goog-api-key") || request.hasHeader("x-goog-api-client") { return .gemini }
        if modelsRoute, let q = request.query, hasKeyParameter(q) { return .gemini }
        return .openAI
    }

    /// Whether a query string has a `key` parameter (`key=…` first or after a `&`), by bytes:
    /// `String.contains` would walk it by Characters, which cost a filtered `/v1/models` more
    /// than the rest of the request.
    static func hasKeyParameter(_ query: String) -> Bool {
        var query = query
        return query.withUTF8 { b in
            var i = 0
            while i + 4 <= b.count {
                if i == 0 || b[i - 1] == 0x26, b[i] == 0x6B, b[i + 1] == 0x65, b[i + 2] == 0x79, b[i + 3] == 0x3D { return true }
                i += 1
            }
            return false
        }
    }

    /// The body of `error` in this surface's envelope.
    func errorBody(_ error: GatewayError, requestID: String) -> [UInt8] {
        var w = JSONWriter(capacity: 256)
        w.objectStart()
        switch self {
        case .anthropic:
            w.key("type"); w.string("error")
            w.key("error"); w.objectStart()
            w.key("type"); w.string(error.typeName)
            w.key("message"); w.string(error.message)
            w.objectEnd()
            w.key("request_id"); w.string(requestID)
        case .gemini:
            w.key("error"); w.objectStart()
            w.key("code"); w.int(error.status.code)
            w.key("message"); w.string(error.message)
            w.key("status"); w.string(Surface.googleStatus(error.status.code))
            // Google's retry hint rides in `details` (google.rpc.RetryInfo), as Gemini sends it.
            if error.status.code == 429, let wait = error.headers["Retry-After"].flatMap({ Int($0) }) {
                w.key("details"); w.arrayStart()
                w.objectStart()
                w.key("@type"); w.string("type.googleapis.com/google.rpc.RetryInfo")
                w.key("retryDelay"); w.string("\(wait)s")
                w.objectEnd()
                w.arrayEnd()
            }
            // An unknown field names itself in google.rpc.BadRequest, as Google's JSON parser does.
            if error.code == RequestFields.unknownFieldCode {
                w.key("details"); w.arrayStart()
                w.objectStart()
                w.key("@type"); w.string("type.googleapis.com/google.rpc.BadRequest")
                w.key("fieldViolations"); w.arrayStart(); w.objectStart()
                if let field = error.param { w.key("field"); w.string(field) }
                w.key("description"); w.string(error.message)
                w.objectEnd(); w.arrayEnd()
                w.objectEnd()
                w.arrayEnd()
            }
            w.objectEnd()
        case .openAI, .control:
            w.key("error"); w.objectStart()
            w.key("message"); w.string(error.message)
            w.key("type"); w.string(error.typeName)
            w.key("param"); if let p = error.param { w.string(p) } else { w.null() }
            w.key("code"); if let c = error.code { w.string(c) } else { w.null() }
            w.objectEnd()
        }
        w.objectEnd()
        return w.bytes
    }

    /// Google's canonical status name for an HTTP status.
    static func googleStatus(_ code: Int) -> String {
        switch code {
        case 400: "INVALID_ARGUMENT"
        case 401: "UNAUTHENTICATED"
        case 403: "PERMISSION_DENIED"
        case 404: "NOT_FOUND"
        case 405: "UNIMPLEMENTED"
        case 408, 504: "DEADLINE_EXCEEDED"
        case 409: "ABORTED"
        case 429, 402: "RESOURCE_EXHAUSTED"
        case 499: "CANCELLED"
        case 501: "UNIMPLEMENTED"
        case 503, 529: "UNAVAILABLE"
        default: code >= 500 ? "INTERNAL" : "FAILED_PRECONDITION"
        }
    }
}
